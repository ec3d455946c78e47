// The NATS transport: the conformance suite against a real nats-server, and what only a network
// transport has (reconnects, authorization, timeouts, bad input from the wire).

#include "transport/nats/nats_transport.h"

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "models/json.h"
#include "transport/messages_json.h"
#include "transport/nats/nats_link.h"
#include "transport/nats/nats_server_process.h"
#include "transport/nats/nats_test_util.h"
#include "transport/nats/subjects.h"
#include "transport/transport_conformance.h"

namespace cod::transport::testing {
namespace {

using namespace std::chrono_literals;

NatsServerOptions serverOptions(const std::filesystem::path& dir, int port = 0) {
  NatsServerOptions o;
  o.data_dir = dir;
  o.host = "127.0.0.1";
  o.port = port;
  return o;
}

NatsServerOptions credentialsServerOptions(const std::filesystem::path& dir) {
  NatsServerOptions o = serverOptions(dir);
  o.node_credentials = true;
  return o;
}

// A node's secret as a compute node makes it: 32+ letters and digits.
std::string secretOf(const std::string& node_id) {
  std::string out = "s3cret";
  for (char c : node_id) out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : 'x';
  return out + std::string(32, '0');
}

// A compute node in a cluster with per-node credentials: joins with the token at start, then
// connects as itself, as `cod serve --compute` does.
class JoiningComputeTransport final : public ComputeTransport {
 public:
  explicit JoiningComputeTransport(NatsTransportConfig config) : config_(std::move(config)) {}
  Status start(const std::string& node_id, ComputeHandler* handler) override {
    COD_RETURN_IF_ERROR(joinNatsCluster(config_, node_id, secretOf(node_id)));
    NatsTransportConfig own = config_;
    own.user = node_id;
    own.password = secretOf(node_id);
    inner_ = std::make_unique<NatsComputeTransport>(own);
    return inner_->start(node_id, handler);
  }
  void stop() override {
    if (inner_) inner_->stop();
  }
  Result<HandshakeResponse> handshake(const HandshakeRequest& r) override {
    return inner_->handshake(r);
  }
  Result<HeartbeatResponse> heartbeat(const HeartbeatRequest& r) override {
    return inner_->heartbeat(r);
  }
  Result<UpdateNodeInfoResponse> updateNodeInfo(const UpdateNodeInfoRequest& r) override {
    return inner_->updateNodeInfo(r);
  }
  Result<ReconcileResponse> reconcile(const ReconcileRequest& r) override {
    return inner_->reconcile(r);
  }
  Result<PresignUploadResponse> presignUpload(const PresignUploadRequest& r) override {
    return inner_->presignUpload(r);
  }
  Status send(const ToOrchestratorMessage& m) override { return inner_->send(m); }

 private:
  NatsTransportConfig config_;
  std::unique_ptr<NatsComputeTransport> inner_;
};

class NatsHarness final : public TransportHarness {
 public:
  explicit NatsHarness(bool node_credentials)
      : node_credentials_(node_credentials),
        server_(node_credentials ? credentialsServerOptions(dir_.path())
                                 : serverOptions(dir_.path())) {}
  Status start() { return server_.start(); }

  NatsTransportConfig config() const {
    NatsTransportConfig c;
    c.servers = server_.url();
    c.token = server_.token();
    c.request_timeout = 5s;
    c.log_limits = log_limits_;
    return c;
  }
  void setLogStreamLimits(const LogStreamLimits& limits) override { log_limits_ = limits; }
  std::unique_ptr<OrchestratorTransport> orchestrator() override {
    NatsTransportConfig c = config();
    if (node_credentials_) {
      c.user = kNatsOrchestratorUser;
      c.password = server_.orchestratorPassword();
      c.admit = [this](const std::string& id, const std::string& secret) {
        return server_.admitNode(id, secret);
      };
    }
    return std::make_unique<NatsOrchestratorTransport>(c);
  }
  std::unique_ptr<ComputeTransport> compute() override {
    if (node_credentials_) return std::make_unique<JoiningComputeTransport>(config());
    return std::make_unique<NatsComputeTransport>(config());
  }

