#pragma once

// The compute node's file server for the `local` publisher (DESIGN §2, port 6001):
// GET /<execution-id>.tar.gz answers the archive LocalPublisher made; anything else is 404.

#include <memory>

#include "api/http_server.h"
#include "publisher/local/local_publisher.h"

namespace cod::node {

class ResultServer final : public api::HttpHandler {
 public:
  ResultServer(publisher::LocalPublisher* publisher, const std::string& host, uint16_t port);

  // Binds, and tells the publisher the port it bound (for port 0).
  Status start();
  uint16_t port() const;
  void stop();

  api::HttpResponse handle(api::HttpRequest& req) override;
  api::HttpResponse reject(api::HttpRequest& req, const Status& status) override;

 private:
  publisher::LocalPublisher* publisher_;
  std::unique_ptr<api::HttpServer> server_;
};

}  // namespace cod::node
