// The only translation unit that includes Boost.Beast/Asio: they are slow to compile, so the rest
// of the API sees plain HttpRequest/HttpResponse values (and, for WebSockets, the
// WebSocketChannel/WebSocketHandler pair of http.h).

#include "api/http_server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "api/errors.h"
#include "common/strings.h"

namespace cod::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
// A connection's byte stream: plain TCP, or TLS over it (HttpServerConfig::tls_cert_file).
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// Beast keeps each header field in 16-bit offsets and throws std::length_error for a longer one,
// from inside the read; a header block below 64 KiB can hold no such field. (Go allows 1 MiB;
// nginx 4 × 8 KiB; no client of this API sends more than a few KiB.)
constexpr uint32_t kMaxHeaderBytes = 60 * 1024;
constexpr size_t kIdleReadChunk = 4096;
// After refusing a body, read (and drop) at most this much of it before closing, so that the
// client sees the response instead of a connection reset.
constexpr size_t kMaxLingerBytes = size_t{64} * 1024 * 1024;
constexpr size_t kLingerReadChunk = size_t{64} * 1024;
constexpr auto kLingerTimeout = std::chrono::seconds(2);

// "1.2.3.4:5678" → "1.2.3.4"; "[::1]:80"-less IPv6 ("::1:80") → "::1".
std::string hostOf(const std::string& remote) {
  size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

std::string formatRate(double rate) {
  std::string s = std::to_string(rate);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// What the server tracks to stop: an HTTP session or a WebSocket connection.
class Connection {
 public:
  virtual ~Connection() = default;
  // From any thread: wind the connection down (finish the current exchange, then close).
  virtual void shutdown() = 0;
  // Called by stop() once no I/O thread runs any more, for a connection shutdown() did not end
  // within the grace period.
  virtual void abandon() {}
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerConfig c, HttpHandler* h) : config(std::move(c)), handler(h) {}

  void accept();
  void onAccept(beast::error_code ec, tcp::socket socket);
  template <class S>
  void startSession(std::shared_ptr<S> session);
  // Loads the certificate and key of an HTTPS server.
  Status loadTls();
  // Tracks a connection until it is destroyed; true when the server is stopping (the caller then
  // shuts the connection down once started).
  bool addSession(const std::shared_ptr<Connection>& c);
  void removeSession(const Connection* c);

  // Per client address: admitted connections, and the request-rate bucket. False when the
  // client is over its limit.
  bool admitConnection(const std::string& ip);
  void releaseConnection(const std::string& ip);
  bool admitRequest(const std::string& ip);
  // Reserves `bytes` of the bodies-in-flight budget; false when it would go over.
  bool reserveBody(size_t bytes);
  void releaseBody(size_t bytes) { body_bytes_in_flight.fetch_sub(bytes); }

  HttpServerConfig config;
  HttpHandler* handler;
  std::atomic<uint16_t> bound_port{0};
  bool started = false;  // guarded by lifecycle_mu
  bool stopped = false;
  std::mutex lifecycle_mu;

  // Declared before io_context so that sessions destroyed with it can still deregister.
  std::mutex mu;
  std::condition_variable sessions_cv;
  std::map<const Connection*, std::weak_ptr<Connection>> sessions;
  bool accepting = true;

  struct Client {
    int connections = 0;
    double tokens = 0;
    Time refilled{};
  };
  std::mutex clients_mu;
  // An entry outlives its connections until its bucket is full again: reconnecting must not
  // refill it.
  std::unordered_map<std::string, Client> clients;
  std::atomic<size_t> body_bytes_in_flight{0};

  net::io_context ioc;
  std::optional<ssl::context> tls;  // set when the server speaks HTTPS
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
};

namespace {

// One admitted connection of a client; released when the last owner (the HTTP session, then the
// WebSocket session it became) goes.
struct ClientSlot {
  ClientSlot(HttpServer::Impl* s, std::string address) : server(s), ip(std::move(address)) {}
  ~ClientSlot() { server->releaseConnection(ip); }
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;
  HttpServer::Impl* server;
  std::string ip;
};

Status tooManyRequests(const std::string& what) {
  return resourceExhausted(what)
      .withComponent(kComponentApiServer)
      .withHint("slow down: retry after the number of seconds in the Retry-After header");
}

// A WebSocket connection: the handshake request was read by a Session and answered by a route
// with a WebSocketHandler. Strand state (open_, writing_, finished_, the stream) is touched only
// on the connection's strand; the send queue, which any thread fills through Channel, lives
// under mu_. A sender never waits for the peer: a message that would take the queue over its
// bound aborts the connection instead.
template <class Stream>
class WsSession : public Connection, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream stream, HttpServer::Impl* server, std::shared_ptr<WebSocketHandler> handler,
            std::shared_ptr<ClientSlot> slot)
      : ws_(std::move(stream)),
        server_(server),
        handler_(std::move(handler)),
        slot_(std::move(slot)) {}

  ~WsSession() override {
    // Only if neither finish() nor abandon() ran (a bug): the handler must still hear of it.
    if (handler_) handler_->onClose();
    server_->removeSession(this);
  }

  // No I/O thread runs: the handler hears of the end here, on the thread stopping the server,
  // so that nothing it owns (a log subscription) outlives the server.
  void abandon() override {
    if (handler_) {
      std::shared_ptr<WebSocketHandler> handler = std::move(handler_);
      handler->onClose();
    }
  }

  // On the strand: answers the handshake, adding `headers` (request ID, server headers, CORS).
  void start(http::request<http::string_body> req, Headers headers) {
    const HttpServerConfig& config = server_->config;
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket has its own timeouts
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = config.websocket_handshake_timeout;
    timeout.idle_timeout = config.websocket_idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator([headers = std::move(headers)](
                                                         websocket::response_type& res) {
      res.erase(http::field::server);  // Beast's own; no other answer names the server
      for (const auto& [name, value] : headers.all()) {
        try {
          res.insert(name, value);
        } catch (const std::exception& e) {
          spdlog::error("api: cannot add header {} to a WebSocket handshake: {}", name, e.what());
        }
      }
    }));
    ws_.read_message_max(config.websocket_max_read_bytes);
    ws_.auto_fragment(false);  // one message, one frame
    request_ = std::move(req);
    ws_.async_accept(
        request_, [self = this->shared_from_this()](beast::error_code ec) { self->onAccept(ec); });
  }

  void shutdown() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (!self->open_) return self->finish();
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->queue_.clear();
        self->queued_bytes_ = 0;
        if (!self->closing_) self->close_code_ = kWebSocketCloseGoingAway;
        self->closing_ = true;
      }
      self->pump();
    });
  }

  // Any thread (WebSocketChannel::sendText).
  bool enqueue(std::string text) {
    bool overflow = false;
    bool post = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_ || dead_) return false;
      if (queued_bytes_ + text.size() > server_->config.websocket_max_queued_bytes) {
        dead_ = true;
        overflow = true;
      } else {
        queued_bytes_ += text.size();
        queue_.push_back(std::move(text));
        post = !pump_posted_;
        pump_posted_ = true;
      }
    }
    if (overflow) {
      net::post(ws_.get_executor(), [self = this->shared_from_this()] {
        spdlog::warn("api: WebSocket {} is not reading (over {} bytes queued): closing it",
                     self->request_.target(), self->server_->config.websocket_max_queued_bytes);
        self->finish();
      });
      return false;
    }
    if (post) net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->pump(); });
    return true;
  }

  // Any thread (WebSocketChannel::close).
  void requestClose(uint16_t code) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_ || dead_) return;
      closing_ = true;
      close_code_ = code;
    }
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->pump(); });
  }

 private:
  void onAccept(beast::error_code ec) {
    if (ec) return finish();
    open_ = true;
    handler_->onOpen(std::make_shared<Channel>(this->weak_from_this()));
    read();
    pump();
  }

  // Reads (and drops) what the peer sends, so that pings are answered, its close frame is seen
  // and a vanished peer times out.
  void read() {
    ws_.async_read(read_buffer_, [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->finish();
      self->read_buffer_.consume(n);
      self->read();
    });
  }

  // Writes the next queued message, or the close frame once the queue is empty.
  void pump() {
    std::string next;
    bool send_close = false;
    uint16_t code = kWebSocketCloseNormal;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pump_posted_ = false;
      if (!open_ || finished_ || writing_) return;
      if (!queue_.empty()) {
        next = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= next.size();
      } else if (closing_ && !close_sent_) {
        send_close = true;
        close_sent_ = true;
        code = close_code_;
      } else {
        return;
      }
    }
    writing_ = true;
    if (send_close) {
      // The read loop sees the peer's answering close frame and ends the connection.
      ws_.async_close(websocket::close_reason(code),
                      [self = this->shared_from_this()](beast::error_code ec) {
                        self->writing_ = false;
                        if (ec) self->finish();
                      });
      return;
    }
    current_ = std::move(next);
    ws_.text(true);
    ws_.async_write(net::buffer(current_),
                    [self = this->shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) return self->finish();
                      self->pump();
                    });
  }

  // Ends the connection (once) and tells the handler.
  void finish() {
    if (finished_) return;
    finished_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dead_ = true;
      queue_.clear();
      queued_bytes_ = 0;
    }
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    if (handler_) {
      std::shared_ptr<WebSocketHandler> handler = std::move(handler_);
      handler->onClose();
    }
  }

  // What the handler holds: it reaches the connection while it lives, and never keeps it alive.
  class Channel final : public WebSocketChannel {
   public:
    explicit Channel(std::weak_ptr<WsSession> session) : session_(std::move(session)) {}
    bool sendText(std::string text) override {
      std::shared_ptr<WsSession> s = session_.lock();
      return s && s->enqueue(std::move(text));
    }
    void close(uint16_t code) override {
      if (std::shared_ptr<WsSession> s = session_.lock()) s->requestClose(code);
    }

   private:
    std::weak_ptr<WsSession> session_;
  };

  websocket::stream<Stream> ws_;
  HttpServer::Impl* server_;
  std::shared_ptr<WebSocketHandler> handler_;
  std::shared_ptr<ClientSlot> slot_;
  http::request<http::string_body> request_;
  beast::flat_buffer read_buffer_;
  std::string current_;  // the message being written
  // Strand state.
  bool open_ = false;
  bool writing_ = false;
  bool finished_ = false;
  // Under mu_.
  std::mutex mu_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool pump_posted_ = false;
  bool closing_ = false;     // close() asked: no more messages
  bool close_sent_ = false;  // the close frame is written (or being written)
  bool dead_ = false;        // the connection ended or overflowed
  uint16_t close_code_ = kWebSocketCloseNormal;
};

