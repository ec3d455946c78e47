#include "compute/gpu.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/strings.h"
#include "models/json.h"

extern char** environ;

namespace cod::compute {

namespace bj = boost::json;

namespace {

constexpr size_t kMaxToolOutput = size_t{4} << 20;
constexpr size_t kMaxQuoted = 200;
constexpr uint64_t kMiB = uint64_t{1} << 20;

// A line or value of a tool's output, as an error message quotes it.
std::string quoted(std::string_view text) {
  std::string out(text.substr(0, kMaxQuoted));
  if (text.size() > kMaxQuoted) out += "…";
  return "\"" + toValidUtf8(out) + "\"";
}

bool notAvailable(std::string_view field) {
  return field.empty() || field == "[N/A]" || field == "N/A" || field == "[Not Supported]";
}

// The JSON object at the start of a tool's output, skipping warning lines printed before it.
Result<bj::object> parseObject(std::string_view tool, std::string_view text) {
  size_t brace = text.find('{');
  if (brace == std::string_view::npos) {
    return invalidArgument(std::string(tool) + " output: no JSON object in " + quoted(trim(text)));
  }
  boost::system::error_code ec;
  bj::value v = bj::parse(text.substr(brace), ec);
  if (ec) {
    return invalidArgument(std::string(tool) + " output is not valid JSON: " + ec.message());
  }
  if (!v.is_object()) return invalidArgument(std::string(tool) + " output: expected a JSON object");
  return std::move(v.as_object());
}

// A string or number member as text ("" when absent or null).
Result<std::string> textMember(std::string_view tool, const bj::object& obj, std::string_view key) {
  const bj::value* v = models::findKey(obj, key);
  if (v == nullptr || v->is_null()) return std::string();
  if (v->is_string()) return std::string(trim(v->as_string()));
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_int64() && v->as_int64() >= 0) return std::to_string(v->as_int64());
  return invalidArgument(std::string(tool) + " output: \"" + std::string(key) +
                         "\" is not a string or a whole number");
}

Result<uint64_t> bytesToMib(std::string_view tool, std::string_view key, const std::string& text) {
  if (notAvailable(text)) return uint64_t{0};
  uint64_t bytes = 0;
  if (!parseUint64(text, &bytes)) {
    return invalidArgument(std::string(tool) + " output: \"" + std::string(key) + "\" " +
                           quoted(text) + " is not a number of bytes");
  }
  return bytes / kMiB;
}

// The executable `program` in a PATH-style list ("" when it is in none).
std::string findProgram(const std::string& program, const std::string& search_path) {
  if (program.find('/') != std::string::npos) {
    return access(program.c_str(), X_OK) == 0 ? program : "";
  }
  for (const std::string& dir : split(search_path, ':')) {
    // An empty entry would mean the working directory: not a place to take a tool from.
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

void appendCapped(std::string* out, const char* data, size_t n, size_t cap) {
  if (out->size() < cap) out->append(data, std::min(n, cap - out->size()));
}

// Runs one tool found in `search_path`; what detectGpus does with each vendor's output.
Result<std::vector<models::Gpu>> detectNvidia(const GpuDetectOptions& o,
                                              const std::string& search_path) {
  auto out =
      runTool("nvidia-smi",
              {"--query-gpu=index,name,memory.total,pci.bus_id", "--format=csv,noheader,nounits"},
              search_path, o.timeout);
  if (!out.isOk()) {
    // A driver without devices says so and exits non-zero; that is a node without GPUs.
    if (out.status().message().find("No devices were found") != std::string::npos) {
      return std::vector<models::Gpu>{};
    }
    return out.status();
  }
  return parseNvidiaSmi(*out);
}

Result<std::vector<models::Gpu>> detectAmd(const GpuDetectOptions& o,
                                           const std::string& search_path) {
  COD_ASSIGN_OR_RETURN(
      std::string out,
      runTool("rocm-smi", {"--showproductname", "--showmeminfo", "vram", "--showbus", "--json"},
              search_path, o.timeout));
  return parseRocmSmi(out);
}

Result<std::vector<models::Gpu>> detectIntel(const GpuDetectOptions& o,
                                             const std::string& search_path) {
  COD_ASSIGN_OR_RETURN(std::string out,
                       runTool("xpu-smi", {"discovery", "--json"}, search_path, o.timeout));
  COD_ASSIGN_OR_RETURN(std::vector<models::Gpu> gpus, parseXpuSmiDiscovery(out));
  for (models::Gpu& g : gpus) {
    auto detail = runTool("xpu-smi", {"discovery", "-d", std::to_string(g.index), "--json"},
                          search_path, o.timeout);
    auto memory =
        detail.isOk() ? parseXpuSmiDeviceMemory(*detail) : Result<uint64_t>(detail.status());
    if (memory.isOk()) {
      g.memory = *memory;
    } else {
      spdlog::warn("GPU detection: memory of Intel GPU {} unknown: {}", g.index,
                   memory.status().message());
    }
  }
  return gpus;
}

}  // namespace

std::string normalizePciAddress(std::string_view address) {
  std::string a = toLower(trim(address));
  // nvidia-smi writes an eight-digit domain ("00000000:3b:00.0"); sysfs four.
  size_t colon = a.find(':');
  if (colon == 8 && a.compare(0, 4, "0000") == 0) a.erase(0, 4);
  return a;
}

Result<std::vector<models::Gpu>> parseNvidiaSmi(std::string_view text) {
  std::vector<models::Gpu> gpus;
  std::set<uint64_t> seen;
  size_t line_no = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      return invalidArgument("nvidia-smi output line " + std::to_string(line_no) + " " +
                             quoted(line) + ": " + why);
    };
    std::vector<std::string> fields = split(line, ',');
    if (fields.size() < 4) {
      return bad("expected 4 comma-separated fields (index, name, memory.total, pci.bus_id)");
    }
    models::Gpu g;
    g.vendor = kVendorNvidia;
    if (!parseUint64(trim(fields[0]), &g.index)) {
      return bad("index " + quoted(trim(fields[0])) + " is not a whole number");
    }
    if (!seen.insert(g.index).second) return bad("GPU index " + fields[0] + " appears twice");
    // A name with a comma in it spans several fields; memory and bus ID are the last two.
    std::vector<std::string> name_parts(fields.begin() + 1, fields.end() - 2);
    g.name = std::string(trim(join(name_parts, ",")));
    if (g.name.empty()) return bad("the GPU name is empty");
    std::string_view memory = trim(fields[fields.size() - 2]);
    if (!notAvailable(memory) && !parseUint64(memory, &g.memory)) {
      return bad("memory.total " + quoted(memory) + " is not a whole number of MiB");
    }
    std::string_view bus = trim(fields.back());
    if (!notAvailable(bus)) g.pci_address = normalizePciAddress(bus);
    gpus.push_back(std::move(g));
  }
  return gpus;
}

