#include "node/node.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/api_server.h"
#include "common/logging.h"
#include "common/version.h"
#include "compute/compute_node.h"
#include "executor/noop/noop_executor.h"
#include "publisher/noop/noop_publisher.h"
#include "node/node_identity.h"
#include "orchestrator/orchestrator.h"
#include "store/memory/memory_execution_store.h"
#include "store/sqlite/sqlite_job_store.h"
#include "transport/inproc/inproc_transport.h"

namespace cod::node {

namespace fs = std::filesystem;

std::string resolveDataDir(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("COD_DIR"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cod";
}

namespace {

// Everything one compute node needs, owned together.
struct ComputeStack {
  std::unique_ptr<transport::ComputeTransport> transport;
  std::unique_ptr<store::ExecutionStore> store;
  std::unique_ptr<executor::NoopExecutor> noop;
  std::unique_ptr<publisher::NoopPublisher> noop_publisher;
  std::unique_ptr<compute::ComputeNode> node;
};

Result<std::unique_ptr<ComputeStack>> makeCompute(transport::InprocHub& hub,
                                                  const std::string& dir,
                                                  const std::string& name,
                                                  const ServeOptions& options) {
  auto stack = std::make_unique<ComputeStack>();
  COD_ASSIGN_OR_RETURN(std::string id, loadOrCreateNodeId(dir, name));
  stack->transport = hub.computeTransport();
  stack->store = std::make_unique<store::MemoryExecutionStore>();
  stack->noop = std::make_unique<executor::NoopExecutor>();
  stack->noop_publisher = std::make_unique<publisher::NoopPublisher>();
  compute::ComputeConfig config;
  config.node_id = id;
  config.labels = options.labels;
  config.data_dir = dir;
  config.heartbeat_interval = options.heartbeat_interval;
  compute::ComputeDeps deps{stack->transport.get(), stack->store.get(), {stack->noop.get()},
                            {stack->noop_publisher.get()}, &SystemClock::instance()};
  stack->node = std::make_unique<compute::ComputeNode>(deps, config);
  return stack;
}

// The orchestrator side of a process: store, orchestrator and API server.
struct OrchestratorStack {
  std::unique_ptr<store::SqliteJobStore> store;
  std::unique_ptr<transport::OrchestratorTransport> transport;
  std::unique_ptr<orchestrator::Orchestrator> orchestrator;
  std::unique_ptr<api::ApiServer> api;
  models::NodeInfo info;
};

Result<std::unique_ptr<OrchestratorStack>> makeOrchestrator(transport::InprocHub& hub,
                                                            const std::string& data_dir,
                                                            const std::string& name,
                                                            const ServeOptions& options) {
  auto stack = std::make_unique<OrchestratorStack>();
  std::string dir = (fs::path(data_dir) / "orchestrator").string();
  COD_ASSIGN_OR_RETURN(std::string id, loadOrCreateNodeId(dir, name));
  COD_ASSIGN_OR_RETURN(stack->store,
                       store::SqliteJobStore::open((fs::path(dir) / "jobs.db").string()));
  stack->transport = hub.orchestratorTransport();
  orchestrator::OrchestratorConfig config;
  config.nodes.disconnect_timeout = options.node_disconnect_timeout;
  config.scheduler.queue_backoff = options.queue_backoff;
  stack->orchestrator = std::make_unique<orchestrator::Orchestrator>(
      orchestrator::Orchestrator::Deps{stack->store.get(), stack->transport.get(),
                                       &SystemClock::instance(), &SystemRandom::instance()},
      config);
  stack->info.node_id = id;
  stack->info.node_type = models::kNodeTypeRequester;
  stack->info.labels = options.labels;
  stack->info.supported_protocols = {"cod/v1"};
  stack->info.bacalhau_version.git_version = gitVersion();
  stack->info.bacalhau_version.goarch = "amd64";
  COD_RETURN_IF_ERROR(stack->orchestrator->start(stack->info));

  api::ApiDeps deps;
  deps.jobs = &stack->orchestrator->jobs();
  deps.store = stack->store.get();
  deps.nodes = &stack->orchestrator->nodes();
  models::NodeInfo info = stack->info;
  deps.node_info = [info] { return info; };
  deps.version = info.bacalhau_version;
  api::ApiConfig api_config;
  api_config.host = options.api_host;
  api_config.port = static_cast<uint16_t>(options.api_port);
  stack->api = std::make_unique<api::ApiServer>(deps, api_config);
  return stack;
}

// Blocks SIGINT/SIGTERM in every thread (call before starting any) and waits for one.
sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int waitForStopSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return 0;
}

int fail(const Status& st) {
  std::fprintf(stderr, "Error: %s\n", st.message().c_str());
  if (!st.hint().empty()) std::fprintf(stderr, "Hint: %s\n", st.hint().c_str());
  return 1;
}

int run(const ServeOptions& options, int computes, bool orchestrator) {
  setupLogging(options.log_level);
  sigset_t signals = blockStopSignals();
  std::string data_dir = resolveDataDir(options.data_dir);
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return fail(internalError("cannot create the data dir " + data_dir + ": " + ec.message()));

  transport::InprocHub hub;
  std::unique_ptr<OrchestratorStack> orch;
  if (orchestrator) {
    std::string name = options.name;
    if (!name.empty() && computes > 0) name += "-orchestrator";
    auto made = makeOrchestrator(hub, data_dir, name, options);
    if (!made.isOk()) return fail(made.status());
    orch = std::move(made).value();
  }
  std::vector<std::unique_ptr<ComputeStack>> nodes;
  for (int i = 0; i < computes; ++i) {
    std::string dir = computes == 1 ? (fs::path(data_dir) / "compute").string()
                                    : (fs::path(data_dir) / ("compute-" + std::to_string(i))).string();
    std::string name = options.name.empty() ? "" : options.name + (computes == 1 ? "" : "-" + std::to_string(i));
    auto made = makeCompute(hub, dir, name, options);
    if (!made.isOk()) return fail(made.status());
    Status st = (*made)->node->start();
    if (!st.isOk()) return fail(st);
    nodes.push_back(std::move(made).value());
  }
  // Submissions fail fast when no node fits, so let in-process nodes register before the API opens.
  for (auto& n : nodes) {
    if (!n->node->waitUntilRegistered(std::chrono::seconds(10))) {
      spdlog::warn("compute node {} has not registered yet", n->node->nodeId());
    }
  }
  if (orch) {
    Status st = orch->api->start();
    if (!st.isOk()) return fail(std::move(st).prepend("starting the API server"));
    std::printf("cod %s: API listening on http://%s:%u (data dir %s, %d compute node%s)\n",
                kCodVersion, options.api_host.c_str(), static_cast<unsigned>(orch->api->port()),
                data_dir.c_str(), computes, computes == 1 ? "" : "s");
    std::fflush(stdout);
  }
  int code = waitForStopSignal(signals);
  if (orch) orch->api->stop();
  for (auto& n : nodes) n->node->stop();
  if (orch) orch->orchestrator->stop();
  hub.shutdown();
  return code;
}

}  // namespace

int runServe(const ServeOptions& options) {
  bool orchestrator = options.orchestrator || !options.compute;
  if (!orchestrator) {
    return fail(unimplemented(
        "a compute-only node needs a remote orchestrator over NATS, which this build does not "
        "have yet; run `cod serve --orchestrator --compute` for a single machine"));
  }
  return run(options, options.compute ? 1 : 0, orchestrator);
}

int runDevstack(const DevstackOptions& options) {
  if (options.computes < 0) return fail(invalidArgument("--computes must be 0 or more"));
  return run(options.base, options.computes, true);
}

}  // namespace cod::node
