#include "transport/nats/nats_server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/close_range.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "common/units.h"
#include "models/json.h"
#include "transport/nats/subjects.h"

namespace cod::transport {

namespace fs = std::filesystem;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
// A server that ran this long before dying gets the shortest restart delay again.
constexpr auto kHealthyRun = std::chrono::minutes(1);

std::string errnoText(int err) { return std::error_code(err, std::system_category()).message(); }

bool isWildcardHost(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

// The host a local client dials for a listen address.
std::string dialHost(const std::string& host) {
  if (isWildcardHost(host)) return "127.0.0.1";
  if (host.find(':') != std::string::npos && !startsWith(host, "[")) return "[" + host + "]";
  return host;
}

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigdescr_np(WTERMSIG(status));
    return "was killed by signal " + std::to_string(WTERMSIG(status)) +
           (name != nullptr ? std::string(" (") + name + ")" : "");
  }
  return "stopped (wait status " + std::to_string(status) + ")";
}

Status validateToken(const std::string& token, const std::string& source) {
  if (token.empty()) return invalidArgument("the NATS token from " + source + " is empty");
  for (char c : token) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == '"' || c == '\\') {
      return invalidArgument("the NATS token from " + source +
                             " may only contain printable ASCII without spaces, quotes or "
                             "backslashes");
    }
  }
  return Status::ok();
}

std::string newToken() {
  unsigned char bytes[24];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    COD_CHECK(n > 0 || errno == EINTR) << "getrandom failed: " << errnoText(errno);
    if (n > 0) got += static_cast<size_t>(n);
  }
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// Writes a file only its owner can read, replacing what was there.
Status writePrivateFile(const fs::path& path, const std::string& content, bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return internalError("cannot write " + path.string() + ": " + errnoText(errno));
  Status s;
  if (fchmod(fd, 0600) != 0 ||
      ::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    s = internalError("cannot write " + path.string() + ": " + errnoText(errno));
  }
  ::close(fd);
  return s;
}

// Replaces `path` whole: a reader (nats-server starting again, cod after a kill -9) sees the old
// content or the new, never a truncated file.
Status replacePrivateFile(const fs::path& path, const std::string& content) {
  fs::path fresh = path;
  fresh += ".new";
  COD_RETURN_IF_ERROR(writePrivateFile(fresh, content, /*exclusive=*/false));
  std::error_code ec;
  fs::rename(fresh, path, ec);
  if (ec) return internalError("cannot replace " + path.string() + ": " + ec.message());
  return Status::ok();
}

Result<std::string> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return internalError("cannot read " + path.string() + ": " + errnoText(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// nats-server writes {"nats":["nats://127.0.0.1:43605"],…} once it listens; 0 until then.
int portFromPortsFile(const fs::path& dir, pid_t pid) {
  const std::string suffix = "_" + std::to_string(pid) + ".ports";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!endsWith(name, suffix)) continue;
    auto text = readFile(entry.path());
    if (!text.isOk()) return 0;
    auto json = models::parseJson(*text);
    if (!json.isOk() || !json->is_object()) return 0;  // still being written
    const auto* urls = models::findKey(json->as_object(), "nats");
    if (urls == nullptr || !urls->is_array() || urls->as_array().empty() ||
        !urls->as_array()[0].is_string()) {
      return 0;
    }
    std::string url(urls->as_array()[0].as_string());
    int64_t port = 0;
    auto colon = url.rfind(':');
    if (colon == std::string::npos || !parseInt64(url.substr(colon + 1), &port)) return 0;
    return static_cast<int>(port);
  }
  return 0;
}

bool acceptsConnections(const std::string& listen_host, int port) {
  std::string host = dialHost(listen_host);
  if (startsWith(host, "[")) host = host.substr(1, host.size() - 2);
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return true;  // a host name: the ports file is proof enough
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  ::close(fd);
  return ok;
}

