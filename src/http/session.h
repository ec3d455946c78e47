#pragma once

// One HTTP client for services cod talks to again and again — the cod API, the Docker Engine over
// its unix socket: a Session keeps its libcurl handle, so the connection stays open between
// requests. http_client.h is for one-off transfers (downloads, S3, IPFS) with retries and caps;
// both live here so cod has one place that speaks HTTP.
//
// Not thread-safe: one Session per thread, or one per call.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http_client.h"

namespace cod::http {

struct SessionOptions {
  // Speak HTTP over this unix socket instead of TCP (the URL's host is then ignored).
  std::string unix_socket;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Each request's limit unless it gives its own; 0 = none.
  std::chrono::milliseconds timeout{0};
  // Sent with every request, "Name: value".
  std::vector<std::string> headers;
  std::string user_agent = "cod";
  long max_redirects = 0;        // 0 = redirects are not followed
  bool accept_encoding = false;  // ask for (and decode) compressed answers
  // Hosts never reached through a proxy, comma-separated ("" = curl's default, $no_proxy).
  std::string no_proxy;
  // https: the PEM file of CAs a server's certificate must chain to ("" = the system's).
  std::string ca_file;
};

struct SessionRequest {
  std::string method = "GET";
  std::string url;
  // Sent when `has_body` (with Content-Type `content_type` when that is set).
  bool has_body = false;
  std::string body;
  std::string content_type;
  // 0 = the session's timeout.
  std::chrono::milliseconds timeout{0};
  // When set, receives the answer's body as it arrives instead of Response::body.
  std::function<void(std::string_view)> on_data;
  // When set, called with the status once each answer's headers are in (not a 1xx; a redirect
  // followed is an answer too), before its body: a caller can act on the server having accepted a
  // long-running request (Docker's attach, before the container starts).
  std::function<void(long)> on_headers;
  // When set, the request is given up (its connection closed, Cancelled) within about a second of
  // this becoming true, even while the server sends nothing.
  const std::atomic<bool>* abort = nullptr;
};

class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Any HTTP status is a Response. Without one: DeadlineExceeded when the server did not answer
  // in time, Unavailable otherwise; the message is a short reason ("connection refused", "could
  // not resolve the host name") for the caller to put after whom it was talking to.
  Result<Response> send(const SessionRequest& request);

 private:
  SessionOptions options_;
  void* curl_ = nullptr;     // CURL*
  void* headers_ = nullptr;  // curl_slist*
};

}  // namespace cod::http
