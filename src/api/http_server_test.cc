#include "api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "api/middleware.h"
#include "api/router.h"
#include "api/test_http_client.h"
#include "common/ids.h"
#include "http/session.h"

namespace cod::api {
namespace {

using testing::TestHttpClient;
using testing::TestResponse;

// A raw TCP connection for what libcurl will not send (malformed or partial requests).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{};
    tv.tv_sec = 10;  // the deadline for every wait below
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  // Reads until the peer closes (or the receive deadline passes: `closed` is then false).
  std::string readUntilClosed(bool* closed) {
    std::string out;
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      *closed = n == 0 || errno == ECONNRESET;
      return out;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](const HttpRequest& req) -> Result<HttpResponse> {
      return HttpResponse::json(200, R"({"hello":")" + req.queryValue("name", "world") + "\"}");
    });
    router_.add("PUT", "/echo-size", [](const HttpRequest& req) -> Result<HttpResponse> {
      return HttpResponse::json(200, R"({"size":)" + std::to_string(req.body.size()) + "}");
    });
    router_.add("GET", "/peer", [](const HttpRequest& req) -> Result<HttpResponse> {
      return HttpResponse::json(200, "\"" + req.remote_address + "\"");
    });
  }

  void startServer(HttpServerConfig config = {}) {
    config.host = "127.0.0.1";
    config.port = 0;
    server_ = std::make_unique<HttpServer>(config, &middleware_);
    ASSERT_TRUE(server_->start().isOk());
    ASSERT_GT(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  Router router_;
  Middleware middleware_{&router_, ServerHeaders{"v1.7.0", "c", "d", "linux", "amd64"},
                         CorsConfig{{"http://ui"}}};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesRequestsOverOneKeepAliveConnection) {
  startServer();
  TestHttpClient client(server_->port());
  for (int i = 0; i < 3; ++i) {
    TestResponse res = client.get("/hello?name=cod%20" + std::to_string(i));
    ASSERT_EQ(res.status, 200) << res.error;
    EXPECT_EQ(res.json().at("hello").as_string(), "cod " + std::to_string(i));
    EXPECT_EQ(res.headers.get("Content-Type"), "application/json");
    EXPECT_FALSE(res.headers.has("Access-Control-Allow-Origin"));  // not asked by a web page
    EXPECT_EQ(res.headers.get("X-Bacalhau-Git-Version"), "v1.7.0");
  }
  EXPECT_EQ(client.connectionsOpened(), 1);
  TestResponse peer = client.get("/peer");
  EXPECT_EQ(std::string(peer.json().as_string()).substr(0, 10), "127.0.0.1:");
}

TEST_F(HttpServerTest, EchoesRequestId) {
  startServer();
  TestHttpClient client(server_->port());
  TestResponse res = client.get("/nope", {{"X-Request-ID", "req-77"}});
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.headers.get("X-Request-ID"), "req-77");
  EXPECT_EQ(res.json().at("RequestID").as_string(), "req-77");
}

TEST_F(HttpServerTest, HeadHasHeadersButNoBody) {
  startServer();
  TestHttpClient client(server_->port());
  TestResponse res = client.request("HEAD", "/hello");
  EXPECT_EQ(res.status, 200) << res.error;
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(res.headers.get("Content-Length"), "17");  // {"hello":"world"}
  EXPECT_EQ(client.get("/hello").status, 200);         // the connection is still usable
}

TEST_F(HttpServerTest, AnswersPreflightOverTheWireOnlyForAllowedOrigins) {
  startServer();
  TestHttpClient client(server_->port());
  TestResponse res =
      client.request("OPTIONS", "/api/v1/orchestrator/jobs", "",
                     {{"Origin", "http://ui"}, {"Access-Control-Request-Method", "DELETE"}});
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.headers.get("Access-Control-Allow-Origin"), "http://ui");
  EXPECT_NE(res.headers.get("Access-Control-Allow-Methods").find("DELETE"), std::string::npos);

  TestResponse evil =
      client.request("OPTIONS", "/api/v1/orchestrator/jobs", "",
                     {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "PUT"}});
  EXPECT_EQ(evil.status, 403);
  EXPECT_FALSE(evil.headers.has("Access-Control-Allow-Origin"));
}