Result<std::string> findBinary(const std::string& binary) {
  if (binary.find('/') != std::string::npos) {
    if (access(binary.c_str(), X_OK) == 0) return binary;
    return failedPrecondition("cannot run nats-server at " + binary + ": " + errnoText(errno));
  }
  std::vector<std::string> dirs;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing in cod changes the environment.
  if (const char* path = getenv("PATH")) dirs = split(path, ':');
  for (const char* extra : {"/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"}) {
    dirs.emplace_back(extra);
  }
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    std::string candidate = dir;
    candidate += '/';
    candidate += binary;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return failedPrecondition(binary +
                            " was not found in PATH: install it (apt-get install "
                            "nats-server), set the path to it, or use an existing NATS server "
                            "with --nats-url");
}

// The config's tls block for a certificate and key ("" without TLS). nats-server reads the files
// itself, at every start; they are checked here so that a typo is one clear error, not a child
// that dies at once.
Result<std::string> tlsBlock(const std::string& cert_file, const std::string& key_file,
                             const std::string& client_ca_file) {
  if (cert_file.empty() && key_file.empty() && client_ca_file.empty()) return std::string();
  if (cert_file.empty() || key_file.empty()) {
    return invalidArgument(
        "NATS TLS needs both a certificate and its key (--nats-tls-cert-file and "
        "--nats-tls-key-file)");
  }
  std::string block = "tls {\n";
  std::vector<std::pair<const char*, std::string>> files = {{"cert_file", cert_file},
                                                            {"key_file", key_file}};
  if (!client_ca_file.empty()) files.emplace_back("ca_file", client_ca_file);
  for (const auto& [key, file] : files) {
    std::error_code ec;
    fs::path path = fs::absolute(file, ec);
    if (!ec && access(path.c_str(), R_OK) != 0) ec = std::error_code(errno, std::system_category());
    if (ec) {
      return invalidArgument("cannot read the NATS TLS " + std::string(key) + " " + file + ": " +
                             ec.message());
    }
    if (path.string().find_first_of("\"\\\n") != std::string::npos) {
      return invalidArgument("the NATS TLS " + std::string(key) + " path " + file +
                             " has a quote, backslash or newline in it: move the file");
    }
    block += "  " + std::string(key) + ": \"" + path.string() + "\"\n";
  }
  // Mutual TLS: every client shows a certificate the CA file trusts.
  if (!client_ca_file.empty()) block += "  verify: true\n";
  // A handshake slower than nats-server's 0.5 s default fails on a busy 2-core machine.
  block += "  timeout: 5\n}\n";
  return block;
}

}  // namespace

Result<std::string> loadOrCreateSecret(const fs::path& file) {
  std::error_code ec;
  std::string text;
  if (fs::exists(file, ec)) {
    COD_ASSIGN_OR_RETURN(text, readFile(file));
  }
  if (trim(text).empty()) {
    fs::path fresh = file;
    fresh += ".new";
    COD_RETURN_IF_ERROR(writePrivateFile(fresh, newToken() + "\n", /*exclusive=*/false));
    // link() refuses to replace a file another process made meanwhile: the first one wins.
    if (::link(fresh.c_str(), file.c_str()) != 0 && errno == EEXIST &&
        fs::file_size(file, ec) == 0) {
      fs::rename(fresh, file, ec);
    }
    fs::remove(fresh, ec);
    COD_ASSIGN_OR_RETURN(text, readFile(file));
  }
  std::string secret(trim(text));
  COD_RETURN_IF_ERROR(validateToken(secret, file.string()));
  // Whoever reads it can command compute nodes: keep it private even if it was copied in.
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace,
                  ec);
  return secret;
}