template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `slot` is null for a connection over its client's limit: it is refused at once.
  Session(Stream stream, HttpServer::Impl* server, std::string remote,
          std::shared_ptr<ClientSlot> slot)
      : stream_(std::move(stream)),
        executor_(stream_.get_executor()),
        server_(server),
        remote_(std::move(remote)),
        slot_(std::move(slot)) {}

  ~Session() override {
    releaseBody();
    server_->removeSession(this);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->reading_ = true;  // nothing to finish: stop() may close it now
        self->tcp().expires_after(self->config().read_header_timeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->closeNow();
          self->admit();
        });
      } else {
        self->admit();
      }
    });
  }

 private:
  // Refuses a connection over its client's limit, else serves it.
  void admit() {
    if (!slot_) {
      return refuse(
          tooManyRequests("too many connections from " + hostOf(remote_) + " (the limit is " +
                          std::to_string(config().max_connections_per_client) + ")"),
          /*retry_after=*/1);
    }
    waitForRequest();
  }

 public:
  // From any thread: finish the current exchange, then close; an idle connection closes now.
  void shutdown() override {
    // executor_, not stream_'s: after an upgrade the stream belongs to a WsSession.
    net::post(executor_, [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (self->reading_) self->closeNow();
    });
  }

 private:
  const HttpServerConfig& config() const { return server_->config; }

  // Waits (up to the idle timeout) for the first byte of the next request.
  void waitForRequest() {
    reading_ = true;
    if (stopping_) return closeNow();
    if (buffer_.size() > 0) return readHeader();
    tcp().expires_after(config().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kIdleReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->closeNow();
                              self->buffer_.commit(n);
                              self->readHeader();
                            });
  }

  void readHeader() {
    request_deadline_ = std::chrono::steady_clock::now() + config().read_timeout;
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(boost::none);  // checked against Content-Length once the header is in
    tcp().expires_after(std::min<Duration>(config().read_header_timeout, config().read_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
  }

  void onHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      return closeNow();
    }
    if (ec == http::error::header_limit) return refuse(headerTooLarge(kMaxHeaderBytes));
    if (ec) {
      return refuse(invalidArgument("malformed HTTP request: " + ec.message())
                        .withComponent(kComponentApiServer));
    }
    const auto& req = parser_->get();
    if (auto len = parser_->content_length(); len && *len > config().max_body_bytes) {
      return refuse(requestTooLarge(config().max_body_bytes));
    }
    if (!server_->admitRequest(hostOf(remote_))) {
      return refuse(
          tooManyRequests("too many requests from " + hostOf(remote_) + " (the limit is " +
                          formatRate(config().max_requests_per_second_per_client) + " per second)"),
          /*retry_after=*/1);
    }
    size_t body = parser_->content_length() ? static_cast<size_t>(*parser_->content_length())
                                            : (parser_->chunked() ? config().max_body_bytes : 0);
    if (body > 0) {
      if (!server_->reserveBody(body)) {
        return refuse(unavailable("the server is busy reading other requests' bodies")
                          .withComponent(kComponentApiServer)
                          .withHint("retry after the number of seconds in the Retry-After header"),
                      /*retry_after=*/1);
      }
      reserved_body_ = body;
    }
    parser_->body_limit(config().max_body_bytes);
    if (parser_->is_done()) return handle();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      tcp().expires_after(config().write_timeout);
      http::async_write(stream_, *cont,
                        [self = this->shared_from_this(), cont](beast::error_code wec, size_t) {
                          if (wec) return self->closeNow();
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    tcp().expires_at(request_deadline_);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec == http::error::body_limit) {
            return self->refuse(requestTooLarge(self->config().max_body_bytes));
          }
          // A body the parser cannot make sense of (a bad chunk size, say) is the
          // client's error, and it hears so; a dead or timed-out socket just closes.
          if (ec && ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
              ec != http::error::end_of_stream && ec != http::error::partial_message) {
            return self->refuse(invalidArgument("malformed HTTP request body: " + ec.message())
                                    .withComponent(kComponentApiServer));
          }
          if (ec) return self->closeNow();
          self->handle();
        });
  }

  HttpRequest toRequest(bool with_body) {
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    parseTarget(req.target, &req.path, &req.query);
    for (const auto& field : msg) {
      req.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    if (with_body) req.body = std::move(msg.body());
    req.remote_address = remote_;
    return req;
  }

  // Answers a request that is not read to its end, then closes the connection. `retry_after`
  // > 0 sets the Retry-After header (seconds).
  void refuse(const Status& status, int retry_after = 0) {
    reading_ = false;
    releaseBody();
    HttpRequest req;
    if (parser_ && parser_->is_header_done()) req = toRequest(false);
    req.remote_address = remote_;
    HttpResponse res = server_->handler->reject(req, status);
    if (retry_after > 0) res.headers.set("Retry-After", std::to_string(retry_after));
    res.close_connection = true;
    write(std::move(res), /*head=*/false, /*keep_alive=*/false, /*drain=*/true);
  }

  void handle() {
    reading_ = false;
    HttpRequest req = toRequest(true);
    req.websocket_upgrade = websocket::is_upgrade(parser_->get());
    bool keep_alive = parser_->get().keep_alive();
    bool head = req.method == "HEAD";
    HttpResponse res;
    try {
      res = server_->handler->handle(req);
    } catch (...) {
      // The handler promises not to throw; if it does anyway, answer instead of crashing.
      res = errorResponse(internalError("Internal server error"), req.request_id);
    }
    req.body = std::string();  // the answer is made: the body's share of the budget goes back
    releaseBody();
    if (res.websocket) {
      if (req.websocket_upgrade && !stopping_) return upgrade(std::move(res));
      if (!req.websocket_upgrade) {
        spdlog::error("api: {} answered a plain request with a WebSocket", req.path);
        res = errorResponse(internalError("Internal server error"), req.request_id);
      } else {
        res = errorResponse(unavailable("the server is stopping"), req.request_id);
      }
    }
    keep_alive = keep_alive && !res.close_connection;
    write(std::move(res), head, keep_alive, /*drain=*/false);
  }

  // Hands the connection to a WebSocket session, which answers the handshake. This session is
  // done: it ends when its last handler returns.
  void upgrade(HttpResponse res) {
    tcp().expires_never();
    auto ws = std::make_shared<WsSession<Stream>>(std::move(stream_), server_,
                                                  std::move(res.websocket), slot_);
    bool stop_now = server_->addSession(ws);
    ws->start(parser_->release(), std::move(res.headers));
    if (stop_now) ws->shutdown();
  }

  void write(HttpResponse res, bool head, bool keep_alive, bool drain) {
    if (!res.body_file.empty() && !head) return writeFile(std::move(res), keep_alive);
    unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    auto msg = std::make_shared<http::response<http::string_body>>();
    keep_alive = keep_alive && !stopping_;
    try {
      msg->version(version);
      msg->result(static_cast<unsigned>(res.status));
      for (const auto& [name, value] : res.headers.all()) msg->insert(name, value);
      msg->keep_alive(keep_alive);
      if (head && !res.body_file.empty()) {
        std::error_code fec;
        msg->content_length(std::filesystem::file_size(res.body_file, fec));
      } else if (head) {
        msg->content_length(res.body.size());
      } else {
        msg->body() = std::move(res.body);
        msg->prepare_payload();
      }
    } catch (const std::exception& e) {
      // An invalid status or header from a handler (a bug): drop the connection, do not crash.
      spdlog::error("api: cannot serialise a {} response: {}", res.status, e.what());
      return closeNow();
    }
    tcp().expires_after(config().write_timeout);
    http::async_write(
        stream_, *msg,
        [self = this->shared_from_this(), msg, keep_alive, drain](beast::error_code ec, size_t) {
          if (ec) return self->closeNow();
          if (!keep_alive) return drain ? self->linger() : self->closeGracefully();
          self->waitForRequest();
        });
  }

  // A response whose body streams from a file, a buffer at a time: a large result archive never
  // sits in memory whole.
  void writeFile(HttpResponse res, bool keep_alive) {
    unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    auto msg = std::make_shared<http::response<http::file_body>>();
    keep_alive = keep_alive && !stopping_;
    beast::error_code ec;
    msg->body().open(res.body_file.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      HttpResponse missing = errorResponse(notFound("no such file on this node"), "");
      return write(std::move(missing), false, keep_alive, false);
    }
    try {
      msg->version(version);
      msg->result(static_cast<unsigned>(res.status));
      for (const auto& [name, value] : res.headers.all()) msg->insert(name, value);
      msg->keep_alive(keep_alive);
      msg->prepare_payload();
    } catch (const std::exception& e) {
      spdlog::error("api: cannot serialise a {} response: {}", res.status, e.what());
      return closeNow();
    }
    tcp().expires_after(config().write_timeout);
    http::async_write(
        stream_, *msg,
        [self = this->shared_from_this(), msg, keep_alive](beast::error_code wec, size_t) {
          if (wec) return self->closeNow();
          if (!keep_alive) return self->closeGracefully();
          self->waitForRequest();
        });
  }

  // Half-closes, then drops whatever the client still sends (bounded), so it reads the answer.
  void linger() {
    beast::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return closeNow();
    tcp().expires_after(kLingerTimeout);
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kLingerReadChunk),
                            [self = this->shared_from_this()](beast::error_code rec, size_t n) {
                              self->lingered_ += n;
                              if (rec || self->lingered_ > kMaxLingerBytes) return self->closeNow();
                              self->linger();
                            });
  }

  void closeGracefully() {
    beast::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    closeNow();
  }

  void releaseBody() {
    if (reserved_body_ > 0) server_->releaseBody(reserved_body_);
    reserved_body_ = 0;
  }

  void closeNow() {
    reading_ = false;
    releaseBody();
    beast::error_code ec;
    tcp().socket().close(ec);
  }

  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  net::any_io_executor executor_;  // the connection's strand
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl* server_;
  std::string remote_;
  std::shared_ptr<ClientSlot> slot_;
  size_t reserved_body_ = 0;  // of the server's bodies-in-flight budget
  std::chrono::steady_clock::time_point request_deadline_;
  size_t lingered_ = 0;
  bool reading_ = false;   // waiting for a request (idle or headers): safe to close on stop
  bool stopping_ = false;  // close after the current response
};

}  // namespace

