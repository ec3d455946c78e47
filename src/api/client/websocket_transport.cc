// The only translation unit of the API client that includes Boost.Beast/Asio. Blocking calls
// with deadlines: each operation is started asynchronously and the connection's own io_context
// is run until it completes, so Beast's timers (connect, handshake, ping/idle) apply.

#include "api/client/websocket_transport.h"

#include <optional>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "api/client/api_client.h"
#include "common/strings.h"
#include "common/units.h"

namespace cod::api::client {

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr const char* kComponent = "APIClient";
// The largest message the client accepts: a 64 KiB log line escaped as JSON is well below.
constexpr size_t kMaxMessageBytes = size_t{4} * 1024 * 1024;

struct ParsedUrl {
  std::string scheme;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string host_header;  // as written in the URL: "127.0.0.1:1234", "[::1]:1234"
  std::string path;         // prefix, no trailing slash
};

Result<ParsedUrl> parseBaseUrl(const std::string& url) {
  ParsedUrl out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return invalidArgument("invalid API URL '" + url + "'");
  out.scheme = toLower(url.substr(0, scheme_end));
  std::string rest = url.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  out.path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  std::string authority = rest.substr(0, slash);
  out.host_header = authority;
  out.port = out.scheme == "https" ? "443" : "80";
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  std::string name = authority;
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    name = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.empty()) return invalidArgument("invalid API URL '" + url + "': no host");
  out.host = name;
  return out;
}

// Over TLS (wss), `tls` holds the trust settings and must outlive the connection.
template <class Stream>
class BeastConnection final : public WebSocketConnection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  BeastConnection(std::string base_url, Duration timeout) requires(!kTls)
      : base_url_(std::move(base_url)), timeout_(timeout), ws_(ioc_) {}
  BeastConnection(std::string base_url, Duration timeout, ssl::context& tls) requires(kTls)
      : base_url_(std::move(base_url)), timeout_(timeout), ws_(ioc_, tls) {}

  Status open(const ParsedUrl& url, const std::string& target,
              const std::vector<std::string>& headers) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return unreachable(ec.message());
    auto& tcp_stream = beast::get_lowest_layer(ws_);
    tcp_stream.expires_after(timeout_);
    tcp_stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      ec = e;
      done_ = true;
    });
    run();
    if (ec == beast::error::timeout) return tooSlow("connect to");
    if (ec) return unreachable(ec.message());
    if constexpr (kTls) {
      auto& tls = ws_.next_layer();
      // SNI, and the certificate must name the host dialled.
      if (SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str()) != 1) {
        return unreachable("cannot set the TLS server name " + url.host);
      }
      tls.set_verify_callback(ssl::host_name_verification(url.host));
      tls.async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done_ = true;
      });
      run();
      if (ec == beast::error::timeout) return tooSlow("complete a TLS handshake with");
      if (ec) {
        return unavailable("TLS with the cod API at " + base_url_ + " failed: " + ec.message())
            .withComponent(kComponent)
            .withHint(
                "if the API's certificate is not signed by a CA this machine trusts, "
                "name its CA with --api-ca-file (or COD_API_CA_FILE)");
      }
    }
    tcp_stream.expires_never();  // the WebSocket's own timeouts take over

    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = timeout_;
    timeout.idle_timeout = timeout_;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      req.set(http::field::user_agent, "cod-cli");
      for (const std::string& header : headers) {
        size_t colon = header.find(':');
        if (colon == std::string::npos) continue;
        req.set(std::string(trim(header.substr(0, colon))),
                std::string(trim(header.substr(colon + 1))));
      }
    }));
    ws_.read_message_max(kMaxMessageBytes);
    websocket::response_type response;
    ws_.async_handshake(response, url.host_header, url.path + target, [&](beast::error_code e) {
      ec = e;
      done_ = true;
    });
    run();
    if (ec == websocket::error::upgrade_declined) {
      return statusFromHttpError(static_cast<int>(response.result_int()), response.body(),
                                 "GET " + target.substr(0, target.find('?')));
    }
    if (ec == beast::error::timeout) return tooSlow("open a WebSocket with");
    if (ec) return unreachable(ec.message());
    return Status::ok();
  }

  Result<WebSocketMessage> read() override {
    beast::error_code ec;
    ws_.async_read(buffer_, [&](beast::error_code e, size_t) {
      ec = e;
      done_ = true;
    });
    run();
    WebSocketMessage message;
    if (ec == websocket::error::closed) {
      message.closed = true;
      message.close_code = ws_.reason().code;
      message.close_reason = std::string(ws_.reason().reason.c_str());
      return message;
    }
    if (ec == beast::error::timeout) {
      return deadlineExceeded("the cod API at " + base_url_ + " stopped answering (no reply for " +
                              formatDuration(timeout_) + ")")
          .withComponent(kComponent);
    }
    if (ec) {
      return unavailable("the connection to the cod API at " + base_url_ +
                         " broke: " + ec.message())
          .withComponent(kComponent);
    }
    message.text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return message;
  }

 private:
  // Runs handlers until the operation just started completes (its handler sets done_). Not
  // ioc_.run(): the WebSocket's idle timer stays armed, so the context never runs out of work.
  void run() {
    done_ = false;
    ioc_.restart();
    while (!done_ && ioc_.run_one() > 0) {
    }
  }

  Status unreachable(const std::string& reason) const {
    return unavailable(unreachableMessage(base_url_, reason)).withComponent(kComponent);
  }
  Status tooSlow(const std::string& what) const {
    return deadlineExceeded("could not " + what + " the cod API at " + base_url_ + " within " +
                            formatDuration(timeout_))
        .withComponent(kComponent);
  }

  std::string base_url_;
  Duration timeout_;
  net::io_context ioc_;  // before ws_, which runs on it
  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  bool done_ = false;
};

