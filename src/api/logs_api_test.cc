// The logs WebSocket (reference/bacalhau-api.md §3) over a real socket, fed by a fake LogSource.
// The client is the API client's Beast WebSocket transport, which hands back each frame's text
// and the close code untouched, so the frames are checked byte for byte.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "api/api_server.h"
#include "api/client/api_client.h"
#include "api/client/websocket_transport.h"
#include "api/test_http_client.h"
#include "common/version.h"
#include "orchestrator/logs/log_source.h"

namespace cod::api {
namespace {

using client::WebSocketConnection;
using client::WebSocketMessage;
using orchestrator::LogEntry;
using orchestrator::LogRequest;
using orchestrator::LogSink;
using orchestrator::LogStreamType;

constexpr auto kDeadline = std::chrono::seconds(10);
constexpr const char* kLogsPath = "/api/v1/orchestrator/jobs/j-1/logs";

// Records every open(); a test pushes entries through push()/end(), or lets `on_open` answer at
// once. cancel() waits for a push in progress and stops later ones, as the contract says.
class FakeLogSource final : public orchestrator::LogSource {
 public:
  std::function<void(const LogRequest&, LogSink&)> on_open;

  std::unique_ptr<orchestrator::LogSubscription> open(const LogRequest& req,
                                                      std::shared_ptr<LogSink> sink) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      sink_ = sink;
    }
    cv_.notify_all();
    if (on_open) on_open(req, *sink);
    return std::make_unique<Subscription>(this);
  }

  bool waitOpened(size_t n = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return requests_.size() >= n; });
  }
  bool waitCancelled() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return cancelled_; });
  }
  LogRequest request(size_t i = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.at(i);
  }
  size_t opened() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  bool cancelled() {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }

  // From the test's "source thread". False once cancelled.
  bool push(std::vector<LogEntry> entries) {
    std::lock_guard<std::mutex> callback(callback_mu_);
    std::shared_ptr<LogSink> sink = liveSink();
    if (!sink) return false;
    sink->onEntries(std::move(entries));
    return true;
  }
  void end(Status status) {
    std::lock_guard<std::mutex> callback(callback_mu_);
    if (std::shared_ptr<LogSink> sink = liveSink()) sink->onEnd(std::move(status));
  }

 private:
  class Subscription final : public orchestrator::LogSubscription {
   public:
    explicit Subscription(FakeLogSource* source) : source_(source) {}
    ~Subscription() override { cancel(); }
    void cancel() override {
      std::lock_guard<std::mutex> callback(source_->callback_mu_);  // waits for a push
      {
        std::lock_guard<std::mutex> lock(source_->mu_);
        source_->cancelled_ = true;
        source_->sink_.reset();
      }
      source_->cv_.notify_all();
    }

   private:
    FakeLogSource* source_;
  };

  std::shared_ptr<LogSink> liveSink() {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_ ? nullptr : sink_;
  }

  std::mutex callback_mu_;  // held while a sink callback runs
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LogRequest> requests_;
  std::shared_ptr<LogSink> sink_;
  bool cancelled_ = false;
};

LogEntry entry(LogStreamType type, std::string line) { return LogEntry{type, std::move(line)}; }

class LogsApiTest : public ::testing::Test {
 protected:
  void start(bool with_source = true, size_t max_queued_bytes = size_t{8} * 1024 * 1024) {
    ApiDeps deps;
    deps.logs = with_source ? &source_ : nullptr;
    deps.version.git_version = gitVersion();
    ApiConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.threads = 2;
    config.websocket_max_queued_bytes = max_queued_bytes;
    server_ = std::make_unique<ApiServer>(deps, config);
    ASSERT_TRUE(server_->start().isOk());
    client::BeastWebSocketOptions options;
    options.base_url = baseUrl();
    options.timeout = kDeadline;
    transport_ = client::makeBeastWebSocketTransport(options);
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<WebSocketConnection> connect(const std::string& target = kLogsPath) {
    auto connection = transport_->connect(target);
    EXPECT_TRUE(connection.isOk()) << connection.status().toString();
    return connection.isOk() ? std::move(connection).value() : nullptr;
  }

  // Every message up to and including the close.
  static std::vector<WebSocketMessage> readAll(WebSocketConnection& c) {
    std::vector<WebSocketMessage> out;
    while (true) {
      Result<WebSocketMessage> m = c.read();
      if (!m.isOk()) {
        ADD_FAILURE() << m.status().toString();
        return out;
      }
      out.push_back(*m);
      if (m->closed) return out;
    }
  }

  static std::vector<std::string> texts(const std::vector<WebSocketMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) {
      if (!m.closed) out.push_back(m.text);
    }
    return out;
  }

