#pragma once

// A real HTTP server for tests that need something to download from: the API's own HTTP server
// on a free loopback port, answering every request with `respond`.

#include <functional>
#include <memory>
#include <string>

#include "api/http_server.h"

namespace cod::api::testing {

class TestWebServer final : public HttpHandler {
 public:
  using Respond = std::function<HttpResponse(const HttpRequest&)>;

  explicit TestWebServer(Respond respond) : respond_(std::move(respond)) {
    HttpServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    server_ = std::make_unique<HttpServer>(config, this);
    started_ = server_->start();
  }
  ~TestWebServer() override { server_->stop(); }
  TestWebServer(const TestWebServer&) = delete;
  TestWebServer& operator=(const TestWebServer&) = delete;

  const Status& started() const { return started_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  HttpResponse handle(HttpRequest& req) override { return respond_(req); }
  HttpResponse reject(HttpRequest&, const Status&) override { return text(400, ""); }

  static HttpResponse text(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.headers.set("Content-Type", "text/plain");
    r.body = std::move(body);
    return r;
  }

 private:
  Respond respond_;
  Status started_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace cod::api::testing
