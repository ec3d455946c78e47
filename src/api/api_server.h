#pragma once

// The REST API server: Bacalhau's v1 API (reference/bacalhau-api.md §1–§2) over the orchestrator's
// job service, store and node manager. Owns the router, the middleware and the HTTP server.
//
// Lifecycle: construct, start() once, stop() (idempotent; also run by the destructor). The
// dependencies must outlive the server. Handlers run on the server's I/O threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "api/auth.h"
#include "common/status.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/node.h"

namespace cod::orchestrator {
class JobService;
class LogSource;
class NodeManager;
}  // namespace cod::orchestrator

namespace cod::store {
class JobStore;
}  // namespace cod::store

namespace cod::api {

class HttpServer;
class Middleware;
class Router;

struct ApiDeps {
  // Null on a compute-only node: the orchestrator routes then answer 404 saying so.
  orchestrator::JobService* jobs = nullptr;
  store::JobStore* store = nullptr;
  orchestrator::NodeManager* nodes = nullptr;
  // The logs WebSocket's source (reference §3); null on a node without an orchestrator (the
  // socket then answers with an error frame saying so).
  orchestrator::LogSource* logs = nullptr;
  // The serving node, for /api/v1/agent/node (and the auth challenge phrase).
  std::function<models::NodeInfo()> node_info;
  // /api/v1/agent/version; GitVersion from common/version.h gitVersion().
  models::BuildVersionInfo version;
  // Optional: /api/v1/agent/debug ({} when unset) and the object under "config" of
  // /api/v1/agent/config (a summary of the API settings when unset). Secrets must be redacted.
  std::function<boost::json::value()> debug_info;
  std::function<boost::json::value()> config_info;
  // Optional: how GET /jobs/:id/results shows an execution's published result (reference §2.10's
  // result transformers: s3 results become s3PreSigned URLs). The result came from a compute
  // node: a transformer must check it against the job and execution before signing anything.
  // Unset = as published.
  std::function<models::SpecConfig(const models::Job&, const models::Execution&)> transform_result;
};

struct ApiConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 1234;  // 0 = an ephemeral port; see ApiServer::port()
  int threads = 2;
  size_t max_body_bytes = size_t{10} * 1024 * 1024;
  // Web origins whose pages may call the API (middleware.h CorsConfig).
  std::vector<std::string> allowed_origins;
  // Per logs WebSocket: bytes of frames waiting for a slow reader before its stream is cancelled
  // and its connection closed (HttpServerConfig::websocket_max_queued_bytes).
  size_t websocket_max_queued_bytes = size_t{8} * 1024 * 1024;
  // Requests per second per client address (429 past it; 0 = no limit) and open connections per
  // client address (HttpServerConfig).
  double rate_limit = 0;
  int max_connections_per_client = 256;
  // Who may call the API (auth.h); no users = everyone.
  AuthConfig auth;
  // HTTPS: certificate chain and private key, PEM files (HttpServerConfig).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class ApiServer {
 public:
  ApiServer(ApiDeps deps, ApiConfig config);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and serves. Unavailable when the address cannot be bound; InvalidArgument for an
  // unusable auth config.
  Status start();
  // The bound port; 0 before start().
  uint16_t port() const;
  void stop();

 private:
  ApiDeps deps_;
  ApiConfig config_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<Middleware> middleware_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace cod::api