// Beast throws from inside the read for a header field over 64 KiB; that used to end the I/O
// thread, so that two such requests left the API answering nothing.
TEST_F(HttpServerTest, LongHeadersGet431AndTheServerKeepsServing) {
  HttpServerConfig config;
  config.threads = 2;
  startServer(config);
  for (size_t size : {size_t{70000}, size_t{70000}, size_t{70000}, size_t{2} * 1024 * 1024}) {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.connected());
    conn.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(size, 'a') + "\r\n\r\n");
    bool closed = false;
    std::string out = conn.readUntilClosed(&closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 431") << "header of " << size << " bytes";
    EXPECT_NE(out.find("RequestHeaderFieldsTooLarge"), std::string::npos);
  }
  TestHttpClient client(server_->port());
  EXPECT_EQ(client.get("/hello").status, 200);
  // Headers of a normal size still work.
  EXPECT_EQ(client.get("/hello", {{"X-Token", std::string(8000, 't')}}).status, 200);
}

// Result archives are streamed from disk, never loaded whole.
TEST_F(HttpServerTest, StreamsABodyFromAFile) {
  std::string path = ::testing::TempDir() + "/cod-body-" + std::to_string(::getpid());
  std::string content;
  for (int i = 0; i < 300000; ++i) content += std::to_string(i % 10);
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  router_.add("GET", "/file", [path](const HttpRequest&) -> Result<HttpResponse> {
    HttpResponse r;
    r.headers.set("Content-Type", "application/gzip");
    r.body_file = path;
    return r;
  });
  router_.add("GET", "/missing-file", [](const HttpRequest&) -> Result<HttpResponse> {
    HttpResponse r;
    r.body_file = "/nonexistent/cod-file";
    return r;
  });
  startServer();
  TestHttpClient client(server_->port());
  TestResponse got = client.get("/file");
  ASSERT_EQ(got.status, 200) << got.error;
  EXPECT_EQ(got.body, content);
  TestResponse head = client.request("HEAD", "/file");
  EXPECT_EQ(head.headers.get("Content-Length"), std::to_string(content.size()));
  EXPECT_EQ(client.get("/missing-file").status, 404);
  EXPECT_EQ(client.get("/hello").status, 200);  // the connection carries on
  std::remove(path.c_str());
}