  FakeLogSource source_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<client::WebSocketTransport> transport_;
};

TEST_F(LogsApiTest, EntriesAreTypedTextFramesThenANormalClose) {
  source_.on_open = [](const LogRequest&, LogSink& sink) {
    sink.onEntries({entry(LogStreamType::kStdout, "hello\n"),
                    entry(LogStreamType::kStderr, "oops \"quoted\"\n")});
    sink.onEntries({entry(LogStreamType::kStdout, "tab\there\n")});
    sink.onEnd(Status::ok());
  };
  start();
  auto c = connect();
  ASSERT_NE(c, nullptr);
  std::vector<WebSocketMessage> got = readAll(*c);
  EXPECT_EQ(texts(got), (std::vector<std::string>{
                            R"({"value":{"Type":1,"Line":"hello\n"}})",
                            R"({"value":{"Type":2,"Line":"oops \"quoted\"\n"}})",
                            R"({"value":{"Type":1,"Line":"tab\there\n"}})",
                        }));
  ASSERT_FALSE(got.empty());
  EXPECT_TRUE(got.back().closed);
  EXPECT_EQ(got.back().close_code, 1000);
}

TEST_F(LogsApiTest, AnUnknownJobIsAnErrorFrameThenANormalClose) {
  source_.on_open = [](const LogRequest& req, LogSink& sink) {
    sink.onEnd(notFound("job not found: " + req.job_id));
  };
  start();
  auto c = connect("/api/v1/orchestrator/jobs/j-nope/logs");
  ASSERT_NE(c, nullptr);
  std::vector<WebSocketMessage> got = readAll(*c);
  EXPECT_EQ(texts(got), (std::vector<std::string>{
                            R"({"error":"job not found: j-nope","value":{"Type":0,"Line":""}})"}));
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().close_code, 1000);
}