namespace {

// What may stand in a quoted string of the server's configuration, and in a subject.
Status validateNodeUser(const std::string& node_id, const std::string& secret) {
  bool id_ok = !node_id.empty() && node_id.size() <= 200 && node_id != kNatsOrchestratorUser &&
               node_id != kNatsJoinUser;
  for (char c : node_id) {
    id_ok = id_ok && (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                      std::string_view("._:@-").find(c) != std::string_view::npos);
  }
  if (!id_ok) {
    return invalidArgument("node ID \"" + node_id +
                           "\" cannot have NATS credentials of its own: use at most 200 letters, "
                           "digits and . _ : @ - (and not " +
                           std::string(kNatsOrchestratorUser) + " or " + kNatsJoinUser + ")");
  }
  bool secret_ok = secret.size() >= 32 && secret.size() <= 128;
  for (char c : secret) secret_ok = secret_ok && std::isalnum(static_cast<unsigned char>(c)) != 0;
  if (!secret_ok) {
    return invalidArgument("the secret of node " + node_id +
                           " must be 32 to 128 letters and digits");
  }
  return Status::ok();
}

// The nodes file: "<id> <secret>" per line.
Result<std::map<std::string, std::string>> readNodes(const fs::path& file) {
  std::map<std::string, std::string> nodes;
  std::error_code ec;
  if (!fs::exists(file, ec)) return nodes;
  COD_ASSIGN_OR_RETURN(std::string text, readFile(file));
  for (const std::string& line : split(text, '\n')) {
    std::string_view l = trim(line);
    if (l.empty()) continue;
    size_t space = l.find(' ');
    std::string id(l.substr(0, space));
    std::string secret(space == std::string_view::npos ? "" : trim(l.substr(space + 1)));
    Status s = validateNodeUser(id, secret);
    if (!s.isOk()) return std::move(s).prepend(file.string());
    nodes[id] = secret;
  }
  return nodes;
}

std::string confString(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string allowList(const std::vector<std::string>& subjects) {
  std::string out = "[";
  for (const auto& subject : subjects) out += (out.size() > 1 ? ", " : "") + confString(subject);
  return out + "]";
}

std::string userEntry(const std::string& user, const std::string& password,
                      const std::vector<std::string>& publish,
                      const std::vector<std::string>& subscribe) {
  return "    {user: " + confString(user) + ", password: " + confString(password) +
         ", permissions: {publish: {allow: " + allowList(publish) +
         "}, subscribe: {allow: " + allowList(subscribe) + "}}}\n";
}

}  // namespace

NatsServerProcess::NatsServerProcess(NatsServerOptions options) : options_(std::move(options)) {}

NatsServerProcess::~NatsServerProcess() { stop(); }

Status NatsServerProcess::prepareFiles() {
  if (options_.data_dir.empty()) return invalidArgument("NatsServerProcess: no data dir given");
  dir_ = options_.data_dir / "nats";
  std::error_code ec;
  fs::create_directories(dir_ / "store", ec);
  if (ec) return internalError("cannot create " + (dir_ / "store").string() + ": " + ec.message());
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);

  COD_ASSIGN_OR_RETURN(binary_path_, findBinary(options_.binary));

  if (!options_.token.empty()) {
    COD_RETURN_IF_ERROR(validateToken(options_.token, "the configuration"));
    token_ = options_.token;
  } else {
    COD_ASSIGN_OR_RETURN(token_, loadOrCreateSecret(dir_ / "token"));
  }

  if (options_.node_credentials) {
    COD_ASSIGN_OR_RETURN(orchestrator_password_,
                         loadOrCreateSecret(dir_ / "orchestrator-password"));
    COD_ASSIGN_OR_RETURN(nodes_, readNodes(dir_ / "nodes"));
  }
  COD_ASSIGN_OR_RETURN(tls_block_, tlsBlock(options_.tls_cert_file, options_.tls_key_file,
                                            options_.tls_client_ca_file));
  COD_RETURN_IF_ERROR(
      writePrivateFile(dir_ / "nats-server.conf", configText(), /*exclusive=*/false));
  COD_RETURN_IF_ERROR(writePrivateFile(dir_ / "nats-server.log", "", /*exclusive=*/false));
  // Ports files of servers that were killed before they could remove theirs.
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() == ".ports") fs::remove(entry.path(), ec);
  }
  return Status::ok();
}

