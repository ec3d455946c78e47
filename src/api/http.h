#pragma once

// Plain HTTP request/response types. Everything above the socket layer (router, middleware,
// endpoints) sees only these; Boost.Beast stays inside http_server.cc.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
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
  // Set by the server for a WebSocket opening handshake (GET with Upgrade: websocket); a route
  // may then answer with HttpResponse::websocket.
  bool websocket_upgrade = false;

  // The first value of a query parameter, or `fallback` when absent.
  std::string queryValue(std::string_view key, std::string fallback = "") const;
  // Every value of a repeated query parameter, in order.
  std::vector<std::string> queryValues(std::string_view key) const;
  bool hasQuery(std::string_view key) const;
  // A ":name" path segment; "" when the route has none.
  std::string pathParam(const std::string& name) const;
};

// WebSocket close codes (RFC 6455 §7.4.1) the API uses.
inline constexpr uint16_t kWebSocketCloseNormal = 1000;
inline constexpr uint16_t kWebSocketCloseGoingAway = 1001;

// An accepted WebSocket connection, as the server hands it to a WebSocketHandler. Every method
// may be called from any thread and none blocks: frames are queued and written on the
// connection's strand.
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  // Queues one text message (one frame). False when the connection is closed or closing, or when
  // the message would take the connection's queued bytes over its limit: a peer that does not
  // read (or is gone) then has its connection aborted, and the handler hears onClose().
  virtual bool sendText(std::string text) = 0;
  // Sends what is queued, then a close frame with `code`, and ends the connection once the peer
  // answers (or the close times out). Later sendText() calls return false. Idempotent.
  virtual void close(uint16_t code) = 0;
};

// What a route hands the server to serve a WebSocket (HttpResponse::websocket).
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  // Once, on the connection's strand, after the handshake succeeded. `channel` may be kept and
  // used from any thread; it never keeps the connection alive by itself.
  virtual void onOpen(std::shared_ptr<WebSocketChannel> channel) = 0;
  // Once, when the connection ends for any reason (the peer closed or vanished, the handler's
  // close() completed, the queue overflowed, the server stopped, the handshake failed): on the
  // connection's strand, or, for a connection the server's stop() could not end within its grace
  // period, on the thread calling stop() after the I/O threads ended. No call follows; the server
  // then drops the handler. It must not block for long: it runs on an I/O thread.
  virtual void onClose() = 0;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is this file, streamed from disk instead of `body` (large downloads).
  std::string body_file;
  // Set by the server layer for a response after which the connection must close.
  bool close_connection = false;
  // Set by a route answering a request with websocket_upgrade: the server completes the
  // handshake (101, with `headers` added) and hands the connection to this handler; `status` and
  // `body` are then unused. Ignored (500) for a request that is not an upgrade.
  std::shared_ptr<WebSocketHandler> websocket;

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