 private:
  TempDir dir_;
  bool node_credentials_;
  NatsServerProcess server_;
  LogStreamLimits log_limits_;
};

std::unique_ptr<TransportHarness> makeNatsHarness(bool node_credentials) {
  auto harness = std::make_unique<NatsHarness>(node_credentials);
  Status s = harness->start();
  if (!s.isOk()) {
    ADD_FAILURE() << "cannot start nats-server: " << s.toString();
    return nullptr;
  }
  return harness;
}

// The whole suite again with per-node credentials: every subject a node uses is one its
// permissions allow.
INSTANTIATE_TEST_SUITE_P(Nats, TransportConformanceTest,
                         ::testing::Values(TransportFactory{"Nats",
                                                            [] { return makeNatsHarness(false); }},
                                           TransportFactory{"NatsNodeCredentials",
                                                            [] { return makeNatsHarness(true); }}),
                         transportFactoryName);

// ---- NATS only ----

class NatsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { startServer(0); }
  void TearDown() override {
    for (auto& c : computes_) c->stop();
    if (orchestrator_) orchestrator_->stop();
  }

  void startServer(int port) {
    server_ = std::make_unique<NatsServerProcess>(serverOptions(dir_.path(), port));
    Status s = server_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  NatsTransportConfig config() const {
    NatsTransportConfig c;
    c.servers = server_->url();
    c.token = server_->token();
    c.request_timeout = 5s;
    return c;
  }

  NatsOrchestratorTransport* startOrchestrator(NatsTransportConfig c) {
    orchestrator_ = std::make_unique<NatsOrchestratorTransport>(std::move(c));
    Status s = orchestrator_->start(&orchestrator_handler_);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return orchestrator_.get();
  }

  NatsComputeTransport* startCompute(const std::string& node_id, NatsTransportConfig c) {
    compute_handlers_.push_back(std::make_unique<RecordingCompute>());
    computes_.push_back(std::make_unique<NatsComputeTransport>(std::move(c)));
    Status s = computes_.back()->start(node_id, compute_handlers_.back().get());
    EXPECT_TRUE(s.isOk()) << s.toString();
    return computes_.back().get();
  }

  // A raw client on the same server, to put on the wire what cod never would.
  std::unique_ptr<NatsLink> rawClient() {
    auto link = std::make_unique<NatsLink>(config(), "test client");
    Status s = link->connect(nullptr);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return link;
  }

  TempDir dir_;
  std::unique_ptr<NatsServerProcess> server_;
  RecordingOrchestrator orchestrator_handler_;
  std::vector<std::unique_ptr<RecordingCompute>> compute_handlers_;
  std::unique_ptr<NatsOrchestratorTransport> orchestrator_;
  std::vector<std::unique_ptr<NatsComputeTransport>> computes_;
};

HeartbeatRequest beat(const std::string& node_id) { return {node_id, {}, {}, 0, 0}; }

// A fuzzer finding: a number too large for int64 where the decoder expects one threw out of
// the NATS callback and ended the process. It decodes with the field at its default now.
TEST(MessagesJsonTest, NumbersThatAreNoInt64DoNotThrow) {
  for (const char* start : {"17000000000000000000", "1.5", "1e300", "-1e300"}) {
    std::string text =
        std::string(R"({"Type":"HandshakeRequest","Payload":{"NodeInfo":{"NodeID":"n-1",)") +
        R"("NodeType":"Compute"},"StartTime":)" + start + "}}";
    auto decoded = decodeHandshakeRequest(text);
    ASSERT_TRUE(decoded.isOk()) << start << ": " << decoded.status().message();
    EXPECT_EQ(decoded->node_info.node_id, "n-1");
  }
}

// The fuzzer's second finding: milliseconds that overflow a Duration's nanoseconds.
TEST(MessagesJsonTest, DurationsAreHeldToACentury) {
  auto decoded =
      decodeHandshakeResponse(R"({"Type":"HandshakeResponse","Payload":{"Accepted":true,)"
                              R"("HeartbeatIntervalMs":2888888888888499,"JobRetentionMs":-5}})");
  ASSERT_TRUE(decoded.isOk()) << decoded.status().message();
  EXPECT_TRUE(decoded->accepted);
  EXPECT_LE(decoded->heartbeat_interval, std::chrono::hours(24 * 366 * 100));
  EXPECT_GT(decoded->heartbeat_interval, std::chrono::hours(24 * 365 * 99));
  EXPECT_EQ(decoded->job_retention, Duration::zero());
}

TEST_F(NatsTransportTest, ComputeReconnectsWhenTheServerComesBackOnTheSamePort) {
  auto* orch = startOrchestrator(config());
  auto* node = startCompute("n-1", config());
  RecordingCompute* handler = compute_handlers_.back().get();
  ASSERT_TRUE(node->handshake(fullHandshake("n-1")).isOk());

  const int port = server_->port();
  server_->stop();
  ASSERT_TRUE(handler->waitForConnection(false));
  auto down = node->heartbeat(beat("n-1"));
  ASSERT_FALSE(down.isOk());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable) << down.status().toString();