std::string NatsServerProcess::configText() const {
  std::string conf =
      "# Written by cod (at every start, and as nodes are admitted): edits are lost.\n";
  if (!options_.node_credentials) {
    conf += "authorization {\n  token: " + confString(token_) + "\n}\n";
  } else {
    conf += "authorization {\n  users: [\n    {user: " + confString(kNatsOrchestratorUser) +
            ", password: " + confString(orchestrator_password_) + "}\n";
    conf += userEntry(kNatsJoinUser, token_, {kNatsJoinSubject},
                      {std::string(kNatsJoinInboxPrefix) + ".>"});
    std::lock_guard lock(nodes_mu_);
    for (const auto& [id, secret] : nodes_) {
      conf += userEntry(id, secret,
                        {natsControlSubject(id), natsToOrchestratorSubject(id),
                         std::string(kNatsLogReplyPrefix) + "*"},
                        {natsComputeSubject(id), natsComputeLogsSubject(id),
                         natsComputeLogAcksSubject(id), natsNodeInboxPrefix(id) + ".>"});
    }
    conf += "  ]\n}\n";
  }
  conf += "max_payload: " + std::to_string(options_.max_payload_bytes) + "\n" + tls_block_;
  return conf;
}

Status NatsServerProcess::admitNode(const std::string& node_id, const std::string& secret) {
  if (!options_.node_credentials) {
    return failedPrecondition("this NATS server has no per-node credentials");
  }
  COD_RETURN_IF_ERROR(validateNodeUser(node_id, secret));
  std::lock_guard admission(admit_mu_);
  {
    std::lock_guard lock(nodes_mu_);
    auto it = nodes_.find(node_id);
    if (it != nodes_.end()) {
      if (CRYPTO_memcmp(it->second.data(), secret.data(),
                        std::min(it->second.size(), secret.size())) == 0 &&
          it->second.size() == secret.size()) {
        return Status::ok();
      }
      return failedPrecondition("node ID " + node_id + " is taken by a node with other credentials")
          .withHint("if it is that node with a new data dir, run `cod node delete " + node_id +
                    "` first; otherwise start this node with another --name");
    }
    nodes_[node_id] = secret;
  }
  Status applied = applyNodes();
  if (!applied.isOk()) {
    {
      std::lock_guard lock(nodes_mu_);
      nodes_.erase(node_id);
    }
    // The files (and perhaps the server) have the node: take it out again, as far as possible.
    Status undone = applyNodes();
    if (!undone.isOk()) spdlog::warn("nats-server: {}", undone.message());
  }
  return applied;
}

Status NatsServerProcess::removeNode(const std::string& node_id) {
  if (!options_.node_credentials) return Status::ok();
  std::lock_guard admission(admit_mu_);
  {
    std::lock_guard lock(nodes_mu_);
    if (nodes_.erase(node_id) == 0) return Status::ok();
  }
  return applyNodes();
}

std::vector<std::string> NatsServerProcess::admittedNodes() const {
  std::lock_guard lock(nodes_mu_);
  std::vector<std::string> out;
  for (const auto& entry : nodes_) out.push_back(entry.first);
  return out;
}

