// CurlTransport against real sockets on 127.0.0.1: a refused connection, a kept-alive connection
// serving several requests, and a server that never answers.

#include "api/client/http_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/client/api_client.h"
#include "common/strings.h"

namespace cod::api::client {
namespace {

using ::testing::HasSubstr;

// A TCP socket bound to 127.0.0.1 on a free port; listens only when asked.
class LocalSocket {
 public:
  LocalSocket() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~LocalSocket() { ::close(fd_); }
  int fd() const { return fd_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Accepts connections and answers `max_requests` requests in total with `response_body`
// (or never answers when `silent`), recording what it got and how many connections it accepted.
class TinyServer {
 public:
  TinyServer(std::string response_body, int max_requests, bool silent = false)
      : body_(std::move(response_body)), max_requests_(max_requests), silent_(silent) {
    ::listen(socket_.fd(), 4);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    done_ = true;
    thread_.join();
  }
  std::string url() const { return socket_.url(); }
  int connections() {
    std::lock_guard lock(mu_);
    return connections_;
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  // Waits up to 10 s for `fd` to be readable; false on timeout or shutdown.
  bool waitReadable(int fd) {
    for (int i = 0; i < 100 && !done_; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) return true;
    }
    return false;
  }

  void serve() {
    int served = 0;
    while (served < max_requests_ && waitReadable(socket_.fd())) {
      int conn = ::accept(socket_.fd(), nullptr, nullptr);
      if (conn < 0) return;
      {
        std::lock_guard lock(mu_);
        ++connections_;
      }
      std::string buffer;
      while (served < max_requests_) {
        size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
          if (!readMore(conn, &buffer)) break;
        }
        if (head_end == std::string::npos) break;  // the client closed the connection
        size_t content_length = 0;
        std::string head = toLower(buffer.substr(0, head_end));
        size_t cl = head.find("content-length:");
        if (cl != std::string::npos) content_length = std::stoul(head.substr(cl + 15));
        while (buffer.size() < head_end + 4 + content_length) {
          if (!readMore(conn, &buffer)) break;
        }
        {
          std::lock_guard lock(mu_);
          requests_.push_back(buffer.substr(0, head_end + 4 + content_length));
        }
        buffer.erase(0, head_end + 4 + content_length);
        ++served;
        if (silent_) {
          waitReadable(conn);  // hold the request until the client gives up
          break;
        }
        std::string response =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Content-Length: " +
            std::to_string(body_.size()) + "\r\n\r\n" + body_;
        (void)!::write(conn, response.data(), response.size());
      }
      ::close(conn);
    }
  }

  bool readMore(int conn, std::string* buffer) {
    if (!waitReadable(conn)) return false;
    char chunk[4096];
    ssize_t n = ::read(conn, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }

  LocalSocket socket_;
  std::string body_;
  int max_requests_;
  bool silent_;
  std::atomic<bool> done_{false};
  std::mutex mu_;
  int connections_ = 0;
  std::vector<std::string> requests_;
  std::thread thread_;
};

TEST(CurlTransportTest, RefusedConnectionIsOneClearLine) {
  LocalSocket closed;  // bound, not listening: connecting is refused
  ClientOptions options;
  options.port = closed.port();
  auto client = ApiClient::create(options);
  ASSERT_TRUE(client.isOk());
  auto alive = client->agentAlive();
  ASSERT_FALSE(alive.isOk());
  EXPECT_EQ(alive.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(alive.error().message(),
            "cannot reach the cod API at " + closed.url() +
                ": connection refused (is 'cod serve' running? set --api-host/--api-port or "
                "COD_API_HOST/COD_API_PORT)");
}

TEST(CurlTransportTest, ReusesOneConnectionAndSendsJson) {
  TinyServer server(R"({"Status":"OK","EvaluationID":"ev"})", 3);
  CurlTransportOptions options;
  options.base_url = server.url();
  CurlTransport transport(options);
  auto first = transport.send({"GET", "/api/v1/agent/alive", ""});
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, R"({"Status":"OK","EvaluationID":"ev"})");
  auto second = transport.send({"DELETE", "/api/v1/orchestrator/jobs/j-1", R"({"reason":"x"})"});
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  auto third = transport.send({"GET", "/api/v1/agent/alive", ""});
  ASSERT_TRUE(third.isOk()) << third.status().toString();

  EXPECT_EQ(server.connections(), 1);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_THAT(requests[0], HasSubstr("GET /api/v1/agent/alive HTTP/1.1\r\n"));
  EXPECT_THAT(requests[1], HasSubstr("DELETE /api/v1/orchestrator/jobs/j-1 HTTP/1.1\r\n"));
  EXPECT_THAT(requests[1], HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(requests[1], HasSubstr("\r\n\r\n{\"reason\":\"x\"}"));
  EXPECT_THAT(requests[2], HasSubstr("GET /api/v1/agent/alive HTTP/1.1\r\n"));
}

TEST(CurlTransportTest, SlowServerIsDeadlineExceeded) {
  TinyServer server("", 1, /*silent=*/true);
  CurlTransportOptions options;
  options.base_url = server.url();
  options.timeout = std::chrono::milliseconds(300);
  CurlTransport transport(options);
  auto result = transport.send({"GET", "/api/v1/agent/alive", ""});
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.error().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(result.error().message(), HasSubstr("did not answer GET /api/v1/agent/alive"));
}

}  // namespace
}  // namespace cod::api::client