  startServer(port);  // same data dir: same token
  ASSERT_TRUE(handler->waitForConnection(true));
  // The orchestrator reconnects on its own schedule; once it is back, everything flows again.
  ASSERT_TRUE(eventually([&] { return node->heartbeat(beat("n-1")).isOk(); }));
  ASSERT_TRUE(node->send(allToOrchestratorMessages("n-1")[0]).isOk());
  ASSERT_TRUE(orchestrator_handler_.waitForMessages(1));
  ASSERT_TRUE(orch->send("n-1", BidAccepted{"e-1", "j-1"}).isOk());
  ASSERT_TRUE(handler->waitForMessages(1));
}

TEST_F(NatsTransportTest, ComputeReconnectsAfterTheServerIsKilled) {
  startOrchestrator(config());
  auto* node = startCompute("n-1", config());
  RecordingCompute* handler = compute_handlers_.back().get();

  ASSERT_EQ(kill(server_->pid(), SIGKILL), 0);
  ASSERT_TRUE(handler->waitForConnection(false));
  ASSERT_TRUE(handler->waitForConnection(true));  // the supervisor restarted it, same port
  ASSERT_TRUE(eventually([&] { return node->heartbeat(beat("n-1")).isOk(); }));
  EXPECT_EQ(handler->connectionEvents(), (std::vector<bool>{false, true}));
}

TEST_F(NatsTransportTest, ComputeStartedBeforeTheServerConnectsWhenItComesUp) {
  const int port = unusedPort();
  NatsTransportConfig c = config();
  c.servers = "nats://127.0.0.1:" + std::to_string(port);
  c.retry_on_failed_connect = true;
  auto* node = startCompute("n-1", c);
  RecordingCompute* handler = compute_handlers_.back().get();
  auto early = node->handshake(fullHandshake("n-1"));
  ASSERT_FALSE(early.isOk());
  EXPECT_EQ(early.status().code(), StatusCode::kUnavailable);

  server_->stop();
  startServer(port);
  startOrchestrator(config());
  ASSERT_TRUE(handler->waitForConnection(true));
  auto late = node->handshake(fullHandshake("n-1"));
  ASSERT_TRUE(late.isOk()) << late.status().toString();
  EXPECT_TRUE(late->accepted);
}

TEST_F(NatsTransportTest, StopWhileStillTryingToConnectIsPrompt) {
  NatsTransportConfig c = config();
  c.servers = "nats://127.0.0.1:" + std::to_string(unusedPort());
  c.retry_on_failed_connect = true;
  NatsComputeTransport node(c);
  RecordingCompute handler;
  ASSERT_TRUE(node.start("n-1", &handler).isOk());
  auto began = std::chrono::steady_clock::now();
  node.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  EXPECT_TRUE(handler.connectionEvents().empty());
}

TEST_F(NatsTransportTest, WrongTokenFailsWithAClearMessage) {
  NatsTransportConfig c = config();
  c.token = "not-the-token";
  NatsOrchestratorTransport orch(c);
  Status s = orch.start(&orchestrator_handler_);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("authorization violation"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(server_->url()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--token"), std::string::npos) << s.message();
}

TEST_F(NatsTransportTest, UnreachableServerFailsWithOneClearLine) {
  NatsTransportConfig c = config();
  const std::string url = "nats://127.0.0.1:" + std::to_string(unusedPort());
  c.servers = url;
  NatsComputeTransport node(c);
  RecordingCompute handler;
  Status s = node.start("n-1", &handler);
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  EXPECT_NE(s.message().find("cannot connect to NATS at " + url + ": connection refused"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("is the orchestrator running?"), std::string::npos) << s.message();
}

TEST_F(NatsTransportTest, RequestWithoutOrchestratorFailsFast) {
  auto* node = startCompute("n-1", config());
  auto r = node->heartbeat(beat("n-1"));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("no orchestrator is listening"), std::string::npos)
      << r.status().message();
}

TEST_F(NatsTransportTest, RequestTimesOutWhenNobodyAnswers) {
  auto silent = rawClient();
  ASSERT_TRUE(silent
                  ->subscribe(kNatsControlWildcard, "",
                              [](std::string_view, std::string_view, const char*) {})
                  .isOk());
  silent->flush();
  NatsTransportConfig c = config();
  c.request_timeout = 200ms;
  auto* node = startCompute("n-1", c);
  auto r = node->heartbeat(beat("n-1"));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("did not answer the heartbeat within 200ms"),
            std::string::npos)
      << r.status().message();
}

TEST_F(NatsTransportTest, StopReleasesABlockedRequest) {
  std::mutex mu;
  std::condition_variable cv;
  bool received = false;
  auto silent = rawClient();
  ASSERT_TRUE(silent
                  ->subscribe(kNatsControlWildcard, "",
                              [&](std::string_view, std::string_view, const char*) {
                                std::lock_guard lock(mu);
                                received = true;
                                cv.notify_all();
                              })
                  .isOk());
  silent->flush();
  auto* node = startCompute("n-1", config());  // 5 s request timeout
  Result<HeartbeatResponse> result = unavailable("not yet");
  std::thread caller([&] { result = node->heartbeat(beat("n-1")); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWaitDeadline, [&] { return received; }));
  }
  auto began = std::chrono::steady_clock::now();
  node->stop();
  caller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().toString();
  silent->close();
}

TEST_F(NatsTransportTest, UnreadableControlRequestsGetAnErrorAnswer) {
  startOrchestrator(config());
  auto raw = rawClient();

  auto garbage = raw->request(natsControlSubject("n-1"), "not json", "test request");
  ASSERT_TRUE(garbage.isOk()) << garbage.status().toString();
  EXPECT_EQ(envelopeType(*garbage), "Error");
  EXPECT_NE(garbage->find("not a cod message envelope"), std::string::npos) << *garbage;

  auto unknown = raw->request(natsControlSubject("n-1"),
                              R"({"Type":"Teleport","Version":1,"Payload":{}})", "test request");
  ASSERT_TRUE(unknown.isOk()) << unknown.status().toString();
  EXPECT_NE(unknown->find("Unimplemented"), std::string::npos) << *unknown;

  auto bad_payload = raw->request(
      natsControlSubject("n-1"), R"({"Type":"HandshakeRequest","Version":1,"Payload":{}})", "test");
  ASSERT_TRUE(bad_payload.isOk()) << bad_payload.status().toString();
  EXPECT_EQ(envelopeType(*bad_payload), "Error");
  EXPECT_TRUE(orchestrator_handler_.handshakes().empty());
}

TEST_F(NatsTransportTest, OrchestratorErrorAnswersFailTheComputeCall) {
  // An "orchestrator" that answers every request with an error envelope.
  auto fake = rawClient();
  NatsLink* fake_ptr = fake.get();
  ASSERT_TRUE(fake->subscribe(kNatsControlWildcard, "",
                              [fake_ptr](std::string_view, std::string_view, const char* reply) {
                                (void)fake_ptr->publish(
                                    reply,
                                    R"({"Type":"Error","Version":1,"Payload":)"
                                    R"({"Code":"InvalidArgument","Message":"bad NodeInfo"}})",
                                    "error");
                              })
                  .isOk());
  fake->flush();
  auto* node = startCompute("n-1", config());
  auto r = node->handshake(fullHandshake("n-1"));
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "the orchestrator could not handle the handshake: bad NodeInfo");
}