TEST_F(LogsApiTest, ANodeWithoutAnOrchestratorSaysSoInBand) {
  start(/*with_source=*/false);
  auto c = connect();
  ASSERT_NE(c, nullptr);
  std::vector<WebSocketMessage> got = readAll(*c);
  ASSERT_EQ(texts(got).size(), 1u);
  EXPECT_NE(texts(got)[0].find(R"("error":"this node is not an orchestrator)"), std::string::npos)
      << texts(got)[0];
  EXPECT_EQ(got.back().close_code, 1000);
}

TEST_F(LogsApiTest, QueryParametersReachTheLogRequest) {
  source_.on_open = [](const LogRequest&, LogSink& sink) { sink.onEnd(Status::ok()); };
  start();
  auto c = connect(std::string(kLogsPath) +
                   "?follow=true&tail=1&execution_id=e-42&job_version=3&namespace=team%20a");
  ASSERT_NE(c, nullptr);
  readAll(*c);
  ASSERT_TRUE(source_.waitOpened());
  LogRequest req = source_.request();
  EXPECT_EQ(req.job_id, "j-1");
  EXPECT_EQ(req.ns, "team a");
  EXPECT_EQ(req.execution_id, "e-42");
  EXPECT_EQ(req.job_version, 3u);
  EXPECT_TRUE(req.follow);
  EXPECT_TRUE(req.tail);

  auto plain = connect();
  ASSERT_NE(plain, nullptr);
  readAll(*plain);
  ASSERT_TRUE(source_.waitOpened(2));
  EXPECT_FALSE(source_.request(1).follow);
  EXPECT_FALSE(source_.request(1).tail);
  EXPECT_EQ(source_.request(1).job_version, 0u);
}

TEST_F(LogsApiTest, ABadQueryParameterIsAnErrorFrame) {
  start();
  auto c = connect(std::string(kLogsPath) + "?follow=maybe");
  ASSERT_NE(c, nullptr);
  std::vector<WebSocketMessage> got = readAll(*c);
  ASSERT_EQ(texts(got).size(), 1u);
  EXPECT_NE(texts(got)[0].find(R"("error":"follow: expected true or false)"), std::string::npos)
      << texts(got)[0];
  EXPECT_EQ(got.back().close_code, 1000);
}

TEST_F(LogsApiTest, ALongLineIsSplitIntoFramesThatAddUpToIt) {
  // 200 KiB of text with multi-byte characters, so that a cut could fall inside one.
  std::string line;
  while (line.size() < size_t{200} * 1024) line += "log \xc3\xa9t\xc3\xa9 \xe2\x82\xac ";
  line += "\n";
  source_.on_open = [&line](const LogRequest&, LogSink& sink) {
    sink.onEntries({entry(LogStreamType::kStdout, line)});
    sink.onEnd(Status::ok());
  };
  start();
  auto c = connect();
  ASSERT_NE(c, nullptr);
  std::vector<std::string> frames = texts(readAll(*c));
  ASSERT_GE(frames.size(), 4u);
  std::string joined;
  for (const std::string& f : frames) {
    auto v = boost::json::parse(f);
    const auto& value = v.at("value");
    EXPECT_EQ(value.at("Type").as_int64(), 1);
    std::string piece(value.at("Line").as_string());
    EXPECT_LE(piece.size(), size_t{64} * 1024);
    joined += piece;
  }
  EXPECT_EQ(joined, line);
}

TEST_F(LogsApiTest, InvalidUtf8BecomesReplacementCharacters) {
  source_.on_open = [](const LogRequest&, LogSink& sink) {
    sink.onEntries({entry(LogStreamType::kStderr, "bad \xff\xfe bytes\n")});
    sink.onEnd(Status::ok());
  };
  start();
  auto c = connect();
  ASSERT_NE(c, nullptr);
  // The client validates UTF-8 in text frames: the frame arriving at all is half the check.
  EXPECT_EQ(
      texts(readAll(*c)),
      (std::vector<std::string>{"{\"value\":{\"Type\":2,\"Line\":\"bad \xef\xbf\xbd\xef\xbf\xbd "
                                "bytes\\n\"}}"}));
}

TEST_F(LogsApiTest, APlainGetIsA400SayingItIsAWebSocket) {
  start();
  testing::TestHttpClient http(server_->port());
  testing::TestResponse res = http.get(kLogsPath);
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("is a WebSocket endpoint"), std::string::npos) << res.body;
  EXPECT_EQ(source_.opened(), 0u);
}

TEST_F(LogsApiTest, AnyOriginMayConnect) {
  source_.on_open = [](const LogRequest&, LogSink& sink) { sink.onEnd(Status::ok()); };
  start();
  client::BeastWebSocketOptions options;
  options.base_url = baseUrl();
  options.timeout = kDeadline;
  options.headers = {"Origin: https://elsewhere.example"};
  auto c = client::makeBeastWebSocketTransport(options)->connect(kLogsPath);
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  std::vector<WebSocketMessage> got = readAll(**c);
  EXPECT_EQ(got.back().close_code, 1000);
}

TEST_F(LogsApiTest, AClientThatStopsReadingNeverBlocksTheSource) {
  start(/*with_source=*/true, /*max_queued_bytes=*/size_t{256} * 1024);
  auto c = connect();  // and never read
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(source_.waitOpened());
  // The source's thread pushes far more than the socket buffers and the queue hold. Each call
  // returns without waiting for the client; once the queue overflows the server cancels the
  // stream, and push() reports it.
  std::atomic<bool> done{false};
  std::thread pusher([&] {
    const std::string chunk(size_t{64} * 1024, 'x');
    for (int i = 0; i < 4096 && source_.push({entry(LogStreamType::kStdout, chunk)}); ++i) {
    }
    done = true;
  });
  EXPECT_TRUE(source_.waitCancelled());
  pusher.join();
  EXPECT_TRUE(done);
  // The client, reading at last, finds its connection aborted rather than a normal end.
  bool normal_close = false;
  while (true) {
    Result<WebSocketMessage> m = c->read();
    if (!m.isOk()) break;
    if (m->closed) {
      normal_close = m->close_code == 1000;
      break;
    }
  }
  EXPECT_FALSE(normal_close);
}

TEST_F(LogsApiTest, AClientThatLeavesCancelsTheSubscription) {
  start();
  auto c = connect(std::string(kLogsPath) + "?follow=true");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(source_.waitOpened());
  ASSERT_TRUE(source_.push({entry(LogStreamType::kStdout, "first\n")}));
  Result<WebSocketMessage> first = c->read();
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(first->text, R"({"value":{"Type":1,"Line":"first\n"}})");
  EXPECT_FALSE(source_.cancelled());
  c.reset();  // the client goes away
  EXPECT_TRUE(source_.waitCancelled());
}

TEST_F(LogsApiTest, AnUpgradeTheServerRefusesIsTheErrorItsBodyDescribes) {
  start();
  auto refused = transport_->connect("/api/v1/orchestrator/nope");
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), StatusCode::kNotFound);
  EXPECT_NE(refused.status().message().find("was not found"), std::string::npos)
      << refused.status().toString();

  // Nothing listens on a port we hold bound: a stopped server's port could be taken by another
  // test meanwhile, or the kernel could pick it as our own source port and connect to itself.
  int held = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(held, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(held, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(held, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } close_held{held};
  client::BeastWebSocketOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  options.timeout = kDeadline;
  auto gone = client::makeBeastWebSocketTransport(options)->connect(kLogsPath);
  ASSERT_FALSE(gone.isOk());
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(gone.status().message().find("cannot reach the cod API at"), std::string::npos)
      << gone.status().toString();
}

TEST_F(LogsApiTest, StoppingTheServerEndsOpenStreamsWithGoingAway) {
  start();
  auto c = connect(std::string(kLogsPath) + "?follow=true");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(source_.waitOpened());
  std::thread stopper([this] { server_->stop(); });
  Result<WebSocketMessage> m = c->read();
  ASSERT_TRUE(m.isOk()) << m.status().toString();
  EXPECT_TRUE(m->closed);
  EXPECT_EQ(m->close_code, 1001);
  c.reset();
  stopper.join();
  EXPECT_TRUE(source_.waitCancelled());
}

TEST_F(LogsApiTest, StoppingTheServerCancelsAStreamWhoseClientNeverAnswers) {
  start();
  auto c = connect(std::string(kLogsPath) + "?follow=true");  // and never read
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(source_.waitOpened());
  server_->stop();  // the close goes unanswered; after the grace period the stream is abandoned
  EXPECT_TRUE(source_.cancelled());
}

TEST_F(LogsApiTest, TheApiClientStreamsLinesAndReportsErrorFrames) {
  source_.on_open = [](const LogRequest& req, LogSink& sink) {
    if (req.job_id != "j-1") return sink.onEnd(notFound("job not found: " + req.job_id));
    sink.onEntries(
        {entry(LogStreamType::kStdout, "out\n"), entry(LogStreamType::kStderr, "err\n")});
    sink.onEnd(Status::ok());
  };
  start();
  client::ClientOptions options;
  options.host = baseUrl();
  auto api = client::ApiClient::create(options);
  ASSERT_TRUE(api.isOk());
  std::vector<client::LogLine> lines;
  auto collect = [&lines](const client::LogLine& l) { lines.push_back(l); };
  client::LogsOptions logs;
  logs.follow = true;
  ASSERT_TRUE(api->streamLogs("j-1", logs, collect).isOk());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].type, client::kLogStdout);
  EXPECT_EQ(lines[0].line, "out\n");
  EXPECT_EQ(lines[1].type, client::kLogStderr);
  EXPECT_EQ(lines[1].line, "err\n");
  EXPECT_TRUE(source_.request().follow);

  Status missing = api->streamLogs("j-nope", {}, collect);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "job not found: j-nope");
}

}  // namespace
}  // namespace cod::api
