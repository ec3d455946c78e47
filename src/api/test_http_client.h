#pragma once

// A small blocking HTTP client for the API tests (libcurl). One instance reuses its connection
// (keep-alive) across requests. Not thread-safe: one per thread.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "api/http.h"

namespace cod::api::testing {

struct TestResponse {
  long status = 0;  // 0 when the request failed at the transport level (see error)
  Headers headers;
  std::string body;
  std::string error;
  // The body parsed as JSON; null when it is not JSON.
  boost::json::value json() const;
};

class TestHttpClient {
 public:
  explicit TestHttpClient(uint16_t port, const std::string& host = "127.0.0.1");
  ~TestHttpClient();
  TestHttpClient(const TestHttpClient&) = delete;
  TestHttpClient& operator=(const TestHttpClient&) = delete;

  using HeaderList = std::vector<std::pair<std::string, std::string>>;

  // `target` is the path plus query ("/api/v1/orchestrator/jobs?limit=2"). A body is sent for
  // any method when non-empty. Redirects are not followed.
  TestResponse request(const std::string& method, const std::string& target,
                       const std::string& body = "", const HeaderList& headers = {});
  TestResponse get(const std::string& target, const HeaderList& headers = {}) {
    return request("GET", target, "", headers);
  }
  TestResponse put(const std::string& target, const std::string& body) {
    return request("PUT", target, body);
  }
  TestResponse post(const std::string& target, const std::string& body) {
    return request("POST", target, body);
  }
  TestResponse del(const std::string& target, const std::string& body = "") {
    return request("DELETE", target, body);
  }

  // Connections libcurl opened so far (1 while keep-alive works).
  long connectionsOpened() const { return connections_; }

 private:
  void* curl_;  // CURL*
  std::string base_;
  long connections_ = 0;
};

// Percent-encodes a query parameter value.
std::string urlEncode(const std::string& text);

}  // namespace cod::api::testing
