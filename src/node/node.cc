#include "node/node.h"

#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/strings.h"
#include "common/version.h"
#include "node/devstack.h"
#include "node/stacks.h"

namespace cod::node {

namespace fs = std::filesystem;

std::string defaultPyodideDir() {
  const char* dir = std::getenv("COD_PYODIDE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/local/lib/cod/pyodide";
}

std::string apiListenHost(const ServeOptions& options) {
  if (!options.api_host.empty()) return options.api_host;
  return options.api_users.empty() ? "127.0.0.1" : "0.0.0.0";
}

std::string resolveDataDir(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("COD_DIR"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cod";
}

std::string localNatsCaFile(const ServeOptions& options) {
  if (!options.tls_ca_file.empty()) return options.tls_ca_file;
  if (options.nats_tls_cert_file.empty()) return "";
  std::error_code ec;
  fs::path cert = fs::absolute(options.nats_tls_cert_file, ec);
  return ec ? options.nats_tls_cert_file : cert.string();
}

sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void waitForStopSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
}

// The data dir holds job specs (with their secrets), the NATS token and results: it is made, or
// made again, owner only (0700).
Status makeDataDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return internalError("cannot create the data dir " + dir + ": " + ec.message());
  return Status::ok();
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || startsWith(host, "127.");
}

// Says once, at start, who can reach the API.
void announceApiExposure(const ServeOptions& o) {
  std::string host = apiListenHost(o);
  if (o.api_users.empty()) {
    if (o.api_host.empty()) {
      std::printf(
          "the API answers on 127.0.0.1 only: no API users are configured (API.Auth.Users); "
          "configure users to serve other hosts, or name an address with --api-host\n");
    } else if (!isLoopback(host)) {
      spdlog::warn(
          "the API on {} lets in anyone who reaches it: no API users are configured "
          "(API.Auth.Users)",
          host);
    }
  } else if (!isLoopback(host) && o.api_tls_cert_file.empty()) {
    spdlog::warn(
        "API keys and passwords reach {} in the clear: serve HTTPS with --api-tls-cert-file and "
        "--api-tls-key-file",
        host);
  }
}

const char* apiScheme(const ServeOptions& o) {
  return o.api_tls_cert_file.empty() ? "http" : "https";
}

int failWith(const Status& st) {
  std::fprintf(stderr, "Error: %s\n", st.message().c_str());
  if (!st.hint().empty()) std::fprintf(stderr, "Hint: %s\n", st.hint().c_str());
  return 1;
}

int runServe(const ServeOptions& options) {
  setupLogging(options.log_level);
  // Threads started from here on inherit the mask; the main thread waits for the signal.
  sigset_t signals = blockStopSignals();
  std::string data_dir = resolveDataDir(options.data_dir);
  if (Status made = makeDataDir(data_dir); !made.isOk()) return failWith(made);
  bool orchestrator = options.orchestrator || !options.compute;

  transport::InprocHub hub;
  std::unique_ptr<OrchestratorStack> orch;
  std::unique_ptr<ComputeStack> compute;
  if (orchestrator) {
    auto made = OrchestratorStack::start(options, data_dir, options.compute ? &hub : nullptr);
    if (!made.isOk()) return failWith(made.status());
    orch = std::move(made).value();
  }
  if (options.compute) {
    std::string dir = (fs::path(data_dir) / "compute").string();
    // In one process the node shares the orchestrator's token (the secret its result URLs are
    // signed with), generated or given.
    ServeOptions compute_options = options;
    if (orch && compute_options.token.empty()) compute_options.token = orch->nats_token;
    // A stop signal while the node waits to be admitted ends the wait (the signals are blocked
    // in every thread, so it is taken here).
    bool stop_signalled = false;
    auto pause = [&](Duration d) {
      timespec ts{};
      ts.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(d).count();
      ts.tv_nsec = static_cast<long>((d % std::chrono::seconds(1)).count());
      stop_signalled = sigtimedwait(&signals, nullptr, &ts) > 0;
      return !stop_signalled;
    };
    auto made =
        ComputeStack::start(compute_options, dir, orch ? hub.computeTransport() : nullptr, pause);
    if (stop_signalled) {
      spdlog::info("received a stop signal while waiting to be admitted, shutting down");
      if (orch) orch->stop();
      return 0;
    }
    if (!made.isOk()) {
      if (orch) orch->stop();
      return failWith(made.status());
    }
    compute = std::move(made).value();
    // Submissions fail fast when no node fits: let an in-process node register before the API
    // opens.
    if (orch && !compute->node->waitUntilRegistered(std::chrono::seconds(10))) {
      spdlog::warn("the compute node has not registered yet");
    }
  }
  if (orch) {
    Status st = orch->api->start();
    if (!st.isOk()) {
      if (compute) compute->stop();
      orch->stop();
      return failWith(std::move(st).prepend("starting the API server"));
    }
    std::printf("cod %s: API on %s://%s:%u, NATS on %s (data dir %s)\n", kCodVersion,
                apiScheme(options), apiListenHost(options).c_str(),
                static_cast<unsigned>(orch->api->port()), orch->nats_url.c_str(), data_dir.c_str());
    announceApiExposure(options);
    if (!orch->nats_token.empty() && !options.compute) {
      std::string ca = localNatsCaFile(options);
      std::printf("compute nodes join with: cod serve --compute --orchestrators %s --token %s%s\n",
                  orch->nats_url.c_str(), orch->nats_token.c_str(),
                  ca.empty() ? "" : (" --tls-ca-file " + ca).c_str());
    }
  } else {
    std::printf("cod %s: compute node %s joining %s; results on port %u (data dir %s)\n",
                kCodVersion, compute->node->nodeId().c_str(), options.orchestrators.c_str(),
                static_cast<unsigned>(compute->results->port()), data_dir.c_str());
  }
  std::fflush(stdout);
  waitForStopSignal(signals);
  if (compute) compute->stop();
  if (orch) orch->stop();
  hub.shutdown();
  return 0;
}

int runDevstack(const DevstackOptions& options) {
  setupLogging(options.base.log_level);
  sigset_t signals = blockStopSignals();
  if (options.computes < 0) return failWith(invalidArgument("--computes must be 0 or more"));
  std::string data_dir = resolveDataDir(options.base.data_dir);
  if (Status made = makeDataDir(data_dir); !made.isOk()) return failWith(made);
  ServeOptions orch_options = options.base;
  orch_options.orchestrator = true;
  orch_options.compute = false;
  auto made = OrchestratorStack::start(orch_options, data_dir, nullptr);
  if (!made.isOk()) return failWith(made.status());
  std::unique_ptr<OrchestratorStack> orch = std::move(made).value();

  Devstack devstack(options, data_dir, orch->nats_url, orch->nats_token);
  Status started = devstack.start();
  if (!started.isOk()) {
    orch->stop();
    return failWith(started);
  }
  // Let the nodes register before the API opens, so the first job finds them.
  if (!devstack.waitForNodes(*orch->orchestrator, std::chrono::seconds(20))) {
    spdlog::warn("not every compute node has registered yet");
  }
  Status st = orch->api->start();
  if (!st.isOk()) {
    devstack.stop();
    orch->stop();
    return failWith(std::move(st).prepend("starting the API server"));
  }
  std::printf("cod %s devstack: API on %s://%s:%u, NATS on %s, %d compute node%s (data dir %s)\n",
              kCodVersion, apiScheme(options.base), apiListenHost(options.base).c_str(),
              static_cast<unsigned>(orch->api->port()), orch->nats_url.c_str(), options.computes,
              options.computes == 1 ? "" : "s", data_dir.c_str());
  announceApiExposure(options.base);
  std::fflush(stdout);
  waitForStopSignal(signals);
  devstack.stop();
  orch->stop();
  return 0;
}

}  // namespace cod::node