class BeastWebSocketTransport final : public WebSocketTransport {
 public:
  explicit BeastWebSocketTransport(BeastWebSocketOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<WebSocketConnection>> connect(const std::string& target) override {
    COD_ASSIGN_OR_RETURN(ParsedUrl url, parseBaseUrl(options_.base_url));
    if (url.scheme == "http") {
      auto connection =
          std::make_unique<BeastConnection<PlainStream>>(options_.base_url, options_.timeout);
      COD_RETURN_IF_ERROR(connection->open(url, target, options_.headers));
      return std::unique_ptr<WebSocketConnection>(std::move(connection));
    }
    if (url.scheme != "https") {
      return invalidArgument("invalid API URL '" + options_.base_url + "': http or https only")
          .withComponent(kComponent);
    }
    COD_RETURN_IF_ERROR(loadTrust());
    auto connection =
        std::make_unique<BeastConnection<TlsStream>>(options_.base_url, options_.timeout, *tls_);
    COD_RETURN_IF_ERROR(connection->open(url, target, options_.headers));
    return std::unique_ptr<WebSocketConnection>(std::move(connection));
  }

  const std::string& baseUrl() const override { return options_.base_url; }

 private:
  // The CA file, else the system's trust store; once per transport.
  Status loadTrust() {
    if (tls_) return Status::ok();
    tls_.emplace(ssl::context::tls_client);
    tls_->set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (!options_.ca_file.empty()) {
      tls_->load_verify_file(options_.ca_file, ec);
    } else {
      tls_->set_default_verify_paths(ec);
    }
    if (ec) {
      tls_.reset();
      return invalidArgument("cannot load the CA file " + options_.ca_file + ": " + ec.message())
          .withComponent(kComponent)
          .withHint("--api-ca-file must name a PEM file of CA certificates");
    }
    return Status::ok();
  }

  BeastWebSocketOptions options_;
  std::optional<ssl::context> tls_;  // made on the first wss connection
};

}  // namespace

std::unique_ptr<WebSocketTransport> makeBeastWebSocketTransport(BeastWebSocketOptions options) {
  return std::make_unique<BeastWebSocketTransport>(std::move(options));
}

}  // namespace cod::api::client
