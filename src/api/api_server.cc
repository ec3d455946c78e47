#include "api/api_server.h"

#include "api/endpoints/endpoints.h"
#include "api/http_server.h"
#include "api/middleware.h"
#include "api/router.h"

namespace cod::api {

namespace {

ServerHeaders serverHeaders(const models::BuildVersionInfo& v) {
  ServerHeaders h;
  h.git_version = v.git_version;
  h.git_commit = v.git_commit;
  h.build_date = formatRfc3339(v.build_date);
  h.build_os = v.goos;
  h.arch = v.goarch;
  return h;
}

}  // namespace

ApiServer::ApiServer(ApiDeps deps, ApiConfig config)
    : deps_(std::move(deps)), config_(std::move(config)), router_(std::make_unique<Router>()) {
  // Handlers keep references to deps_ and config_, which live as long as the router.
  endpoints::registerAgentRoutes(*router_, deps_, config_);
  endpoints::registerAuthRoutes(*router_, deps_, config_);
  endpoints::registerJobRoutes(*router_, deps_);
  endpoints::registerNodeRoutes(*router_, deps_);
  endpoints::registerLogRoutes(*router_, deps_);
  authorizer_ = std::make_unique<Authorizer>(config_.auth);
  middleware_ =
      std::make_unique<Middleware>(router_.get(), serverHeaders(deps_.version),
                                   CorsConfig{config_.allowed_origins}, authorizer_.get());
  HttpServerConfig http;
  http.host = config_.host;
  http.port = config_.port;
  http.threads = config_.threads;
  http.max_body_bytes = config_.max_body_bytes;
  http.websocket_max_queued_bytes = config_.websocket_max_queued_bytes;
  http.max_requests_per_second_per_client = config_.rate_limit;
  http.max_connections_per_client = config_.max_connections_per_client;
  http.tls_cert_file = config_.tls_cert_file;
  http.tls_key_file = config_.tls_key_file;
  server_ = std::make_unique<HttpServer>(http, middleware_.get());
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start() {
  COD_RETURN_IF_ERROR(validateAuthConfig(config_.auth));
  return server_->start();
}

uint16_t ApiServer::port() const { return server_->port(); }

void ApiServer::stop() { server_->stop(); }

}  // namespace cod::api