// An orchestrator that keeps its reconcile replies to give them later.
class HoldingOrchestrator final : public OrchestratorHandler {
 public:
  void onHandshake(const HandshakeRequest&, Reply<HandshakeResponse> reply) override {
    reply({true, ""});
  }
  void onHeartbeat(const HeartbeatRequest&, Reply<HeartbeatResponse> reply) override {
    reply({true});
  }
  void onUpdateNodeInfo(const UpdateNodeInfoRequest&,
                        Reply<UpdateNodeInfoResponse> reply) override {
    reply({true, ""});
  }
  void onReconcile(const ReconcileRequest&, Reply<ReconcileResponse> reply) override {
    std::lock_guard lock(mu_);
    held_.push_back(std::move(reply));
    cv_.notify_all();
  }
  void onMessage(const ToOrchestratorMessage&) override {}

  // The replies held once n requests came (empty at the deadline).
  std::vector<Reply<ReconcileResponse>> take(size_t n) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kWaitDeadline, [&] { return held_.size() >= n; })) return {};
    return std::move(held_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Reply<ReconcileResponse>> held_;
};

TEST_F(NatsTransportTest, TheHandlerMayAnswerLaterFromAnotherThread) {
  HoldingOrchestrator holding;
  auto transport = std::make_unique<NatsOrchestratorTransport>(config());
  ASSERT_TRUE(transport->start(&holding).isOk());
  auto* node = startCompute("n-1", config());

  // Answered after the handler returned, from a thread of the orchestrator's.
  Result<ReconcileResponse> answered = unavailable("not yet");
  std::thread caller([&] { answered = node->reconcile({"n-1", {}, {}}); });
  auto replies = holding.take(1);
  ASSERT_EQ(replies.size(), 1u);
  std::thread([&] {
    ReconcileResponse r;
    r.forgotten_results = {"e-late"};
    replies[0](std::move(r));
  }).join();
  caller.join();
  ASSERT_TRUE(answered.isOk()) << answered.status().toString();
  EXPECT_EQ(answered->forgotten_results, std::vector<std::string>{"e-late"});

  // Never answered: the node's request times out; a reply given once the transport is gone goes
  // nowhere.
  NatsTransportConfig quick = config();
  quick.request_timeout = 300ms;
  auto* impatient = startCompute("n-2", quick);
  auto timed_out = impatient->reconcile({"n-2", {}, {}});
  ASSERT_FALSE(timed_out.isOk());
  EXPECT_EQ(timed_out.status().code(), StatusCode::kDeadlineExceeded);
  replies = holding.take(1);
  ASSERT_EQ(replies.size(), 1u);
  transport->stop();
  transport.reset();
  replies[0](ReconcileResponse{});
}