Result<std::vector<models::Gpu>> parseRocmSmi(std::string_view text) {
  constexpr std::string_view kTool = "rocm-smi";
  COD_ASSIGN_OR_RETURN(bj::object root, parseObject(kTool, text));
  std::vector<models::Gpu> gpus;
  std::set<uint64_t> seen;
  for (const auto& member : root) {
    std::string key = toLower(member.key());
    if (!startsWith(key, "card")) continue;  // "system" and the like
    std::string_view digits = key;
    digits.remove_prefix(4);
    if (!digits.empty() && digits.front() == ':') digits.remove_prefix(1);
    models::Gpu g;
    g.vendor = kVendorAmd;
    if (!parseUint64(digits, &g.index)) {
      return invalidArgument("rocm-smi output: " + quoted(member.key()) +
                             " is not a card number like \"card0\"");
    }
    if (!seen.insert(g.index).second) {
      return invalidArgument("rocm-smi output: card " + std::to_string(g.index) + " appears twice");
    }
    if (!member.value().is_object()) {
      return invalidArgument("rocm-smi output: " + quoted(member.key()) + " is not an object");
    }
    const bj::object& card = member.value().as_object();
    for (std::string_view name_key : {"Card Series", "Card SKU", "Card Model"}) {
      COD_ASSIGN_OR_RETURN(g.name, textMember(kTool, card, name_key));
      if (!g.name.empty()) break;
    }
    COD_ASSIGN_OR_RETURN(std::string vram, textMember(kTool, card, "VRAM Total Memory (B)"));
    COD_ASSIGN_OR_RETURN(g.memory, bytesToMib(kTool, "VRAM Total Memory (B)", vram));
    COD_ASSIGN_OR_RETURN(std::string bus, textMember(kTool, card, "PCI Bus"));
    if (!notAvailable(bus)) g.pci_address = normalizePciAddress(bus);
    gpus.push_back(std::move(g));
  }
  std::sort(gpus.begin(), gpus.end(),
            [](const models::Gpu& a, const models::Gpu& b) { return a.index < b.index; });
  return gpus;
}

