#pragma once

// The byte-moving layer under ApiClient: one HTTP exchange at a time against one base URL. The
// real implementation is libcurl (CurlTransport); tests substitute FakeTransport
// (fake_transport.h) to script server answers without a socket.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "http/session.h"

namespace cod::api::client {

struct TransportRequest {
  std::string method;  // "GET", "PUT", "POST", "DELETE"
  std::string
      target;        // path and query, already percent-encoded: "/api/v1/orchestrator/jobs?limit=2"
  std::string body;  // sent with Content-Type: application/json when non-empty
};

struct TransportResponse {
  int status = 0;  // HTTP status code
  std::string body;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // Performs one exchange. Any HTTP status is a response (the caller interprets non-2xx);
  // an error is returned only when no response arrived: Unavailable when the server cannot be
  // reached (one line naming the URL), DeadlineExceeded when it did not answer in time.
  virtual Result<TransportResponse> send(const TransportRequest& request) = 0;

  // "http://127.0.0.1:1234", without a trailing slash.
  virtual const std::string& baseUrl() const = 0;
};

struct CurlTransportOptions {
  std::string base_url;  // scheme://host[:port], no trailing slash
  Duration timeout = std::chrono::seconds(30);
  // Extra request headers, "Name: value".
  std::vector<std::string> headers;
  // https base URLs: the PEM file of CAs the API's certificate must chain to ("" = the system's).
  std::string ca_file;
};

// An http::Session (one libcurl handle reused for every request, so the connection is kept alive
// between calls). Not thread-safe: use one transport (one ApiClient) per thread.
class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options);
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<TransportResponse> send(const TransportRequest& request) override;
  const std::string& baseUrl() const override { return options_.base_url; }

 private:
  CurlTransportOptions options_;
  http::Session session_;
};

// The one-line message for an API that cannot be reached:
// "cannot reach the cod API at http://127.0.0.1:1234: connection refused (is 'cod serve' running?
// set --api-host/--api-port or COD_API_HOST/COD_API_PORT)".
std::string unreachableMessage(const std::string& base_url, const std::string& reason);

}  // namespace cod::api::client