TEST_F(NatsTransportTest, MalformedDataMessagesAreDropped) {
  startOrchestrator(config());
  auto* node = startCompute("n-1", config());
  auto raw = rawClient();
  ASSERT_TRUE(raw->publish(natsToOrchestratorSubject("n-1"), "{{{", "garbage").isOk());
  ASSERT_TRUE(raw->publish(natsToOrchestratorSubject("n-1"),
                           R"({"Type":"Teleport","Version":1,"Payload":{}})", "garbage")
                  .isOk());
  ASSERT_TRUE(raw->publish(natsComputeSubject("n-1"), "[]", "garbage").isOk());
  ASSERT_TRUE(node->send(allToOrchestratorMessages("n-1")[0]).isOk());
  ASSERT_TRUE(orchestrator_handler_.waitForMessages(1));
  ASSERT_TRUE(orchestrator_->send("n-1", BidAccepted{"e-1", "j-1"}).isOk());
  ASSERT_TRUE(compute_handlers_.back()->waitForMessages(1));
  EXPECT_EQ(orchestrator_handler_.messages().size(), 1u);
  EXPECT_EQ(compute_handlers_.back()->messages().size(), 1u);
}

TEST_F(NatsTransportTest, SlowMessageHandlerDoesNotDelayHeartbeats) {
  startOrchestrator(config());
  auto* busy = startCompute("n-busy", config());
  NatsTransportConfig fast = config();
  fast.request_timeout = 2s;
  auto* other = startCompute("n-other", fast);

  orchestrator_handler_.block();
  ASSERT_TRUE(busy->send(allToOrchestratorMessages("n-busy")[0]).isOk());
  ASSERT_TRUE(orchestrator_handler_.waitForEntered(1));
  auto r = other->heartbeat(beat("n-other"));
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  orchestrator_handler_.unblock();
  EXPECT_TRUE(orchestrator_handler_.waitForMessages(1));
}