std::optional<std::string> NatsServerProcess::nodeSecret(const std::string& node_id) const {
  std::lock_guard lock(nodes_mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

Status NatsServerProcess::applyNodes() {
  std::string listing;
  {
    std::lock_guard lock(nodes_mu_);
    for (const auto& [id, secret] : nodes_) listing += id + " " + secret + "\n";
  }
  COD_RETURN_IF_ERROR(replacePrivateFile(dir_ / "nodes", listing));
  COD_RETURN_IF_ERROR(replacePrivateFile(dir_ / "nats-server.conf", configText()));
  // SIGHUP makes the server reload; it logs the outcome. A server that is (re)starting reads the
  // new file anyway, but must not get the signal before it handles it (it would die of it).
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  const fs::path log_path = dir_ / "nats-server.log";
  std::error_code ec;
  uintmax_t from = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::ok();
      if (pid_ > 0 && ready_) {
        from = fs::file_size(log_path, ec);
        if (ec) from = 0;
        kill(pid_, SIGHUP);
        break;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return unavailable("nats-server was not running to take the new node");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(log_path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(from));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("Reloaded server configuration") != std::string::npos) return Status::ok();
    if (size_t at = text.find("Failed to reload"); at != std::string::npos) {
      return internalError("nats-server refused its new configuration: " +
                           std::string(trim(text.substr(at, text.find('\n', at) - at))));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return unavailable("nats-server did not reload its configuration within " +
                     formatDuration(options_.start_timeout));
}

Status NatsServerProcess::start() {
  COD_CHECK(!monitor_.joinable()) << "NatsServerProcess::start called twice";
  COD_RETURN_IF_ERROR(prepareFiles());
  std::promise<Status> started;
  auto result = started.get_future();
  // The monitor thread forks every child: PR_SET_PDEATHSIG fires when the *thread* that forked
  // exits, so forking from the caller's (possibly short-lived) thread would kill the server early.
  monitor_ = std::thread([this, p = std::move(started)]() mutable { monitor(std::move(p)); });
  Status s = result.get();
  if (!s.isOk()) {
    stop();
    return s;
  }
  spdlog::info("nats-server listening on {} (pid {}, files in {})", url(), pid(), dir_.string());
  return Status::ok();
}

Status NatsServerProcess::spawn() {
  std::vector<std::string> args = {binary_path_,
                                   "-c",
                                   (dir_ / "nats-server.conf").string(),
                                   "-a",
                                   isWildcardHost(options_.host) ? "0.0.0.0" : options_.host,
                                   "-p",
                                   "",
                                   "--ports_file_dir",
                                   dir_.string(),
                                   "-P",
                                   (dir_ / "nats-server.pid").string(),
                                   "-sd",
                                   (dir_ / "store").string()};
  {
    std::lock_guard lock(mu_);
    int port = port_ > 0 ? port_ : options_.port;
    args[6] = port > 0 ? std::to_string(port) : "-1";
  }
  if (options_.jetstream) args.emplace_back("-js");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const fs::path log_path = dir_ / "nats-server.log";
  std::error_code ec;
  const uintmax_t offset = fs::file_size(log_path, ec);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int err_pipe[2] = {-1, -1};
  if (log_fd < 0 || null_fd < 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    for (int fd : {log_fd, null_fd, err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return internalError("cannot prepare to start nats-server: " + errnoText(err));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // cod died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe): one thread here
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) sigaction(sig, &dfl, nullptr);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    // Whatever else cod had open (sockets, databases) must not leak into the server.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    execv(argv[0], argv.data());
    int err = errno;
    (void)!::write(err_pipe[1], &err, sizeof(err));
    _exit(127);
  }
  int fork_errno = errno;
  ::close(log_fd);
  ::close(null_fd);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(err_pipe[0]);
    return internalError("cannot start nats-server: fork: " + errnoText(fork_errno));
  }
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_pipe[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  ::close(err_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    waitpid(pid, nullptr, 0);
    return failedPrecondition("cannot run " + binary_path_ + ": " + errnoText(exec_errno));
  }
  std::lock_guard lock(mu_);
  pid_ = pid;
  ready_ = false;
  log_offset_ = offset;
  return Status::ok();
}

Status NatsServerProcess::waitReady(std::unique_lock<std::mutex>& lock) {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (true) {
    if (stopping_) {
      kill(pid_, SIGTERM);
      return cancelled("nats-server start interrupted by stop");
    }
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid == pid_) {
      int status = 0;
      bool reaped = waitpid(pid_, &status, 0) == pid_;
      pid_ = -1;
      return unavailable("nats-server " + (reaped ? describeWaitStatus(status) : "exited") +
                         " while starting: " + outputTail());
    }
    if (int port = portFromPortsFile(dir_, pid_);
        port > 0 && acceptsConnections(options_.host, port)) {
      port_ = port;
      ready_ = true;
      return Status::ok();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return unavailable("nats-server did not accept connections within " +
                         formatDuration(options_.start_timeout) + ": " + outputTail());
    }
    cv_.wait_for(lock, kPollInterval);
  }
}

int NatsServerProcess::waitExit() {
  pid_t pid;
  {
    std::lock_guard lock(mu_);
    pid = pid_;
  }
  // Wait without reaping, so that stop() may signal pid_ until the moment it is reaped below.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  std::lock_guard lock(mu_);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) status = 0;  // reaped elsewhere (SIGCHLD ignored?)
  pid_ = -1;
  return status;
}

void NatsServerProcess::monitor(std::promise<Status> started) {
  Status s = spawn();
  if (s.isOk()) {
    std::unique_lock lock(mu_);
    s = waitReady(lock);
  }
  bool have_child;
  {
    std::lock_guard lock(mu_);
    have_child = pid_ > 0;
  }
  started.set_value(s);
  if (!s.isOk() && !have_child) {
    std::lock_guard lock(mu_);
    exited_ = true;
    cv_.notify_all();
    return;
  }
  Duration backoff = options_.restart_backoff_min;
  auto running_since = std::chrono::steady_clock::now();
  while (true) {
    if (have_child) {
      int status = waitExit();
      std::lock_guard lock(mu_);
      if (stopping_) break;
      if (std::chrono::steady_clock::now() - running_since > kHealthyRun) {
        backoff = options_.restart_backoff_min;
      }
      spdlog::warn("nats-server {}; restarting it on port {} in {}. Its last output: {}",
                   describeWaitStatus(status), port_, formatDuration(backoff), outputTail());
    }
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) break;
    }
    backoff = std::min<Duration>(backoff * 2, options_.restart_backoff_max);
    Status r = spawn();
    std::unique_lock lock(mu_);
    if (r.isOk()) r = waitReady(lock);
    have_child = pid_ > 0;
    if (r.isOk()) {
      ++restarts_;
      running_since = std::chrono::steady_clock::now();
      spdlog::info("nats-server restarted (pid {}) on port {}", pid_, port_);
    } else if (!have_child) {
      spdlog::error("restarting nats-server failed: {}", r.message());
    }
  }
  std::lock_guard lock(mu_);
  exited_ = true;
  cv_.notify_all();
}

void NatsServerProcess::stop() {
  std::unique_lock lock(mu_);
  if (!monitor_.joinable()) return;
  if (!stopping_) {
    stopping_ = true;
    if (pid_ > 0) kill(pid_, SIGTERM);
    cv_.notify_all();
  }
  if (!cv_.wait_for(lock, options_.stop_grace, [this] { return exited_; })) {
    if (pid_ > 0) {
      spdlog::warn("nats-server (pid {}) did not stop within {}; killing it", pid_,
                   formatDuration(options_.stop_grace));
      kill(pid_, SIGKILL);
    }
    cv_.wait(lock, [this] { return exited_; });
  }
  lock.unlock();
  monitor_.join();
}

std::string NatsServerProcess::url() const {
  std::lock_guard lock(mu_);
  const char* scheme = options_.tls_cert_file.empty() ? "nats://" : "tls://";
  return scheme + dialHost(options_.host) + ":" + std::to_string(port_);
}

int NatsServerProcess::port() const {
  std::lock_guard lock(mu_);
  return port_;
}

pid_t NatsServerProcess::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

int NatsServerProcess::restarts() const {
  std::lock_guard lock(mu_);
  return restarts_;
}

std::string NatsServerProcess::outputTail() const {
  constexpr uintmax_t kMaxTail = 4096;
  const fs::path log_path = dir_ / "nats-server.log";
  std::error_code ec;
  uintmax_t size = fs::file_size(log_path, ec);
  if (ec || size <= log_offset_) return "(no output)";
  uintmax_t from = std::max(log_offset_, size > kMaxTail ? size - kMaxTail : 0);
  std::ifstream in(log_path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(from));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  for (auto& line : split(text, '\n')) {
    std::string_view l = trim(line);
    if (l.empty()) continue;
    // "[1234] 2024/01/01 10:00:00.000000 [ERR] message" → "[ERR] message"
    if (startsWith(l, "[")) {
      auto level = l.find(" [", 1);
      if (level != std::string_view::npos) l = l.substr(level + 1);
    }
    lines.emplace_back(l);
  }
  if (lines.empty()) return "(no output)";
  if (lines.size() > 5) lines.erase(lines.begin(), lines.end() - 5);
  return join(lines, " | ");
}

}  // namespace cod::transport
