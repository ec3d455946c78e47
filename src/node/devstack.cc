#include "node/devstack.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/strings.h"
#include "node/node_identity.h"

namespace cod::node {

namespace fs = std::filesystem;

Devstack::Devstack(DevstackOptions options, std::string data_dir, std::string nats_url,
                   std::string token)
    : options_(std::move(options)),
      data_dir_(std::move(data_dir)),
      nats_url_(std::move(nats_url)),
      token_(std::move(token)) {}

Devstack::~Devstack() { stop(); }

Status Devstack::start() {
  std::string self = fs::read_symlink("/proc/self/exe").string();
  for (int i = 0; i < options_.computes; ++i) {
    Child c;
    c.dir = (fs::path(data_dir_) / ("compute-" + std::to_string(i))).string();
    // The child reads the same file, so we know its ID before it starts.
    COD_ASSIGN_OR_RETURN(c.node_id, loadOrCreateNodeId(c.dir + "/compute", ""));
    int publisher_port = options_.base.publisher_port == 0 ? 0 : options_.base.publisher_port + i;
    std::vector<std::string> args{self,
                                  "serve",
                                  "--compute",
                                  "--data-dir",
                                  c.dir,
                                  "--orchestrators",
                                  nats_url_,
                                  "--token",
                                  token_,
                                  "--publisher-port",
                                  std::to_string(publisher_port),
                                  "--advertise-address",
                                  options_.base.advertise_address,
                                  "--log-level",
                                  options_.base.log_level};
    if (options_.base.allow_networked_jobs) args.emplace_back("--allow-networked-jobs");
    for (const auto& [flag, names] :
         {std::pair{"--disable-engines", &options_.base.disabled_engines},
          std::pair{"--disable-input-sources", &options_.base.disabled_input_sources},
          std::pair{"--disable-publishers", &options_.base.disabled_publishers}}) {
      if (!names->empty()) args.insert(args.end(), {flag, join(*names, ",")});
    }
    for (const auto& path : options_.base.allow_listed_local_paths) {
      args.insert(args.end(), {"--allow-listed-local-paths", path});
    }
    if (options_.base.allow_host_network) args.emplace_back("--allow-host-network");
    args.insert(args.end(), {"--input-cache-size", options_.base.input_cache_size});
    args.insert(args.end(), {"--pyodide-dir", options_.base.pyodide_dir});
    if (!options_.base.ipfs_connect.empty()) {
      args.insert(args.end(), {"--ipfs-connect", options_.base.ipfs_connect});
    }
    if (!options_.base.publisher_host.empty()) {
      args.insert(args.end(), {"--publisher-host", options_.base.publisher_host});
    }
    if (!options_.base.docker_socket.empty()) {
      args.insert(args.end(), {"--docker-socket", options_.base.docker_socket});
    }
    if (!options_.base.docker_capabilities.empty()) {
      args.insert(args.end(),
                  {"--docker-capabilities", join(options_.base.docker_capabilities, ",")});
    }
    if (options_.base.docker_read_only_root) args.emplace_back("--docker-read-only-root");
    if (!options_.base.docker_user.empty()) {
      args.insert(args.end(), {"--docker-user", options_.base.docker_user});
    }
    if (options_.base.docker_require_userns_remap) {
      args.emplace_back("--docker-require-userns-remap");
    }
    if (std::string ca = localNatsCaFile(options_.base); !ca.empty()) {
      args.insert(args.end(), {"--tls-ca-file", ca});
    }
    // Mutual TLS on one machine: the nodes show the server's own certificate.
    if (!options_.base.nats_tls_client_ca_file.empty()) {
      args.insert(args.end(), {"--tls-cert-file", options_.base.nats_tls_cert_file,
                               "--tls-key-file", options_.base.nats_tls_key_file});
    }
    for (const auto& [k, v] : options_.base.labels) args.insert(args.end(), {"-l", k + "=" + v});
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return internalError("cannot start a compute node: fork failed");
    if (pid == 0) {
      // The child goes when devstack goes, however devstack ends.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      sigset_t none;
      sigemptyset(&none);
      pthread_sigmask(SIG_SETMASK, &none, nullptr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    c.pid = pid;
    spdlog::info("devstack: compute node {} started (pid {})", c.node_id, pid);
    std::lock_guard lock(mu_);
    children_.push_back(std::move(c));
  }
  COD_RETURN_IF_ERROR(writeManifest());
  monitor_ = std::thread([this] { monitor(); });
  return Status::ok();
}

Status Devstack::writeManifest() {
  boost::json::array computes;
  {
    std::lock_guard lock(mu_);
    for (const auto& c : children_) {
      computes.push_back(
          boost::json::object{{"NodeID", c.node_id}, {"PID", c.pid}, {"DataDir", c.dir}});
    }
  }
  boost::json::object manifest{{"PID", static_cast<int64_t>(getpid())},
                               {"NATS", nats_url_},
                               {"Computes", std::move(computes)}};
  std::string path = (fs::path(data_dir_) / "devstack.json").string();
  std::ofstream out(path, std::ios::trunc);
  out << boost::json::serialize(manifest) << "\n";
  if (!out) return internalError("cannot write " + path);
  return Status::ok();
}

void Devstack::monitor() {
  // Only our own children are waited for: nats-server is another child, reaped by its supervisor.
  while (!stopping_) {
    {
      std::lock_guard lock(mu_);
      for (auto& c : children_) {
        if (c.pid <= 0) continue;
        int status = 0;
        if (waitpid(c.pid, &status, WNOHANG) != c.pid) continue;
        if (!stopping_) {
          spdlog::warn("devstack: compute node {} (pid {}) exited ({}); not restarting it",
                       c.node_id, c.pid,
                       WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                           : "code " + std::to_string(WEXITSTATUS(status)));
        }
        c.pid = -1;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool Devstack::waitForNodes(orchestrator::Orchestrator& orchestrator, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t connected = orchestrator.nodes().schedulableNodes().size();
    if (connected >= static_cast<size_t>(options_.computes)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Devstack::stop() {
  if (stopping_.exchange(true)) return;
  if (monitor_.joinable()) monitor_.join();
  std::vector<pid_t> pids;
  {
    std::lock_guard lock(mu_);
    for (const auto& c : children_) {
      if (c.pid > 0) pids.push_back(c.pid);
    }
  }
  for (pid_t p : pids) kill(p, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (pid_t p : pids) {
    while (waitpid(p, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(p, SIGKILL);
        waitpid(p, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace cod::node
