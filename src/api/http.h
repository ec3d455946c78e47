#pragma once

// Plain HTTP request/response types. Everything above the socket layer (router, middleware,
// endpoints) sees only these; Boost.Beast stays inside http_server.cc.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace cod::api {

// Orders header names case-insensitively (HTTP field names are case-insensitive).
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Header fields; a name may repeat.
class Headers {
 public:
  // The first value of `name`, or nullptr.
  const std::string* find(std::string_view name) const;
  std::string get(std::string_view name, std::string fallback = "") const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // Replaces every value of `name`.
  void set(std::string name, std::string value);
  void add(std::string name, std::string value);
  void erase(std::string_view name);

  using Map = std::multimap<std::string, std::string, CaseInsensitiveLess>;
  const Map& all() const { return fields_; }

 private:
  Map fields_;
};

struct HttpRequest {
  std::string method;  // upper-case: "GET", "PUT", …
  std::string target;  // raw request target: "/api/v1/orchestrator/jobs?limit=2"
  std::string path;    // percent-decoded path without the query
  std::multimap<std::string, std::string> query;  // decoded query parameters, in order
  Headers headers;
  std::string body;
  std::string remote_address;  // "ip:port" of the peer
  std::string request_id;      // the request's X-Request-ID, or one generated for it
  std::map<std::string, std::string> path_params;  // ":id" segments, set by the router

  // The first value of a query parameter, or `fallback` when absent.
  std::string queryValue(std::string_view key, std::string fallback = "") const;
  // Every value of a repeated query parameter, in order.
  std::vector<std::string> queryValues(std::string_view key) const;
  bool hasQuery(std::string_view key) const;
  // A ":name" path segment; "" when the route has none.
  std::string pathParam(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is this file, streamed from disk instead of `body` (large downloads).
  std::string body_file;
  // Set by the server layer for a response after which the connection must close.
  bool close_connection = false;

  static HttpResponse json(int status, std::string body);
  static HttpResponse redirect(int status, std::string location);
};

// What the server layer calls for every request. Implementations must not throw and may be called
// concurrently from every I/O thread.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // A complete request.
  virtual HttpResponse handle(HttpRequest& req) = 0;
  // A request the server refuses before its body is read (`status` says why: body too large).
  // `req` has the method, target, headers and remote address; the body is empty.
  virtual HttpResponse reject(HttpRequest& req, const Status& status) = 0;
};

// Splits a request target into its decoded path and query parameters ('+' in the query is a
// space). Invalid percent escapes are kept verbatim.
void parseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query);

// "Not Found" for 404, "" for unknown codes.
std::string_view reasonPhrase(int status);

}  // namespace cod::api