bool HttpServer::Impl::addSession(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.emplace(c.get(), c);
  return !accepting;
}

void HttpServer::Impl::removeSession(const Connection* s) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(s);
  if (sessions.empty()) sessions_cv.notify_all();
}

bool HttpServer::Impl::admitConnection(const std::string& ip) {
  std::lock_guard lock(clients_mu);
  Client& c = clients[ip];
  if (config.max_connections_per_client > 0 && c.connections >= config.max_connections_per_client) {
    return false;
  }
  ++c.connections;
  return true;
}

void HttpServer::Impl::releaseConnection(const std::string& ip) {
  std::lock_guard lock(clients_mu);
  auto it = clients.find(ip);
  if (it != clients.end() && it->second.connections > 0) --it->second.connections;
  // Forget clients with no connection and a full bucket, now and then rather than on every
  // close (a client that reconnects per request must keep its bucket).
  if (clients.size() > 1024) {
    Time now = (config.clock ? config.clock : &SystemClock::instance())->now();
    for (auto c = clients.begin(); c != clients.end();) {
      bool idle = c->second.connections == 0 && now - c->second.refilled > std::chrono::seconds(1);
      c = idle ? clients.erase(c) : std::next(c);
    }
  }
}

bool HttpServer::Impl::admitRequest(const std::string& ip) {
  double rate = config.max_requests_per_second_per_client;
  if (rate <= 0) return true;
  Time now = (config.clock ? config.clock : &SystemClock::instance())->now();
  std::lock_guard lock(clients_mu);
  Client& c = clients[ip];
  if (c.refilled == Time{}) {
    c.tokens = rate;  // a new client starts with a full second's worth
  } else {
    // The wall clock may step back; that refills nothing.
    double elapsed = std::max(0.0, std::chrono::duration<double>(now - c.refilled).count());
    c.tokens = std::min(rate, c.tokens + elapsed * rate);
  }
  c.refilled = now;
  if (c.tokens < 1) return false;
  c.tokens -= 1;
  return true;
}