Result<std::vector<models::Gpu>> parseXpuSmiDiscovery(std::string_view text) {
  constexpr std::string_view kTool = "xpu-smi";
  COD_ASSIGN_OR_RETURN(bj::object root, parseObject(kTool, text));
  const bj::value* list = models::findKey(root, "device_list");
  if (list == nullptr || list->is_null()) return std::vector<models::Gpu>{};
  if (!list->is_array()) return invalidArgument("xpu-smi output: \"device_list\" is not a list");
  std::vector<models::Gpu> gpus;
  std::set<uint64_t> seen;
  size_t position = 0;
  for (const bj::value& item : list->as_array()) {
    std::string where = "xpu-smi output: device_list[" + std::to_string(position++) + "]";
    if (!item.is_object()) return invalidArgument(where + " is not an object");
    const bj::object& dev = item.as_object();
    COD_ASSIGN_OR_RETURN(std::string type, textMember(kTool, dev, "device_type"));
    if (!type.empty() && !equalsIgnoreCase(type, "GPU")) continue;
    models::Gpu g;
    g.vendor = kVendorIntel;
    COD_ASSIGN_OR_RETURN(std::string id, textMember(kTool, dev, "device_id"));
    if (!parseUint64(id, &g.index)) {
      return invalidArgument(where + ": device_id " + quoted(id) + " is not a whole number");
    }
    if (!seen.insert(g.index).second) {
      return invalidArgument(where + ": device_id " + id + " appears twice");
    }
    COD_ASSIGN_OR_RETURN(g.name, textMember(kTool, dev, "device_name"));
    COD_ASSIGN_OR_RETURN(std::string bus, textMember(kTool, dev, "pci_bdf_address"));
    if (!notAvailable(bus)) g.pci_address = normalizePciAddress(bus);
    gpus.push_back(std::move(g));
  }
  return gpus;
}

Result<uint64_t> parseXpuSmiDeviceMemory(std::string_view text) {
  constexpr std::string_view kTool = "xpu-smi";
  COD_ASSIGN_OR_RETURN(bj::object root, parseObject(kTool, text));
  COD_ASSIGN_OR_RETURN(std::string bytes, textMember(kTool, root, "memory_physical_size_byte"));
  return bytesToMib(kTool, "memory_physical_size_byte", bytes);
}

Result<std::string> runTool(const std::string& program, const std::vector<std::string>& args,
                            const std::string& search_path, std::chrono::milliseconds timeout) {
  std::string path = search_path;
  if (path.empty()) {
    const char* env = std::getenv("PATH");
    path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  }
  std::string exe = findProgram(program, path);
  if (exe.empty()) return notFound(program + " is not installed (not on " + path + ")");

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    return internalError("pipe: " + std::string(strerror(errno)));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return internalError("pipe: " + std::string(strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that a timeout kills whatever it started as well.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<std::string> argv_store;
  argv_store.push_back(exe);
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return unavailable("cannot start " + exe + ": " + strerror(spawned));
  }

  std::string out;
  std::string err;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int ready = poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline is checked at the top
    for (pollfd& p : fds) {
      if (p.fd < 0 || p.revents == 0) continue;
      char buf[8192];
      ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        appendCapped(p.fd == out_pipe[0] ? &out : &err, buf, static_cast<size_t>(n),
                     p.fd == out_pipe[0] ? kMaxToolOutput : 4096);
      } else if (n == 0 || errno != EINTR) {
        close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  // A tool that closed its output may still be running: it gets the rest of its time.
  int wstatus = 0;
  while (!timed_out) {
    pid_t done = waitpid(pid, &wstatus, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    usleep(5000);
  }
  if (timed_out) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) {
    return deadlineExceeded(exe + " did not finish within " + std::to_string(timeout.count()) +
                            " ms and was killed");
  }
  std::string said(trim(err));
  if (said.empty()) said = std::string(trim(out.substr(0, 4096)));
  if (WIFSIGNALED(wstatus)) {
    return unavailable(exe + " was killed by signal " + std::to_string(WTERMSIG(wstatus)) +
                       (said.empty() ? "" : ": " + toValidUtf8(said)));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return unavailable(exe + " exited with status " + std::to_string(WEXITSTATUS(wstatus)) +
                       (said.empty() ? "" : ": " + toValidUtf8(said)));
  }
  return out;
}

std::vector<models::Gpu> detectGpus(const GpuDetectOptions& options) {
  using Detector =
      Result<std::vector<models::Gpu>> (*)(const GpuDetectOptions&, const std::string&);
  struct Vendor {
    const char* tool;
    Detector detect;
  };
  std::vector<models::Gpu> all;
  for (const Vendor& v : {Vendor{"nvidia-smi", detectNvidia}, Vendor{"rocm-smi", detectAmd},
                          Vendor{"xpu-smi", detectIntel}}) {
    auto found = v.detect(options, options.search_path);
    if (!found.isOk()) {
      if (found.status().code() != StatusCode::kNotFound) {
        spdlog::warn(
            "GPU detection: {} failed, so this node offers none of the GPUs it reports: {}", v.tool,
            found.status().message());
      }
      continue;
    }
    for (models::Gpu& g : *found) {
      spdlog::info("GPU detected: {} {} {} ({} MiB, PCI {})", g.index, g.vendor, g.name, g.memory,
                   g.pci_address.empty() ? "unknown" : g.pci_address);
      all.push_back(std::move(g));
    }
  }
  return all;
}

}  // namespace cod::compute
