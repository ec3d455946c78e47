#pragma once

// The two halves a cod process can run, each owning its parts: the orchestrator (job store,
// nats-server child or external NATS, orchestrator, API server) and a compute node (execution
// store, executors, publishers, result file server, transport).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api_server.h"
#include "compute/compute_node.h"
#include "executor/docker/docker_executor.h"
#include "executor/noop/noop_executor.h"
#include "executor/python/python_executor.h"
#include "executor/wasm/wasm_executor.h"
#include "node/node.h"
#include "node/result_server.h"
#include "orchestrator/orchestrator.h"
#include "publisher/ipfs/ipfs_publisher.h"
#include "publisher/local/local_publisher.h"
#include "publisher/noop/noop_publisher.h"
#include "publisher/s3/s3_publisher.h"
#include "publisher/s3managed/s3managed_publisher.h"
#include "storage/inline/inline_storage.h"
#include "storage/ipfs/ipfs_storage.h"
#include "storage/local/local_storage.h"
#include "storage/s3/s3_storage.h"
#include "storage/url/url_storage.h"
#include "store/sqlite/sqlite_execution_store.h"
#include "store/sqlite/sqlite_job_store.h"
#include "transport/inproc/inproc_transport.h"
#include "transport/nats/nats_server_process.h"

namespace cod::node {

// The s3PreSigned form of an s3 result (one .tar.gz object) that GET /jobs/:id/results shows:
// a URL signed with this process's AWS credentials, valid for `expires`; other results, and s3
// results when there are no credentials, unchanged.
// Only for a result where the job's publisher spec sends results (same bucket, endpoint, region,
// a key under its fixed prefix): the result came from a compute node, which could name any object.
models::SpecConfig presignS3Result(const models::Job& job, const models::SpecConfig& result,
                                   Duration expires);
// The s3PreSigned form (Managed: true) of an execution's s3managed result: a download URL for
// where the managed bucket keeps it, made from the execution's own IDs.
models::SpecConfig presignManagedResult(const models::Execution& execution,
                                        const ServeOptions::S3Managed& managed);

struct OrchestratorStack {
  std::unique_ptr<transport::NatsServerProcess> nats;
  std::string nats_url;  // what compute nodes dial
  std::string nats_token;
  std::unique_ptr<store::SqliteJobStore> store;
  std::unique_ptr<transport::OrchestratorTransport> transport;
  std::unique_ptr<orchestrator::Orchestrator> orchestrator;
  std::unique_ptr<api::ApiServer> api;
  models::NodeInfo info;

  // `hub`, when given, also reaches compute nodes in this process.
  static Result<std::unique_ptr<OrchestratorStack>> start(const ServeOptions& options,
                                                          const std::string& data_dir,
                                                          transport::InprocHub* hub);
  void stop();
};

struct ComputeStack {
  std::unique_ptr<transport::ComputeTransport> transport;
  std::unique_ptr<store::SqliteExecutionStore> store;
  std::unique_ptr<executor::DockerExecutor> docker;
  std::unique_ptr<executor::NoopExecutor> noop;
  std::unique_ptr<executor::WasmExecutor> wasm;
  std::unique_ptr<executor::PythonExecutor> python;
  std::unique_ptr<storage::InlineStorage> inline_storage;
  std::unique_ptr<storage::UrlStorage> url_storage;
  std::unique_ptr<storage::S3PresignedStorage> presigned_storage;  // downloads via url_storage
  std::unique_ptr<storage::NoopStorage> noop_storage;
  std::unique_ptr<storage::InputCache> input_cache;  // before the storages that use it
  std::unique_ptr<storage::S3Storage> s3_storage;
  std::unique_ptr<storage::IpfsStorage> ipfs_storage;
  std::unique_ptr<storage::LocalStorage> local_storage;
  std::unique_ptr<publisher::LocalPublisher> local;
  std::unique_ptr<publisher::NoopPublisher> noop_publisher;
  std::unique_ptr<publisher::S3Publisher> s3_publisher;
  std::unique_ptr<publisher::IpfsPublisher> ipfs_publisher;
  std::unique_ptr<publisher::S3ManagedPublisher> s3managed_publisher;
  std::unique_ptr<ResultServer> results;
  std::unique_ptr<compute::ComputeNode> node;

  // `transport` is the in-process hub's end for a hybrid node, or null to join over NATS. A node
  // joining for the first time waits until its orchestrator admits it; `pause` waits between
  // tries and says false when the node should give up (a stop signal), null to just sleep.
  static Result<std::unique_ptr<ComputeStack>> start(
      const ServeOptions& options, const std::string& dir,
      std::unique_ptr<transport::ComputeTransport> transport,
      const std::function<bool(Duration)>& pause = nullptr);
  void stop();
};

}  // namespace cod::node