bool HttpServer::Impl::reserveBody(size_t bytes) {
  size_t cap = config.max_body_bytes_in_flight;
  size_t current = body_bytes_in_flight.load();
  do {
    // One body is always let through, however large: the limit bounds concurrency, not size.
    if (current > 0 && current + bytes > cap) return false;
  } while (!body_bytes_in_flight.compare_exchange_weak(current, current + bytes));
  return true;
}

template <class S>
void HttpServer::Impl::startSession(std::shared_ptr<S> session) {
  bool stop_now = addSession(session);
  session->start();
  if (stop_now) session->shutdown();
}

void HttpServer::Impl::accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    onAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::onAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: back off briefly instead of spinning.
    spdlog::warn("api: accept failed: {}", ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(100));
    accept_retry->async_wait([this](beast::error_code wec) {
      if (!wec && acceptor->is_open()) accept();
    });
    return;
  }
  beast::error_code opt_ec;
  socket.set_option(tcp::no_delay(true), opt_ec);
  std::string remote;
  std::string ip;
  if (auto ep = socket.remote_endpoint(opt_ec); !opt_ec) {
    ip = ep.address().to_string();
    remote = ip + ":" + std::to_string(ep.port());
  }
  std::shared_ptr<ClientSlot> slot;
  if (admitConnection(ip)) slot = std::make_shared<ClientSlot>(this, ip);
  if (tls) {
    startSession(std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls), this,
                                                      std::move(remote), slot));
  } else {
    startSession(std::make_shared<Session<PlainStream>>(PlainStream(std::move(socket)), this,
                                                        std::move(remote), slot));
  }
  accept();
}

