#include "executor/sandbox/node_runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/json/array.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/ids.h"
#include "common/strings.h"
#include "models/json.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;

std::string findOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  for (const std::string& dir : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool under(const std::string& path, const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs) {
    std::error_code ec;
    std::string real = fs::weakly_canonical(d, ec).string();
    if (ec) continue;
    if (path == real || path.starts_with(real + "/")) return true;
  }
  return false;
}

}  // namespace

NodeRuntime::NodeRuntime(NodeRuntimeConfig config) : config_(std::move(config)) {
  if (config_.node.empty()) config_.node = "node";
}

bool NodeRuntime::available() {
  std::call_once(probed_, [this] { probe(); });
  return available_;
}

std::string NodeRuntime::describe() {
  available();
  return description_;
}

int NodeRuntime::majorVersion() {
  available();
  return major_;
}

void NodeRuntime::probe() {
  std::string found = findOnPath(config_.node);
  std::error_code ec;
  node_path_ = found.empty() ? "" : fs::canonical(found, ec).string();
  if (node_path_.empty() || ec) {
    description_ = "no node executable (" + config_.node + ") on this machine";
    return;
  }
  system_paths_ = SandboxSpec::defaultSystemPaths();
  // Node installed outside the system folders (a tarball in /opt, say) comes with its folder.
  if (!under(node_path_, system_paths_)) {
    system_paths_.push_back(fs::path(node_path_).parent_path().parent_path().string());
  }
  fs::path root = fs::path(config_.work_dir) / "root";
  fs::create_directories(root, ec);
  // One check per node binary and user for the whole process: the wasm and python engines (and
  // the tests' many executors) share it instead of each starting a sandbox at start-up.
  static std::mutex mu;
  static std::map<std::string, Probe> probes;
  const std::string key =
      node_path_ + ":" + std::to_string(config_.uid) + ":" + std::to_string(config_.gid);
  std::lock_guard lock(mu);
  auto it = probes.find(key);
  if (it == probes.end()) it = probes.emplace(key, probeInSandbox(root.string())).first;
  available_ = it->second.available;
  major_ = it->second.major;
  description_ = it->second.description;
}

NodeRuntime::Probe NodeRuntime::probeInSandbox(const std::string& root) const {
  std::error_code ec;
  fs::path out = fs::path(config_.work_dir) / ("probe-" + newUuid());
  SandboxSpec s;
  s.root_dir = root;
  s.system_paths = system_paths_;
  s.argv = {node_path_, "--version"};
  s.uid = config_.uid;
  s.gid = config_.gid;
  s.stdout_path = out.string();
  s.stderr_path = out.string() + ".err";
  s.timeout = std::chrono::seconds(30);
  CancelToken never;
  auto r = runSandboxed(s, never);
  std::ifstream in(out);
  std::string version;
  std::getline(in, version);
  std::ifstream err_in(s.stderr_path);
  std::stringstream err;
  err << err_in.rdbuf();
  fs::remove(out, ec);
  fs::remove(s.stderr_path, ec);
  if (!r.isOk()) return {false, 0, r.status().message()};
  if (r->exit_code != 0 || !version.starts_with("v")) {
    return {false, 0,
            node_path_ + " --version failed in the sandbox (exit " + std::to_string(r->exit_code) +
                "): " + std::string(trim(err.str()))};
  }
  int major = std::atoi(version.c_str() + 1);
  if (major < 18) {
    return {false, major, "node " + version + " is too old; node:wasi needs Node.js 18 or later"};
  }
  return {true, major, "node " + version};
}

Result<RunnerRun> NodeRuntime::runner(const std::vector<std::string>& node_flags,
                                      const std::string& script, const std::string& marker,
                                      const std::vector<std::string>& args,
                                      std::vector<SandboxMount> mounts) const {
  RunnerRun run;
  run.args = UniqueFd(memfd_create("cod-runner-args", MFD_CLOEXEC));
  run.report = UniqueFd(memfd_create("cod-runner-report", MFD_CLOEXEC));
  if (run.args.get() < 0 || run.report.get() < 0) {
    return internalError(std::string("memfd_create: ") + std::strerror(errno));
  }
  boost::json::array json;
  for (const std::string& a : args) json.emplace_back(a);
  std::string text = models::serialize(json);
  if (pwrite(run.args.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return internalError(std::string("writing the runner's arguments: ") + std::strerror(errno));
  }
  SandboxSpec& s = run.spec;
  s.root_dir = (fs::path(config_.work_dir) / "root").string();
  s.system_paths = system_paths_;
  s.mounts = std::move(mounts);
  // Experimental-feature warnings would land in the task's stderr; the fast-API flag avoids
  // Node's WASI use-after-free after memory.grow (nodejs/node#46777).
  s.argv = {node_path_, "--no-warnings", "--no-turbo-fast-api-calls"};
  s.argv.insert(s.argv.end(), node_flags.begin(), node_flags.end());
  s.argv.insert(s.argv.end(), {script, "--sandbox", marker, "--args-fd", "3", "--report-fd", "4"});
  s.inherited_fds = {run.args.get(), run.report.get()};
  s.uid = config_.uid;
  s.gid = config_.gid;
  return run;
}

std::string RunnerRun::reported() const {
  std::string text(4096, '\0');
  ssize_t n = pread(report.get(), text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

Status writeScript(const fs::path& path, std::string_view text) {
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream current;
    current << in.rdbuf();
    if (in && current.str() == text) return Status::ok();
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return internalError("cannot write " + tmp.string());
  fs::permissions(tmp,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read,
                  ec);
  fs::rename(tmp, path, ec);
  if (ec) return internalError("cannot write " + path.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace cod::executor