TEST_F(NatsTransportTest, SendWhileDisconnectedIsBuffered) {
  startOrchestrator(config());
  auto* node = startCompute("n-1", config());
  RecordingCompute* handler = compute_handlers_.back().get();
  const int port = server_->port();
  server_->stop();
  ASSERT_TRUE(handler->waitForConnection(false));
  EXPECT_TRUE(node->send(allToOrchestratorMessages("n-1")[0]).isOk());
  startServer(port);
  ASSERT_TRUE(handler->waitForConnection(true));
  // The buffered message is flushed on reconnect; the orchestrator receives it if it resubscribed
  // first, otherwise reconciliation would repair it. Either way sending did not fail.
  ASSERT_TRUE(eventually([&] { return node->heartbeat(beat("n-1")).isOk(); }));
}

TEST_F(NatsTransportTest, NodeIdsThatCannotBeSubjectsAreRejected) {
  for (const std::string id : {"", "a b", "n-*", "n->", ".n", "n..1", "n."}) {
    NatsComputeTransport node(config());
    RecordingCompute handler;
    Status s = node.start(id, &handler);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "\"" << id << "\": " << s.toString();
  }
  auto* orch = startOrchestrator(config());
  EXPECT_EQ(orch->send("a b", BidAccepted{}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(validateNodeIdForSubject("node-1.example.com").isOk());
}

TEST_F(NatsTransportTest, SendBeforeStartIsUnavailable) {
  NatsOrchestratorTransport orch(config());
  EXPECT_EQ(orch.send("n-1", BidAccepted{}).code(), StatusCode::kUnavailable);
  NatsComputeTransport node(config());
  EXPECT_EQ(node.send(allToOrchestratorMessages("n-1")[0]).code(), StatusCode::kUnavailable);
  EXPECT_EQ(node.heartbeat(beat("n-1")).status().code(), StatusCode::kUnavailable);
}

// Without per-node credentials a node could still publish on another node's subject; what it
// sends must then name that node, or it is refused. (With credentials it cannot even publish
// there: NatsNodeCredentialsTest.)
TEST_F(NatsTransportTest, AMessageThatSpeaksForAnotherNodeIsRefused) {
  startOrchestrator(config());
  auto raw = rawClient();
  auto answer = raw->request(natsControlSubject("n-evil"), encode(beat("n-1")), "test request");
  ASSERT_TRUE(answer.isOk()) << answer.status().toString();
  EXPECT_EQ(envelopeType(*answer), "Error");
  EXPECT_NE(answer->find("PermissionDenied"), std::string::npos) << *answer;
  EXPECT_NE(answer->find("may not speak for node \\\"n-1\\\""), std::string::npos) << *answer;
  ASSERT_TRUE(raw->publish(natsToOrchestratorSubject("n-evil"),
                           encode(allToOrchestratorMessages("n-1")[0]), "forged")
                  .isOk());
  auto* honest = startCompute("n-2", config());
  ASSERT_TRUE(honest->send(allToOrchestratorMessages("n-2")[0]).isOk());
  ASSERT_TRUE(orchestrator_handler_.waitForMessages(1));
  EXPECT_TRUE(orchestrator_handler_.heartbeats().empty());
  ASSERT_EQ(orchestrator_handler_.messages().size(), 1u);
  EXPECT_EQ(
      std::visit([](const auto& m) { return m.node_id; }, orchestrator_handler_.messages()[0]),
      "n-2");
}

// ---- per-node credentials ----

class NatsNodeCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { startServer(); }
  void TearDown() override {
    for (auto& link : links_) link->close();
    if (orchestrator_) orchestrator_->stop();
  }

  void startServer() {
    server_.reset();
    server_ = std::make_unique<NatsServerProcess>(credentialsServerOptions(dir_.path()));
    Status s = server_->start();
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  NatsTransportConfig base() const {
    NatsTransportConfig c;
    c.servers = server_->url();
    c.token = server_->token();
    c.request_timeout = 2s;
    return c;
  }
  void startOrchestrator() {
    NatsTransportConfig c = base();
    c.user = kNatsOrchestratorUser;
    c.password = server_->orchestratorPassword();
    c.admit = [this](const std::string& id, const std::string& secret) {
      return server_->admitNode(id, secret);
    };
    orchestrator_ = std::make_unique<NatsOrchestratorTransport>(c);
    Status s = orchestrator_->start(&handler_);
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  // A raw connection as `user`, for what cod itself would never send.
  NatsLink* connectAs(const std::string& user, const std::string& password,
                      const std::string& inbox_prefix, Status* status = nullptr) {
    NatsTransportConfig c = base();
    c.user = user;
    c.password = password;
    c.inbox_prefix = inbox_prefix;
    links_.push_back(std::make_unique<NatsLink>(c, "test client " + user));
    Status s = links_.back()->connect(nullptr);
    if (status != nullptr) *status = s;
    return s.isOk() ? links_.back().get() : nullptr;
  }
  NatsLink* connectAsNode(const std::string& id) {
    return connectAs(id, secretOf(id), natsNodeInboxPrefix(id));
  }

  TempDir dir_;
  std::unique_ptr<NatsServerProcess> server_;
  RecordingOrchestrator handler_;
  std::unique_ptr<NatsOrchestratorTransport> orchestrator_;
  std::vector<std::unique_ptr<NatsLink>> links_;
};

TEST_F(NatsNodeCredentialsTest, ANodeJoinsWithTheTokenThenOnlyItsOwnCredentialsLetItIn) {
  startOrchestrator();
  Status before;
  EXPECT_EQ(connectAs("n-1", secretOf("n-1"), "", &before), nullptr);
  EXPECT_EQ(before.code(), StatusCode::kPermissionDenied) << before.toString();
  // The token alone opens nothing but the join subject.
  NatsTransportConfig token_only = base();
  NatsLink legacy(token_only, "token client");
  EXPECT_EQ(legacy.connect(nullptr).code(), StatusCode::kPermissionDenied);

  ASSERT_TRUE(joinNatsCluster(base(), "n-1", secretOf("n-1")).isOk());
  ASSERT_TRUE(joinNatsCluster(base(), "n-1", secretOf("n-1")).isOk()) << "joining is idempotent";
  NatsLink* node = connectAsNode("n-1");
  ASSERT_NE(node, nullptr);
  auto answer = node->request(natsControlSubject("n-1"), encode(beat("n-1")), "heartbeat");
  ASSERT_TRUE(answer.isOk()) << answer.status().toString();
  EXPECT_EQ(envelopeType(*answer), "HeartbeatResponse") << *answer;
  EXPECT_EQ(server_->admittedNodes(), std::vector<std::string>{"n-1"});
}

TEST_F(NatsNodeCredentialsTest, ATakenIdOrAWrongTokenIsRefusedWithAReason) {
  startOrchestrator();
  ASSERT_TRUE(joinNatsCluster(base(), "n-1", secretOf("n-1")).isOk());
  Status taken = joinNatsCluster(base(), "n-1", secretOf("n-other"));
  EXPECT_EQ(taken.code(), StatusCode::kFailedPrecondition) << taken.toString();
  EXPECT_NE(taken.message().find("node ID n-1 is taken by a node with other credentials"),
            std::string::npos)
      << taken.message();
  NatsTransportConfig wrong = base();
  wrong.token = "not-the-token";
  EXPECT_EQ(joinNatsCluster(wrong, "n-2", secretOf("n-2")).code(), StatusCode::kPermissionDenied);
  Status bad = joinNatsCluster(base(), "n-2", "short");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << bad.toString();
  EXPECT_EQ(server_->admittedNodes(), std::vector<std::string>{"n-1"});
}

TEST_F(NatsNodeCredentialsTest, ANodeCanNeitherReadNorSpeakForAnother) {
  startOrchestrator();
  for (const char* id : {"n-1", "n-2"})
    ASSERT_TRUE(joinNatsCluster(base(), id, secretOf(id)).isOk());
  NatsLink* spy = connectAsNode("n-1");
  ASSERT_NE(spy, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  int own = 0;
  int others = 0;
  auto count = [&](int* n) {
    return [&, n](std::string_view, std::string_view, const char*) {
      std::lock_guard lock(mu);
      ++*n;
      cv.notify_all();
    };
  };
  ASSERT_TRUE(spy->subscribe(natsComputeSubject("n-2"), "", count(&others)).isOk());
  ASSERT_TRUE(spy->subscribe(natsComputeSubject("n-1"), "", count(&own)).isOk());
  spy->flush();
  ASSERT_TRUE(orchestrator_->send("n-2", BidAccepted{"e-2", "j-2"}).isOk());
  ASSERT_TRUE(orchestrator_->send("n-1", BidAccepted{"e-1", "j-1"}).isOk());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWaitDeadline, [&] { return own == 1; }));
    EXPECT_EQ(others, 0) << "n-1 read a message meant for n-2";
  }
  // Publishing on n-2's subjects is refused by the server: the request goes nowhere.
  auto forged = spy->request(natsControlSubject("n-2"), encode(beat("n-2")), "forged heartbeat");
  EXPECT_FALSE(forged.isOk());
  ASSERT_TRUE(spy->publish(natsToOrchestratorSubject("n-2"),
                           encode(allToOrchestratorMessages("n-2")[0]), "forged")
                  .isOk());
  ASSERT_TRUE(spy->publish(natsToOrchestratorSubject("n-1"),
                           encode(allToOrchestratorMessages("n-1")[0]), "own")
                  .isOk());
  ASSERT_TRUE(handler_.waitForMessages(1));
  EXPECT_TRUE(handler_.heartbeats().empty());
  ASSERT_EQ(handler_.messages().size(), 1u);
  EXPECT_EQ(std::visit([](const auto& m) { return m.node_id; }, handler_.messages()[0]), "n-1");

  // The join user may do nothing but join.
  NatsLink* joiner = connectAs(kNatsJoinUser, server_->token(), kNatsJoinInboxPrefix);
  ASSERT_NE(joiner, nullptr);
  EXPECT_FALSE(joiner->request(natsControlSubject("n-1"), encode(beat("n-1")), "heartbeat").isOk());
}

// nats-server refuses logins for a moment while it reloads its users; a node that connects while
// others are being admitted must get in all the same.
TEST_F(NatsNodeCredentialsTest, NodesGetInWhileOthersAreBeingAdmitted) {
  startOrchestrator();
  ASSERT_TRUE(joinNatsCluster(base(), "n-1", secretOf("n-1")).isOk());
  std::atomic<bool> done{false};
  std::thread admissions([&] {
    for (int i = 0; i < 30 && !done; ++i) {
      std::string id = "n-other-" + std::to_string(i);
      EXPECT_TRUE(server_->admitNode(id, secretOf(id)).isOk());
    }
    done = true;
  });
  int logins = 0;
  while (!done) {
    Status in;
    NatsLink* node = connectAs("n-1", secretOf("n-1"), natsNodeInboxPrefix("n-1"), &in);
    EXPECT_NE(node, nullptr) << "login " << logins << ": " << in.toString();
    ++logins;
  }
  admissions.join();
  EXPECT_GT(logins, 0);
  EXPECT_EQ(server_->admittedNodes().size(), 31u);
}

TEST_F(NatsNodeCredentialsTest, CredentialsOutliveARestartAndARemovedNodeIsShutOut) {
  startOrchestrator();
  ASSERT_TRUE(joinNatsCluster(base(), "n-1", secretOf("n-1")).isOk());
  orchestrator_->stop();
  orchestrator_.reset();
  startServer();  // a new process over the same data dir
  startOrchestrator();
  NatsLink* node = connectAsNode("n-1");
  ASSERT_NE(node, nullptr);
  ASSERT_TRUE(server_->removeNode("n-1").isOk());
  Status after;
  EXPECT_EQ(connectAs("n-1", secretOf("n-1"), natsNodeInboxPrefix("n-1"), &after), nullptr);
  EXPECT_EQ(after.code(), StatusCode::kPermissionDenied) << after.toString();
  EXPECT_TRUE(server_->admittedNodes().empty());
}

}  // namespace
}  // namespace cod::transport::testing