TEST_F(HttpServerTest, BadChunkSizeGets400) {
  startServer();
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  conn.send(
      "PUT /echo-size HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
  bool closed = false;
  std::string out = conn.readUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 400");
  EXPECT_NE(out.find("malformed HTTP request body"), std::string::npos);
  TestHttpClient client(server_->port());
  EXPECT_EQ(client.get("/hello").status, 200);
}

TEST_F(HttpServerTest, AcceptsBodyUnderTheLimit) {
  startServer();
  TestHttpClient client(server_->port());
  std::string body(size_t{2} * 1024 * 1024,
                   'x');  // large enough for curl to send Expect: 100-continue
  TestResponse res = client.put("/echo-size", body);
  ASSERT_EQ(res.status, 200) << res.error;
  EXPECT_EQ(res.json().at("size").as_int64(), 2 * 1024 * 1024);
}

TEST_F(HttpServerTest, RefusesOversizedBodyWith413) {
  startServer();
  std::string body(size_t{11} * 1024 * 1024, 'x');
  for (bool expect_continue : {true, false}) {
    TestHttpClient client(server_->port());
    TestHttpClient::HeaderList headers;
    if (!expect_continue) headers.emplace_back("Expect", "");  // send the body at once
    headers.emplace_back("X-Request-ID", "big-1");
    TestResponse res = client.request("PUT", "/echo-size", body, headers);
    ASSERT_EQ(res.status, 413) << "expect=" << expect_continue << " " << res.error;
    auto json = res.json();
    EXPECT_EQ(json.at("Status").as_int64(), 413);
    EXPECT_EQ(json.at("Code").as_string(), "ResourceExhausted");
    EXPECT_EQ(json.at("RequestID").as_string(), "big-1");
    EXPECT_NE(std::string(json.at("Message").as_string()).find("10485760"), std::string::npos);
  }
  // The server is still healthy.
  TestHttpClient client(server_->port());
  EXPECT_EQ(client.get("/hello").status, 200);
}

TEST_F(HttpServerTest, RefusesOversizedChunkedBody) {
  HttpServerConfig config;
  config.max_body_bytes = 1000;
  startServer(config);
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  std::string chunk(1500, 'y');
  char size_line[32];
  snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
  conn.send("PUT /echo-size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
            std::string(size_line) + chunk + "\r\n0\r\n\r\n");
  bool closed = false;
  std::string out = conn.readUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 413");
}

// A client over its request rate gets 429 with Retry-After in the standard error body; a new
// connection does not refill its bucket; time does. Another client is not affected.
TEST_F(HttpServerTest, AClientOverItsRequestRateGets429UntilItsBucketRefills) {
  ManualClock clock;
  HttpServerConfig config;
  config.max_requests_per_second_per_client = 2;
  config.clock = &clock;
  startServer(config);
  TestHttpClient client(server_->port());
  EXPECT_EQ(client.get("/hello").status, 200);
  EXPECT_EQ(client.get("/hello").status, 200);
  TestResponse over = client.get("/hello");
  ASSERT_EQ(over.status, 429) << over.error;
  EXPECT_EQ(over.headers.get("Retry-After"), "1");
  EXPECT_EQ(over.json().at("Code").as_string(), "ResourceExhausted");
  EXPECT_NE(std::string(over.json().at("Message").as_string())
                .find("too many requests from "
                      "127.0.0.1"),
            std::string::npos);
  TestHttpClient reconnected(server_->port());
  EXPECT_EQ(reconnected.get("/hello").status, 429) << "a new connection has the same bucket";

  clock.advance(std::chrono::milliseconds(500));  // one request's worth
  EXPECT_EQ(TestHttpClient(server_->port()).get("/hello").status, 200);
  EXPECT_EQ(TestHttpClient(server_->port()).get("/hello").status, 429);
  clock.advance(std::chrono::seconds(10));  // refills to one second's worth, no more
  EXPECT_EQ(TestHttpClient(server_->port()).get("/hello").status, 200);
  EXPECT_EQ(TestHttpClient(server_->port()).get("/hello").status, 200);
  EXPECT_EQ(TestHttpClient(server_->port()).get("/hello").status, 429);
}

// Past its open-connection limit a client's next connection is answered 429 and closed; once one
// closes, it may connect again.
TEST_F(HttpServerTest, AClientOverItsConnectionLimitIsRefused) {
  HttpServerConfig config;
  config.max_connections_per_client = 2;
  startServer(config);
  auto first = std::make_unique<RawConnection>(server_->port());
  RawConnection second(server_->port());
  ASSERT_TRUE(first->connected() && second.connected());
  {
    RawConnection third(server_->port());
    ASSERT_TRUE(third.connected());
    bool closed = false;
    std::string out = third.readUntilClosed(&closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 429") << out;
    EXPECT_NE(out.find("too many connections from 127.0.0.1 (the limit is 2)"), std::string::npos)
        << out;
    EXPECT_NE(out.find("Retry-After: 1"), std::string::npos) << out;
  }
  first.reset();
  // The server sees the close on its own time: retry until the slot is free (deadline 10 s).
  bool served = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !served && std::chrono::steady_clock::now() < deadline;) {
    RawConnection again(server_->port());
    again.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    bool closed = false;
    served = again.readUntilClosed(&closed).substr(0, 12) == "HTTP/1.1 200";
  }
  EXPECT_TRUE(served);
}

// Bodies in flight share a budget: while one request holds its body, another whose body would
// take the server over the budget is answered 503 with Retry-After before the body is read.
TEST_F(HttpServerTest, BodiesInFlightOverTheBudgetGet503) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool release = false;
  router_.add("PUT", "/hold", [&](const HttpRequest& req) -> Result<HttpResponse> {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return HttpResponse::json(200, std::to_string(req.body.size()));
  });
  HttpServerConfig config;
  config.max_body_bytes_in_flight = 1000;
  startServer(config);
  std::string body(800, 'b');
  std::thread holder([&] {
    RawConnection conn(server_->port());
    conn.send(
        "PUT /hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Connection: close\r\nContent-Length: 800\r\n\r\n" +
        body);
    bool closed = false;
    EXPECT_EQ(conn.readUntilClosed(&closed).substr(0, 12), "HTTP/1.1 200");
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  RawConnection busy(server_->port());
  busy.send(
      "PUT /echo-size HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 800\r\n\r\n" +
      body);
  bool closed = false;
  std::string out = busy.readUntilClosed(&closed);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 503") << out;
  EXPECT_NE(out.find("Retry-After: 1"), std::string::npos) << out;
  EXPECT_NE(out.find("busy reading other requests' bodies"), std::string::npos) << out;
  TestHttpClient small(server_->port());
  EXPECT_EQ(small.put("/echo-size", std::string(100, 's')).status, 200) << "it fits beside";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  holder.join();
  EXPECT_EQ(TestHttpClient(server_->port()).put("/echo-size", body).status, 200)
      << "the budget is back once the first answer is made";
}

TEST_F(HttpServerTest, MalformedRequestGets400AndClose) {
  startServer();
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  conn.send("THIS IS NOT HTTP\r\n\r\n");
  bool closed = false;
  std::string out = conn.readUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 400");
  EXPECT_NE(out.find("\"Code\":\"BadRequest\""), std::string::npos);
}

TEST_F(HttpServerTest, SlowHeadersAreCutOff) {
  HttpServerConfig config;
  config.read_header_timeout = std::chrono::milliseconds(200);
  startServer(config);
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  auto start = std::chrono::steady_clock::now();
  conn.send("GET /hello HTTP/1.1\r\nHost: x\r\n");  // never finishes the header block
  bool closed = false;
  conn.readUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerConfig config;
  config.idle_timeout = std::chrono::milliseconds(200);
  startServer(config);
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.connected());
  bool closed = false;
  conn.readUntilClosed(&closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsPromptly) {
  startServer();
  TestHttpClient client(server_->port());
  ASSERT_EQ(client.get("/hello").status, 200);  // leaves an idle keep-alive connection
  RawConnection idle(server_->port());
  auto start = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  server_->stop();  // idempotent
  TestResponse after = client.get("/hello");
  EXPECT_EQ(after.status, 0);  // nobody listens any more
}

TEST_F(HttpServerTest, SecondServerOnTheSamePortIsUnavailable) {
  startServer();
  HttpServerConfig config;
  config.host = "127.0.0.1";
  config.port = server_->port();
  HttpServer other(config, &middleware_);
  Status s = other.start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find(std::to_string(server_->port())), std::string::npos);
}

// A self-signed certificate for 127.0.0.1 in a fresh directory, as an operator would make one.
struct TestCertificate {
  std::filesystem::path dir;
  std::string cert;
  std::string key;
  bool made = false;
  TestCertificate() {
    dir = std::filesystem::temp_directory_path() / ("cod-tls-" + newUuid().substr(0, 8));
    std::filesystem::create_directories(dir);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    std::string cmd = "/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key +
                      " -out " + cert +
                      " -days 1 -subj /CN=cod-test -addext subjectAltName=IP:127.0.0.1 "
                      ">/dev/null 2>&1";
    made = std::system(cmd.c_str()) == 0;  // NOLINT(concurrency-mt-unsafe): test setup
  }
  ~TestCertificate() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Result<http::Response> httpsGet(uint16_t port, const std::string& ca_file) {
  http::SessionOptions options;
  options.ca_file = ca_file;
  options.timeout = std::chrono::seconds(10);
  http::Session session(options);
  http::SessionRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(port) + "/hello?name=tls";
  return session.send(req);
}

// With a certificate the server speaks only HTTPS: a client that trusts the certificate gets its
// answer, one that does not fails the handshake, and plain HTTP on the port gets nothing — and
// none of them disturbs the server.
TEST_F(HttpServerTest, ServesHttpsWithItsCertificate) {
  TestCertificate tls;
  ASSERT_TRUE(tls.made);
  HttpServerConfig config;
  config.tls_cert_file = tls.cert;
  config.tls_key_file = tls.key;
  startServer(config);

  auto trusted = httpsGet(server_->port(), tls.cert);
  ASSERT_TRUE(trusted.isOk()) << trusted.status().message();
  EXPECT_EQ(trusted->status, 200);
  EXPECT_EQ(trusted->body, R"({"hello":"tls"})");

  auto untrusted = httpsGet(server_->port(), "");  // the system's CAs do not know it
  ASSERT_FALSE(untrusted.isOk());
  EXPECT_NE(untrusted.status().message().find("certificate"), std::string::npos)
      << untrusted.status().message();

  TestHttpClient plain(server_->port());
  EXPECT_EQ(plain.get("/hello").status, 0);

  auto again = httpsGet(server_->port(), tls.cert);
  ASSERT_TRUE(again.isOk()) << again.status().message();
  EXPECT_EQ(again->status, 200);
}

// A client that connects and never starts the handshake is dropped after the header timeout.
TEST_F(HttpServerTest, AStalledTlsHandshakeIsCutOff) {
  TestCertificate tls;
  ASSERT_TRUE(tls.made);
  HttpServerConfig config;
  config.tls_cert_file = tls.cert;
  config.tls_key_file = tls.key;
  config.read_header_timeout = std::chrono::milliseconds(200);
  startServer(config);
  RawConnection silent(server_->port());
  ASSERT_TRUE(silent.connected());
  bool closed = false;
  silent.readUntilClosed(&closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, AnUnusableCertificateIsRefusedAtStart) {
  TestCertificate tls;
  ASSERT_TRUE(tls.made);
  auto startWith = [&](const std::string& cert, const std::string& key) {
    HttpServerConfig config;
    config.host = "127.0.0.1";
    config.tls_cert_file = cert;
    config.tls_key_file = key;
    HttpServer server(config, &middleware_);
    return server.start();
  };
  Status s = startWith(tls.cert, "");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("both a certificate and its key"), std::string::npos);
  s = startWith((tls.dir / "missing.pem").string(), tls.key);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("missing.pem"), std::string::npos) << s.message();
  s = startWith(tls.cert, tls.cert);  // a certificate is not a key
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("TLS key"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace cod::api
