#pragma once

// The WebSocket seam under ApiClient::streamLogs (reference/bacalhau-api.md §3): open one
// WebSocket on the API and read its messages one at a time. The real implementation is
// Boost.Beast (confined to websocket_transport.cc); tests substitute FakeWebSocketTransport
// (fake_websocket.h) to script frames without a socket.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace cod::api::client {

// One message from the server: a text message, or the server's close frame.
struct WebSocketMessage {
  bool closed = false;      // the server closed the WebSocket; nothing follows
  uint16_t close_code = 0;  // when closed: 1000 = normal
  std::string close_reason;
  std::string text;  // when not closed
};

class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  // Blocks for the next message; not called again after a close. Errors: Unavailable when the
  // connection broke without a close frame, DeadlineExceeded when the server stopped answering
  // (no reply to pings within the timeout). A quiet server that answers pings never times out.
  virtual Result<WebSocketMessage> read() = 0;
};

class WebSocketTransport {
 public:
  virtual ~WebSocketTransport() = default;
  // Opens a WebSocket on `target` (path and percent-encoded query) of the base URL. Errors: a
  // non-101 answer → the Status its error body describes (statusFromHttpError); Unavailable
  // when the API cannot be reached; DeadlineExceeded when the handshake took longer than the
  // timeout, Unavailable when the TLS handshake fails (an https base URL: wss).
  virtual Result<std::unique_ptr<WebSocketConnection>> connect(const std::string& target) = 0;
  virtual const std::string& baseUrl() const = 0;
};

struct BeastWebSocketOptions {
  std::string base_url;  // http://host[:port][/prefix], as resolveBaseUrl gives it
  // Bounds the connect and the handshake, and how long the server may leave a ping unanswered.
  Duration timeout = std::chrono::seconds(30);
  std::vector<std::string> headers;  // extra handshake headers, "Name: value"
  // https base URLs: the PEM file of CAs the API's certificate must chain to ("" = the system's).
  std::string ca_file;
};

// Not thread-safe: one connection is read by one thread at a time.
std::unique_ptr<WebSocketTransport> makeBeastWebSocketTransport(BeastWebSocketOptions options);

}  // namespace cod::api::client