Status HttpServer::Impl::loadTls() {
  if (config.tls_cert_file.empty() && config.tls_key_file.empty()) return Status::ok();
  if (config.tls_cert_file.empty() || config.tls_key_file.empty()) {
    return invalidArgument("HTTPS needs both a certificate and its key")
        .withComponent(kComponentApiServer)
        .withHint("give both --api-tls-cert-file and --api-tls-key-file, or neither");
  }
  tls.emplace(ssl::context::tls_server);
  // TLS 1.2 and later only; OpenSSL's defaults choose the ciphers.
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  beast::error_code ec;
  tls->use_certificate_chain_file(config.tls_cert_file, ec);
  if (ec) {
    tls.reset();
    return invalidArgument("cannot use the API TLS certificate " + config.tls_cert_file + ": " +
                           ec.message())
        .withComponent(kComponentApiServer)
        .withHint("--api-tls-cert-file must name a readable PEM certificate (chain)");
  }
  tls->use_private_key_file(config.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    tls.reset();
    return invalidArgument("cannot use the API TLS key " + config.tls_key_file + ": " +
                           ec.message())
        .withComponent(kComponentApiServer)
        .withHint("--api-tls-key-file must name the PEM private key of the certificate");
  }
  return Status::ok();
}

HttpServer::HttpServer(HttpServerConfig config, HttpHandler* handler)
    : impl_(std::make_unique<Impl>(std::move(config), handler)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  if (impl_->started) return failedPrecondition("the HTTP server was already started");
  Impl& s = *impl_;
  const std::string where = s.config.host + ":" + std::to_string(s.config.port);
  beast::error_code ec;
  tcp::endpoint endpoint;
  net::ip::address addr = net::ip::make_address(s.config.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(addr, s.config.port);
  } else {
    tcp::resolver resolver(s.ioc);
    auto results = resolver.resolve(s.config.host, std::to_string(s.config.port), ec);
    if (ec || results.empty()) {
      return unavailable("cannot resolve API host '" + s.config.host + "': " + ec.message())
          .withComponent(kComponentApiServer);
    }
    endpoint = results.begin()->endpoint();
  }
  COD_RETURN_IF_ERROR(s.loadTls());
  s.acceptor.emplace(net::make_strand(s.ioc));
  s.accept_retry.emplace(s.acceptor->get_executor());
  auto fail = [&](const char* what) {
    beast::error_code ignored;
    s.acceptor->close(ignored);
    return unavailable(std::string("cannot ") + what + " " + where + ": " + ec.message())
        .withComponent(kComponentApiServer)
        .withHint("choose another API port (--api-port) or stop the process using it");
  };
  s.acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("configure a socket for");
  s.acceptor->bind(endpoint, ec);
  if (ec) return fail("listen on");
  s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  s.bound_port = s.acceptor->local_endpoint(ec).port();
  s.started = true;
  s.accept();
  int n = std::max(1, s.config.threads);
  for (int i = 0; i < n; ++i) {
    s.threads.emplace_back([&s] {
      // An exception out of a handler ends only the connection whose handler threw (its session
      // is released with the handler); the thread goes back to serving the others. run() returns
      // only once the server stops.
      while (true) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("api: a connection failed with an exception: {}", e.what());
        } catch (...) {
          spdlog::error("api: a connection failed with an unknown exception");
        }
      }
    });
  }
  spdlog::info("api: listening on {}://{}:{}", s.tls ? "https" : "http", s.config.host,
               s.bound_port.load());
  return Status::ok();
}

uint16_t HttpServer::port() const { return impl_->bound_port.load(); }

void HttpServer::stop() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  net::post(s.acceptor->get_executor(), [&s] {
    beast::error_code ec;
    s.acceptor->close(ec);
    s.accept_retry->cancel();
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard<std::mutex> guard(s.mu);
    s.accepting = false;
    for (auto& [ptr, weak] : s.sessions) {
      if (auto strong = weak.lock()) live.push_back(std::move(strong));
    }
  }
  for (auto& session : live) session->shutdown();
  live.clear();  // the sessions must be free to die
  {
    std::unique_lock<std::mutex> guard(s.mu);
    s.sessions_cv.wait_for(guard, s.config.shutdown_grace, [&s] { return s.sessions.empty(); });
  }
  s.ioc.stop();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
  {
    std::lock_guard<std::mutex> guard(s.mu);
    for (auto& [ptr, weak] : s.sessions) {
      if (auto strong = weak.lock()) live.push_back(std::move(strong));
    }
  }
  for (auto& connection : live) connection->abandon();
  live.clear();
  spdlog::info("api: stopped");
}

}  // namespace cod::api
