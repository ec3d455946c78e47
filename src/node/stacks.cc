#include "node/stacks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "common/version.h"
#include "compute/capacity.h"
#include "ipfs/ipfs_client.h"
#include "models/json.h"
#include "node/node_identity.h"
#include "node/result_urls.h"
#include "s3/s3_client.h"
#include "transport/nats/nats_transport.h"
#include "transport/nats/subjects.h"
#include "transport/routing_transport.h"

namespace cod::node {

namespace fs = std::filesystem;

namespace {

transport::NatsTransportConfig natsConfig(const ServeOptions& options, const std::string& servers,
                                          const std::string& token, const std::string& name) {
  transport::NatsTransportConfig c;
  c.servers = servers;
  c.token = token;
  c.ca_file = options.tls_ca_file;
  c.cert_file = options.tls_cert_file;
  c.key_file = options.tls_key_file;
  c.connection_name = name;
  return c;
}

}  // namespace

namespace {

std::string param(const models::SpecConfig& spec, std::string_view key) {
  const auto* v = models::findKey(spec.params, key);
  return v != nullptr && v->is_string() ? std::string(trim(v->as_string())) : std::string();
}

// Whether the s3 result a compute node reported is where the job's publisher spec sends results:
// same bucket, endpoint and region, and a key under the spec's fixed prefix (the part before its
// first placeholder). Anything else is not signed for: a hostile node could name any object.
bool matchesPublisher(const models::SpecConfig& result, const models::SpecConfig& publisher) {
  if (!equalsIgnoreCase(publisher.type, "s3")) return false;
  if (param(result, "Bucket") != param(publisher, "Bucket") ||
      !equalsIgnoreCase(param(result, "Endpoint"), param(publisher, "Endpoint"))) {
    return false;
  }
  std::string region = param(publisher, "Region");
  if (!region.empty() && param(result, "Region") != region) return false;
  std::string prefix = param(publisher, "Key");
  prefix = prefix.substr(0, prefix.find('{'));
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  std::string key = param(result, "Key");
  return startsWith(key, prefix) && key.find("..") == std::string::npos;
}

}  // namespace

models::SpecConfig presignManagedResult(const models::Execution& execution,
                                        const ServeOptions::S3Managed& managed) {
  const models::SpecConfig& result = execution.published_result;
  if (!equalsIgnoreCase(result.type, "s3managed") || managed.bucket.empty()) return result;
  // The key is made from the execution's own IDs, never from what the node reported.
  const std::string key = publisher::managedResultKey(managed.key, execution.job_id, execution.id);
  s3::S3Client client(s3::configFromEnvironment(managed.region, managed.endpoint));
  auto url = client.presignGetObject(
      managed.bucket, key,
      std::chrono::duration_cast<std::chrono::seconds>(managed.expiration).count());
  if (!url.isOk()) return result;
  models::SpecConfig out;
  out.type = "s3PreSigned";
  boost::json::object source{{"Bucket", managed.bucket}, {"Key", key}};
  if (!managed.region.empty()) source["Region"] = managed.region;
  if (!managed.endpoint.empty()) source["Endpoint"] = managed.endpoint;
  out.params["SourceSpec"] = std::move(source);
  out.params["PreSignedURL"] = *url;
  out.params["Managed"] = true;
  return out;
}

// A local publisher's result as a signed, expiring URL for the execution's own archive
// (result_urls.h); anything else, or a cluster without a token, stays as published.
models::SpecConfig signLocalResult(const models::Execution& e, const std::string& key,
                                   Duration valid_for) {
  models::SpecConfig r = e.published_result;
  auto url = r.params.find("URL");
  if (key.empty() || url == r.params.end() || !url->value().is_string()) return r;
  auto signed_url = signResultUrl(std::string(url->value().as_string()), e.id, key,
                                  SystemClock::instance().now() + valid_for);
  if (!signed_url.isOk()) {
    spdlog::warn("execution {}: not signing its result: {}", e.id, signed_url.status().message());
    return r;
  }
  url->value() = *signed_url;
  return r;
}

models::SpecConfig presignS3Result(const models::Job& job, const models::SpecConfig& result,
                                   Duration expires) {
  if (!equalsIgnoreCase(result.type, "s3")) return result;
  const std::string key = param(result, "Key");
  if (!endsWith(key, ".tar.gz")) return result;  // plain results are a prefix: no one URL
  if (job.tasks.empty() || !matchesPublisher(result, job.task().publisher)) return result;
  s3::S3Client client(
      s3::configFromEnvironment(param(result, "Region"), param(result, "Endpoint")));
  auto url =
      client.presignGetObject(param(result, "Bucket"), key,
                              std::chrono::duration_cast<std::chrono::seconds>(expires).count());
  if (!url.isOk()) return result;  // no credentials here: the client uses its own
  models::SpecConfig out;
  out.type = "s3PreSigned";
  out.params["SourceSpec"] = result.params;
  out.params["PreSignedURL"] = *url;
  out.params["Managed"] = false;
  return out;
}

// ---- orchestrator ----

Result<std::unique_ptr<OrchestratorStack>> OrchestratorStack::start(const ServeOptions& options,
                                                                    const std::string& data_dir,
                                                                    transport::InprocHub* hub) {
  auto s = std::make_unique<OrchestratorStack>();
  std::string dir = (fs::path(data_dir) / "orchestrator").string();
  std::string name = options.name;
  if (!name.empty() && options.compute) name += "-orchestrator";
  COD_ASSIGN_OR_RETURN(std::string id, loadOrCreateNodeId(dir, name));

  // Messaging: our own nats-server child, or the NATS the operator named.
  if (options.nats_url.empty()) {
    transport::NatsServerOptions nats;
    nats.data_dir = dir;
    nats.host = options.nats_host;
    nats.port = options.nats_port;
    nats.token = options.token;
    nats.tls_cert_file = options.nats_tls_cert_file;
    nats.tls_key_file = options.nats_tls_key_file;
    nats.tls_client_ca_file = options.nats_tls_client_ca_file;
    nats.node_credentials = true;
    s->nats = std::make_unique<transport::NatsServerProcess>(nats);
    Status st = s->nats->start();
    if (!st.isOk()) return std::move(st).prepend("starting nats-server");
    s->nats_url = s->nats->url();
    s->nats_token = s->nats->token();
  } else {
    s->nats_url = options.nats_url;
    s->nats_token = options.token;
  }

  COD_ASSIGN_OR_RETURN(s->store, store::SqliteJobStore::open((fs::path(dir) / "jobs.db").string()));
  transport::NatsTransportConfig link =
      natsConfig(options, s->nats_url, s->nats_token, "cod-orchestrator " + id);
  if (s->nats) {
    link.ca_file = localNatsCaFile(options);  // our own child's certificate
    if (!options.nats_tls_client_ca_file.empty() && link.cert_file.empty()) {
      link.cert_file = options.nats_tls_cert_file;  // mutual TLS: we show it ours
      link.key_file = options.nats_tls_key_file;
    }
    link.user = transport::kNatsOrchestratorUser;
    link.password = s->nats->orchestratorPassword();
    // This process's own IDs are never anyone's to take: a node admitted as the orchestrator, or
    // as the in-process compute node, would be believed to be it.
    link.admit = [nats = s->nats.get(), hub, self = id](const std::string& node_id,
                                                        const std::string& secret) {
      if (node_id == self || (hub != nullptr && hub->hasCompute(node_id))) {
        return failedPrecondition("node ID " + node_id + " is this orchestrator's own")
            .withHint("start the node with another --name");
      }
      return nats->admitNode(node_id, secret);
    };
  }
  auto remote = std::make_unique<transport::NatsOrchestratorTransport>(link);
  if (hub) {
    s->transport = std::make_unique<transport::RoutingOrchestratorTransport>(
        hub, hub->orchestratorTransport(), std::move(remote));
  } else {
    s->transport = std::move(remote);
  }

  orchestrator::OrchestratorConfig config;
  config.nodes.disconnect_timeout = options.node_disconnect_timeout;
  config.nodes.manual_approval = options.require_approval;
  if (s->nats) {
    config.nodes.on_removed = [nats = s->nats.get()](const std::string& node_id) {
      if (!nats->nodeSecret(node_id)) return false;
      Status withdrawn = nats->removeNode(node_id);
      if (!withdrawn.isOk()) {
        spdlog::warn("node {} was deleted but keeps its NATS credentials: {}", node_id,
                     withdrawn.message());
      }
      return true;
    };
  }
  config.job_retention = options.job_retention;
  config.scheduler.queue_backoff = options.queue_backoff;
  config.job_limits.max_count = options.max_job_count;
  for (const auto& [type, overrides] : options.retry_defaults) {
    auto t = models::parseJobType(type);
    if (!t) continue;
    models::Job probe;
    probe.meta = {overrides.begin(), overrides.end()};
    auto& policy = config.scheduler.retry[static_cast<size_t>(*t)];
    COD_ASSIGN_OR_RETURN(policy, orchestrator::retryPolicyFor(probe, policy));
  }
  if (!options.s3_managed.bucket.empty()) {
    config.presign_managed_upload = [managed = options.s3_managed](
                                        const std::string& job_id,
                                        const std::string& execution_id) -> Result<std::string> {
      s3::S3Client client(s3::configFromEnvironment(managed.region, managed.endpoint));
      return client.presign(
          "PUT", managed.bucket, publisher::managedResultKey(managed.key, job_id, execution_id),
          std::chrono::duration_cast<std::chrono::seconds>(managed.expiration).count());
    };
  }
  s->orchestrator = std::make_unique<orchestrator::Orchestrator>(
      orchestrator::Orchestrator::Deps{s->store.get(), s->transport.get(), &SystemClock::instance(),
                                       &SystemRandom::instance()},
      config);
  s->info.node_id = id;
  s->info.node_type = models::kNodeTypeRequester;
  s->info.labels = options.labels;
  s->info.supported_protocols = {"cod/v1"};
  s->info.bacalhau_version.git_version = gitVersion();
  s->info.bacalhau_version.goarch = "amd64";
  COD_RETURN_IF_ERROR(s->orchestrator->start(s->info));

  api::ApiDeps deps;
  deps.jobs = &s->orchestrator->jobs();
  deps.store = s->store.get();
  deps.nodes = &s->orchestrator->nodes();
  deps.logs = s->orchestrator->logs();
  models::NodeInfo info = s->info;
  deps.node_info = [info] { return info; };
  deps.version = info.bacalhau_version;
  // What the store and the transport have done so far, for bench/ (per-job figures) and operators.
  deps.debug_info = [store = s->store.get(), transport = s->transport.get()] {
    store::StoreStats st = store->stats();
    transport::TransportStats tr = transport->stats();
    return boost::json::value(boost::json::object{{"Store",
                                                   {{"Transactions", st.transactions},
                                                    {"Commits", st.commits},
                                                    {"PagesWritten", st.pages_written},
                                                    {"BytesWritten", st.bytes_written}}},
                                                  {"Transport",
                                                   {{"MessagesIn", tr.messages_in},
                                                    {"MessagesOut", tr.messages_out},
                                                    {"BytesIn", tr.bytes_in},
                                                    {"BytesOut", tr.bytes_out}}}});
  };
  // A node with credentials of its own checks result URLs with a key from its secret, which no
  // other node knows; the rest (a hybrid node, an operator's NATS) with the cluster token's.
  deps.transform_result = [disabled = options.s3_presigned_url_disabled,
                           expires = options.s3_presigned_url_expiration,
                           managed = options.s3_managed, url_key = resultUrlKey(s->nats_token),
                           url_expires = options.result_url_expiration, nats = s->nats.get()](
                              const models::Job& job, const models::Execution& e) {
    const models::SpecConfig& r = e.published_result;
    if (equalsIgnoreCase(r.type, "s3managed")) return presignManagedResult(e, managed);
    if (equalsIgnoreCase(r.type, "urlDownload")) {
      std::optional<std::string> secret = nats ? nats->nodeSecret(e.node_id) : std::nullopt;
      return signLocalResult(e, secret ? resultUrlKey(*secret) : url_key, url_expires);
    }
    return disabled ? r : presignS3Result(job, r, expires);
  };
  api::ApiConfig api_config;
  api_config.host = apiListenHost(options);
  api_config.auth.users = options.api_users;
  api_config.tls_cert_file = options.api_tls_cert_file;
  api_config.tls_key_file = options.api_tls_key_file;
  api_config.port = static_cast<uint16_t>(options.api_port);
  api_config.allowed_origins = options.allowed_origins;
  api_config.rate_limit = options.api_rate_limit;
  api_config.max_connections_per_client = options.api_max_connections_per_client;
  s->api = std::make_unique<api::ApiServer>(deps, api_config);
  return s;
}

void OrchestratorStack::stop() {
  if (api) api->stop();
  if (orchestrator) orchestrator->stop();
  if (nats) nats->stop();
}

// ---- compute ----

namespace {

// A file only its owner may read.
Status writePrivateFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return internalError("cannot write " + path + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ::close(fd) == 0 && ok;
  return ok ? Status::ok() : internalError("cannot write " + path + ": " + std::strerror(errno));
}

// A node's own NATS credentials (nats_server_process.h): its secret is made once and kept in
// <dir>/nats-secret; <dir>/nats-joined says the orchestrator has admitted it. Until then the node
// asks to join, with the token, as often as it takes; after, it asks again at each start (the
// answer is the same) but goes on if the orchestrator cannot be reached, connecting as itself
// once it can. An orchestrator whose NATS server has no per-node credentials (an operator's own
// --nats-url) refuses the join user: the node then connects with the token, as before.
Result<transport::NatsTransportConfig> joinOrchestrator(
    transport::NatsTransportConfig config, const std::string& dir, const std::string& node_id,
    const std::function<bool(Duration)>& pause) {
  if (config.token.empty()) return config;
  const fs::path secret_file = fs::path(dir) / "nats-secret";
  const fs::path joined_file = fs::path(dir) / "nats-joined";
  std::error_code ec;
  COD_ASSIGN_OR_RETURN(const std::string secret, transport::loadOrCreateSecret(secret_file));
  const bool joined_before = fs::exists(joined_file, ec);
  auto own = [&] {
    config.user = node_id;
    config.password = secret;
    return config;
  };
  auto last_said = std::chrono::steady_clock::now() - std::chrono::minutes(1);
  std::chrono::steady_clock::time_point no_responders_since{};  // {} = answered, or not yet
  for (;;) {
    Status joined = transport::joinNatsCluster(config, node_id, secret);
    if (joined.isOk()) {
      if (!joined_before) {
        COD_RETURN_IF_ERROR(writePrivateFile(joined_file.string(), ""));
        spdlog::info("the orchestrator admitted node {} with NATS credentials of its own", node_id);
      }
      return own();
    }
    if (joined.code() == StatusCode::kPermissionDenied) {
      // A server that admitted this node before has per-node credentials: a refusal now is a
      // server busy reloading, and the node's own credentials are what it takes.
      if (joined_before) return own();
      return config;  // no per-node credentials there: the token is what it takes
    }
    // Up, but nobody takes joins: an operator's NATS (without auth), or an orchestrator that is
    // still starting. After a few seconds of that, the token.
    if (joined.errorCode() == transport::kNatsNoResponders && !joined_before) {
      if (no_responders_since == std::chrono::steady_clock::time_point{}) {
        no_responders_since = std::chrono::steady_clock::now();
      }
      if (std::chrono::steady_clock::now() - no_responders_since >= std::chrono::seconds(5)) {
        spdlog::info("nobody admits nodes on NATS at {}: connecting with the token",
                     config.servers);
        return config;
      }
    } else {
      no_responders_since = {};
    }
    if (joined.code() != StatusCode::kUnavailable &&
        joined.code() != StatusCode::kDeadlineExceeded) {
      return std::move(joined).prepend("joining the orchestrator as node " + node_id);
    }
    if (joined_before) return own();  // connects in the background once it can
    if (std::chrono::steady_clock::now() - last_said >= std::chrono::seconds(10)) {
      spdlog::info("waiting for the orchestrator to admit node {}: {}", node_id, joined.message());
      last_said = std::chrono::steady_clock::now();
    }
    if (pause ? !pause(std::chrono::seconds(1))
              : (std::this_thread::sleep_for(std::chrono::seconds(1)), false)) {
      return cancelled("stopped before the orchestrator admitted node " + node_id);
    }
  }
}

}  // namespace

Result<std::unique_ptr<ComputeStack>> ComputeStack::start(
    const ServeOptions& options, const std::string& dir,
    std::unique_ptr<transport::ComputeTransport> transport,
    const std::function<bool(Duration)>& pause) {
  auto s = std::make_unique<ComputeStack>();
  COD_ASSIGN_OR_RETURN(std::string id, loadOrCreateNodeId(dir, options.name));
  // Joined first: the node's own secret, when it gets one, also keys its result URLs.
  transport::NatsTransportConfig nats;
  std::string url_key = resultUrlKey(options.token);
  if (!transport) {
    nats = natsConfig(options, options.orchestrators, options.token, "cod-compute " + id);
    COD_ASSIGN_OR_RETURN(nats, joinOrchestrator(nats, dir, id, pause));
    if (!nats.user.empty()) url_key = resultUrlKey(nats.password);
  }
  COD_ASSIGN_OR_RETURN(
      s->store, store::SqliteExecutionStore::open((fs::path(dir) / "executions.db").string()));

  executor::DockerExecutorConfig docker_config;
  docker_config.socket = options.docker_socket;
  docker_config.node_id = id;
  if (!options.docker_capabilities.empty()) {
    docker_config.sandbox.capabilities.clear();
    for (const std::string& cap : options.docker_capabilities) {
      if (!equalsIgnoreCase(trim(cap), "none")) docker_config.sandbox.capabilities.push_back(cap);
    }
  }
  docker_config.sandbox.read_only_root = options.docker_read_only_root;
  docker_config.sandbox.user = options.docker_user;
  docker_config.sandbox.require_userns_remap = options.docker_require_userns_remap;
  COD_RETURN_IF_ERROR(executor::validateDockerSandbox(&docker_config.sandbox));
  s->docker = std::make_unique<executor::DockerExecutor>(std::move(docker_config));
  if (!s->docker->isInstalled()) {
    spdlog::warn("docker is not available at {}: this node will not run docker jobs",
                 s->docker->client().socketPath());
  } else if (options.docker_require_userns_remap) {
    auto info = s->docker->daemonInfo();
    if (info.isOk() && !info->userns_remap) {
      spdlog::warn(
          "dockerd at {} does not remap user namespaces (--userns-remap): this node "
          "declines docker jobs, as --docker-require-userns-remap asks",
          s->docker->client().socketPath());
    }
  }
  s->noop = std::make_unique<executor::NoopExecutor>();
  executor::WasmExecutorConfig wasm_config;
  wasm_config.node_id = id;
  s->wasm = std::make_unique<executor::WasmExecutor>(
      wasm_config,
      std::make_unique<executor::NodeWasmEngine>(executor::NodeRuntimeConfig{
          "node", (fs::path(dir) / "wasm").string(), wasm_config.uid, wasm_config.gid}));
  if (!s->wasm->isInstalled()) {
    spdlog::warn("this node will not run wasm jobs: {}", s->wasm->engine().describe());
  }
  executor::PythonExecutorConfig python_config;
  python_config.node_id = id;
  python_config.pyodide_dir = (fs::path(options.pyodide_dir) / "node_modules" / "pyodide").string();
  python_config.runtime = {"node", (fs::path(dir) / "python").string(), wasm_config.uid,
                           wasm_config.gid};
  s->python = std::make_unique<executor::PythonExecutor>(python_config);
  if (std::string why = s->python->unavailableReason(); !why.empty()) {
    spdlog::warn("this node will not run python jobs: {}", why);
  }

  COD_ASSIGN_OR_RETURN(uint64_t cache_bytes, parseByteSize(options.input_cache_size));
  if (cache_bytes > 0) {
    s->input_cache = std::make_unique<storage::InputCache>(
        storage::InputCacheConfig{(fs::path(dir) / "cache").string(), cache_bytes});
    COD_RETURN_IF_ERROR(s->input_cache->open());
  }
  s->inline_storage = std::make_unique<storage::InlineStorage>();
  storage::UrlStorageConfig url_config;
  url_config.cache = s->input_cache.get();
  s->url_storage = std::make_unique<storage::UrlStorage>(url_config);
  s->presigned_storage = std::make_unique<storage::S3PresignedStorage>(s->url_storage.get());
  s->noop_storage = std::make_unique<storage::NoopStorage>();
  storage::S3StorageConfig s3_config;
  s3_config.cache = s->input_cache.get();
  s->s3_storage = std::make_unique<storage::S3Storage>(s3_config);
  std::vector<storage::AllowedPath> allowed;
  for (const std::string& entry : options.allow_listed_local_paths) {
    COD_ASSIGN_OR_RETURN(storage::AllowedPath path, storage::parseAllowedPath(entry));
    allowed.push_back(std::move(path));
  }
  s->local_storage = std::make_unique<storage::LocalStorage>(std::move(allowed));
  if (auto url = ipfs::rpcBaseUrl(options.ipfs_connect);
      !options.ipfs_connect.empty() && !url.isOk()) {
    return Status(url.status()).prepend("--ipfs-connect");
  }
  s->ipfs_storage = std::make_unique<storage::IpfsStorage>(storage::IpfsStorageConfig{
      options.ipfs_connect, std::chrono::minutes(5), s->input_cache.get()});

  publisher::LocalPublisherConfig local;
  local.results_dir = (fs::path(dir) / "results").string();
  local.address = options.advertise_address;
  local.port = options.publisher_port;
  s->local = std::make_unique<publisher::LocalPublisher>(local);
  s->noop_publisher = std::make_unique<publisher::NoopPublisher>();
  s->s3_publisher = std::make_unique<publisher::S3Publisher>(id);
  s->ipfs_publisher = std::make_unique<publisher::IpfsPublisher>(options.ipfs_connect);
  // Upload URLs come from the orchestrator over the node's transport, made further down.
  s->s3managed_publisher = std::make_unique<publisher::S3ManagedPublisher>(
      [stack = s.get(), id](const std::string& job_id,
                            const std::string& execution_id) -> Result<std::string> {
        COD_ASSIGN_OR_RETURN(transport::PresignUploadResponse r,
                             stack->transport->presignUpload({id, job_id, execution_id}));
        if (r.url.empty()) return failedPrecondition(r.reason);
        return r.url;
      });
  // The results are served where the node says they are, not on every interface.
  const std::string& results_host =
      options.publisher_host.empty() ? options.advertise_address : options.publisher_host;
  s->results = std::make_unique<ResultServer>(s->local.get(), results_host,
                                              static_cast<uint16_t>(options.publisher_port),
                                              url_key, &SystemClock::instance());
  if (options.token.empty()) {
    spdlog::warn(
        "no cluster token: result downloads on {}:{} are not signed, so anyone who can reach them "
        "can fetch any result",
        results_host, s->results->port());
  }
  Status served = s->results->start();
  if (!served.isOk()) {
    return std::move(served)
        .prepend("starting the result server on " + results_host + ":" +
                 std::to_string(options.publisher_port))
        .withHint("another cod may be running; pick another port with --publisher-port");
  }

  if (transport) {
    s->transport = std::move(transport);
  } else {
    nats.retry_on_failed_connect = true;  // the orchestrator may start later
    s->transport = std::make_unique<transport::NatsComputeTransport>(nats);
  }

  compute::ComputeConfig config;
  config.node_id = id;
  config.labels = options.labels;
  config.data_dir = dir;
  config.address = options.advertise_address;
  config.heartbeat_interval = options.heartbeat_interval;
  config.allow_networked_jobs = options.allow_networked_jobs;
  config.allow_host_network = options.allow_host_network;
  config.capacity = compute::defaultCapacity(dir);
  if (options.capacity_cpu > 0) config.capacity.cpu = options.capacity_cpu;
  if (!options.capacity_memory.empty()) {
    COD_ASSIGN_OR_RETURN(config.capacity.memory, parseByteSize(options.capacity_memory));
  }
  if (!options.capacity_disk.empty()) {
    COD_ASSIGN_OR_RETURN(config.capacity.disk, parseByteSize(options.capacity_disk));
  }
  // The node's plugins, one table per kind, in order (STYLE: no static registration).
  compute::Plugins plugins;
  plugins.executors = {s->docker.get(), s->wasm.get(), s->python.get(), s->noop.get()};
  plugins.storages = {s->inline_storage.get(), s->url_storage.get(),  s->s3_storage.get(),
                      s->local_storage.get(),  s->ipfs_storage.get(), s->presigned_storage.get(),
                      s->noop_storage.get()};
  plugins.publishers = {s->local.get(), s->s3_publisher.get(), s->ipfs_publisher.get(),
                        s->s3managed_publisher.get(), s->noop_publisher.get()};
  plugins.disable(options.disabled_engines, options.disabled_input_sources,
                  options.disabled_publishers);
  compute::ComputeDeps deps{s->transport.get(), s->store.get(), plugins, &SystemClock::instance(),
                            s->input_cache.get()};
  s->node = std::make_unique<compute::ComputeNode>(deps, config);
  COD_RETURN_IF_ERROR(s->node->start());
  return s;
}

void ComputeStack::stop() {
  if (node) node->stop();
  if (results) results->stop();
}

}  // namespace cod::node
