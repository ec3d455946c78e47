#pragma once

// A scripted HttpTransport for tests: every request is recorded and answered by a handler.
//
//   auto fake = std::make_unique<FakeTransport>();
//   fake->handler = [](const TransportRequest& r) -> Result<TransportResponse> {
//     return TransportResponse{200, R"({"Status":"OK"})"};
//   };
//   ApiClient client(std::move(fake));

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/client/http_transport.h"

namespace cod::api::client {

class FakeTransport final : public HttpTransport {
 public:
  using Handler = std::function<Result<TransportResponse>(const TransportRequest&)>;

  explicit FakeTransport(std::string base_url = "http://127.0.0.1:1234")
      : base_url_(std::move(base_url)),
        requests_(std::make_shared<std::vector<TransportRequest>>()) {}

  Result<TransportResponse> send(const TransportRequest& request) override {
    requests_->push_back(request);
    if (!handler) return unavailable("FakeTransport has no handler");
    return handler(request);
  }
  const std::string& baseUrl() const override { return base_url_; }

  // Shared so a test keeps reading them after the transport moved into a client.
  std::shared_ptr<std::vector<TransportRequest>> requests() const { return requests_; }

  Handler handler;

 private:
  std::string base_url_;
  std::shared_ptr<std::vector<TransportRequest>> requests_;
};

}  // namespace cod::api::client
