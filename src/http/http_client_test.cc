#include "http/http_client.h"
#include "http/session.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace cod::http {
namespace {

namespace fs = std::filesystem;

// A bare HTTP/1.1 server on loopback whose handler writes raw bytes, so a test can break a
// response off in the middle, which a real server library would not do.
class RawServer {
 public:
  // `handler` gets the request head and returns the bytes to send before closing.
  explicit RawServer(std::function<std::string(const std::string& request)> handler)
      : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stopping_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
      }
      std::string out = handler_(request);
      for (size_t off = 0; off < out.size();) {
        ssize_t n = ::write(c, out.data() + off, out.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  std::function<std::string(const std::string&)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string body() {
  std::string b;
  for (int i = 0; i < 5000; ++i) b += static_cast<char>('a' + i % 26);
  return b;
}

DownloadOptions quickRetries() {
  DownloadOptions o;
  o.attempts = 3;
  o.backoff = std::chrono::milliseconds(10);
  return o;
}

TEST(HttpDownloadTest, ABrokenTransferResumesWhereItStopped) {
  const std::string data = body();
  RawServer server([&](const std::string& request) {
    if (request.find("Range: bytes=") == std::string::npos) {
      // The whole length announced, 1,200 bytes sent, then the connection drops.
      return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) +
             "\r\nETag: \"v1\"\r\nAccept-Ranges: bytes\r\n\r\n" + data.substr(0, 1200);
    }
    return "HTTP/1.1 206 Partial Content\r\nContent-Length: " + std::to_string(data.size() - 1200) +
           "\r\nContent-Range: bytes 1200-" + std::to_string(data.size() - 1) + "/" +
           std::to_string(data.size()) + "\r\nETag: \"v1\"\r\n\r\n" + data.substr(1200);
  });
  fs::path file = fs::temp_directory_path() / ("cod-resume-" + std::to_string(::getpid()));
  std::vector<uint64_t> progress;
  DownloadOptions o = quickRetries();
  o.on_progress = [&](uint64_t done, uint64_t) { progress.push_back(done); };
  auto got = download(server.url("/big.bin"), file.string(), o);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->bytes, data.size());
  EXPECT_TRUE(readFile(file) == data);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[1].find("Range: bytes=1200-"), std::string::npos) << requests[1];
  EXPECT_NE(requests[1].find("If-Range: \"v1\""), std::string::npos) << requests[1];
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), data.size());
  fs::remove(file);
}

TEST(HttpDownloadTest, AServerThatSendsItAllAgainIsWrittenFromTheStart) {
  const std::string data = body();
  int calls = 0;
  RawServer server([&](const std::string&) {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) +
                       "\r\nLast-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\n";
    return ++calls == 1 ? head + data.substr(0, 700) : head + data;  // ignores Range
  });
  fs::path file = fs::temp_directory_path() / ("cod-restart-" + std::to_string(::getpid()));
  auto got = download(server.url("/x"), file.string(), quickRetries());
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_TRUE(readFile(file) == data) << "no first 700 bytes twice";
  EXPECT_NE(server.requests()[1].find("If-Range: Tue, 01 Dec 2026"), std::string::npos);
  fs::remove(file);
}

TEST(HttpDownloadTest, WithoutAValidatorARetryStartsOver) {
  const std::string data = body();
  int calls = 0;
  RawServer server([&](const std::string&) {
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n";
    return ++calls == 1 ? head + data.substr(0, 700) : head + data;
  });
  fs::path file = fs::temp_directory_path() / ("cod-novalidator-" + std::to_string(::getpid()));
  auto got = download(server.url("/x"), file.string(), quickRetries());
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_TRUE(readFile(file) == data);
  EXPECT_EQ(server.requests()[1].find("Range:"), std::string::npos)
      << "nothing proves the rest belongs to the same body";
  fs::remove(file);
}

}  // namespace
// `on_headers` comes once, with the final answer's status, before any of its body: Docker's attach
// relies on it to start a container only once its output is attached. An answer with neither a
// length nor chunks is read until the server closes (as dockerd's attach stream is).
TEST(SessionTest, HeadersAreAnnouncedOnceBeforeTheBody) {
  RawServer server([](const std::string&) {
    return std::string("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Kind: raw\r\n\r\nframes");
  });
  Session session(SessionOptions{});
  std::vector<std::string> seen;
  SessionRequest r;
  r.method = "POST";
  r.url = server.url("/attach");
  r.has_body = true;
  r.on_headers = [&](long status) { seen.push_back("headers " + std::to_string(status)); };
  r.on_data = [&](std::string_view data) { seen.push_back("data " + std::string(data)); };
  auto got = session.send(r);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->headers["x-kind"], "raw");
  EXPECT_EQ(seen, (std::vector<std::string>{"headers 200", "data frames"}));

  // Trailers after a chunked body reach the header callback too, without a new status line.
  RawServer chunked([](const std::string&) {
    return std::string(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
        "6\r\nframes\r\n0\r\nX-Sum: 1\r\n\r\n");
  });
  seen.clear();
  r.url = chunked.url("/attach");
  ASSERT_TRUE(session.send(r).isOk());
  EXPECT_EQ(seen, (std::vector<std::string>{"headers 200", "data frames"}));
}

}  // namespace cod::http
