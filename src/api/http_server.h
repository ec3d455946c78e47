#pragma once

// An HTTP/1.1 server (Boost.Beast, confined to http_server.cc). It owns the sockets, keep-alive,
// limits and timeouts; everything else (routing, errors, CORS, headers, logging) is the
// HttpHandler's job.
//
// * Keep-alive and pipelining; each connection is served in order on its own strand.
// * Timeouts (reference/bacalhau-api.md §1): request headers must arrive within
//   read_header_timeout, the whole request within read_timeout, the response must be written
//   within write_timeout; an idle keep-alive connection is closed after idle_timeout.
// * A body over max_body_bytes is refused before it is read: handler->reject() with a
//   RequestEntityTooLarge status (413), then the connection is closed. A request that is not
//   HTTP, or whose header block exceeds 1 MiB, gets reject() with InvalidArgument (400).
// * Per client address (the peer's IP): at most max_connections_per_client open connections
//   (HTTP and WebSocket) and max_requests_per_second_per_client requests (a token bucket holding
//   one second's worth); past either, reject() with ResourceExhausted (429), a Retry-After
//   header, and the connection is closed.
// * Bodies being read or handled at once hold at most max_body_bytes_in_flight: a request whose
//   Content-Length (a chunked one: max_body_bytes) would take the server over it gets reject()
//   with Unavailable (503) and Retry-After before its body is read. With max_body_bytes, this
//   bounds what hostile requests can make the server hold.
// * `Expect: 100-continue` is answered before the body is read.
// * HEAD responses carry the headers of the GET response without its body.
// * WebSocket: a request with Upgrade: websocket reaches the handler like any other (with
//   HttpRequest::websocket_upgrade set); when the answer carries HttpResponse::websocket the
//   server completes the handshake and serves the connection (WebSocketChannel: a bounded send
//   queue, pings while idle, close handshake). Otherwise the answer is sent as plain HTTP.
//
// Lifecycle: start() once, then stop() (idempotent; also run by the destructor). stop() stops
// accepting, lets in-flight requests finish for up to shutdown_grace, then closes everything.
// Thread-safety: port() and stop() may be called from any thread except an I/O thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http.h"
#include "common/clock.h"
#include "common/status.h"

namespace cod::api {

struct HttpServerConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 0;  // 0 = an ephemeral port; see HttpServer::port()
  // HTTPS (TLS 1.2+, WebSockets as wss): the certificate chain and its private key, PEM files;
  // both or neither. A client that fails the handshake within read_header_timeout is dropped.
  std::string tls_cert_file;
  std::string tls_key_file;
  int threads = 2;  // I/O threads; handlers run on them
  size_t max_body_bytes = size_t{10} * 1024 * 1024;
  size_t max_body_bytes_in_flight = size_t{64} * 1024 * 1024;
  int max_connections_per_client = 256;           // 0 = no limit
  double max_requests_per_second_per_client = 0;  // 0 = no limit
  const Clock* clock = nullptr;  // refills the request-rate buckets; null = the system clock
  Duration read_header_timeout = std::chrono::seconds(5);
  Duration read_timeout = std::chrono::seconds(20);
  Duration write_timeout = std::chrono::seconds(45);
  Duration idle_timeout = std::chrono::seconds(20);
  Duration shutdown_grace = std::chrono::seconds(5);
  // Per WebSocket connection: the bytes of messages queued and not yet written; a peer that lets
  // more pile up (it does not read, or it is gone) has its connection aborted.
  size_t websocket_max_queued_bytes = size_t{8} * 1024 * 1024;
  // A WebSocket peer silent this long is gone; the server pings it after half of this.
  Duration websocket_idle_timeout = std::chrono::seconds(60);
  // How long the opening and the closing handshakes may take.
  Duration websocket_handshake_timeout = std::chrono::seconds(10);
  // The largest message a WebSocket peer may send (the API's sockets expect none).
  size_t websocket_max_read_bytes = size_t{64} * 1024;
};

class HttpServer {
 public:
  // `handler` must outlive the server.
  HttpServer(HttpServerConfig config, HttpHandler* handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Unavailable when the address cannot be bound (in use, bad host);
  // InvalidArgument for an unusable TLS certificate or key; FailedPrecondition when called twice.
  Status start();
  // The bound port (the ephemeral one when configured with 0); 0 before start().
  uint16_t port() const;
  void stop();

  // Defined in http_server.cc; named here so that file's connection class can refer to it.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cod::api
