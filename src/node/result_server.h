#pragma once

// The compute node's file server for the `local` publisher (DESIGN §2, port 6001):
// GET /<execution-id>.tar.gz?expires=…&signature=… answers the archive LocalPublisher made when
// the signature (result_urls.h) holds; a missing, wrong or expired one is 403, any other path 404.

#include <memory>

#include "api/http_server.h"
#include "common/clock.h"
#include "publisher/local/local_publisher.h"

namespace cod::node {

class ResultServer final : public api::HttpHandler {
 public:
  // `url_key` (resultUrlKey) checks download signatures; "" serves without them. `clock` must
  // outlive the server.
  ResultServer(publisher::LocalPublisher* publisher, const std::string& host, uint16_t port,
               std::string url_key, const Clock* clock);

  // Binds, and tells the publisher the port it bound (for port 0).
  Status start();
  uint16_t port() const;
  void stop();

  api::HttpResponse handle(api::HttpRequest& req) override;
  api::HttpResponse reject(api::HttpRequest& req, const Status& status) override;

 private:
  publisher::LocalPublisher* publisher_;
  std::string url_key_;
  const Clock* clock_;
  std::unique_ptr<api::HttpServer> server_;
};

}  // namespace cod::node
