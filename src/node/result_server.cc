#include "node/result_server.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "api/errors.h"
#include "node/result_urls.h"

namespace cod::node {

namespace {
api::HttpResponse text(int status, const std::string& body) {
  api::HttpResponse r;
  r.status = status;
  r.headers.set("Content-Type", "text/plain; charset=utf-8");
  r.body = body + "\n";
  return r;
}
}  // namespace

ResultServer::ResultServer(publisher::LocalPublisher* publisher, const std::string& host,
                           uint16_t port, std::string url_key, const Clock* clock)
    : publisher_(publisher), url_key_(std::move(url_key)), clock_(clock) {
  api::HttpServerConfig config;
  config.host = host;
  config.port = port;
  config.threads = 1;
  config.write_timeout = std::chrono::minutes(10);
  server_ = std::make_unique<api::HttpServer>(config, this);
}

Status ResultServer::start() {
  COD_RETURN_IF_ERROR(server_->start());
  publisher_->setPort(server_->port());
  return Status::ok();
}

uint16_t ResultServer::port() const { return server_->port(); }

void ResultServer::stop() { server_->stop(); }

api::HttpResponse ResultServer::handle(api::HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") return text(405, "method not allowed");
  std::string name = req.path.size() > 1 ? req.path.substr(1) : "";
  std::string path = publisher_->archivePath(name);
  if (path.empty()) return text(404, "not found: " + req.path);
  std::string refusal = resultUrlRefusal(name, req.queryValue("expires"),
                                         req.queryValue("signature"), url_key_, clock_->now());
  if (!refusal.empty()) {
    spdlog::info("refused {} to {}: {}", name, req.remote_address, refusal);
    return text(403, refusal);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return text(404, "no results for " + name + " on this node");
  }
  api::HttpResponse r;
  r.status = 200;
  r.headers.set("Content-Type", "application/gzip");
  r.body_file = path;  // streamed from disk by the server
  spdlog::debug("serving {} to {}", name, req.remote_address);
  return r;
}

api::HttpResponse ResultServer::reject(api::HttpRequest&, const Status& status) {
  return text(api::mapStatus(status).http_status, status.message());  // 400, 413, 431
}

}  // namespace cod::node
