#include "transport/transport_conformance.h"

#include <atomic>
#include <thread>

#include <boost/json.hpp>

#include "transport/log_stream.h"
#include "transport/messages_json.h"

namespace cod::transport::testing {

namespace bj = boost::json;
using models::ExecutionDesiredStateType;
using models::ExecutionStateType;

std::string transportFactoryName(const ::testing::TestParamInfo<TransportFactory>& info) {
  return info.param.name;
}

// ---- RecordingOrchestrator ----

RecordingOrchestrator::~RecordingOrchestrator() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(answering_);
  }
  for (auto& t : threads) t.join();
}

void RecordingOrchestrator::onHandshake(const HandshakeRequest& req,
                                        Reply<HandshakeResponse> reply) {
  {
    std::lock_guard lock(mu_);
    handshakes_.push_back(req);
  }
  if (req.node_info.node_id == "n-refused") return reply({false, "refused by the test"});
  reply({true, "", std::chrono::seconds(5), std::chrono::hours(72)});
}

void RecordingOrchestrator::onHeartbeat(const HeartbeatRequest& req,
                                        Reply<HeartbeatResponse> reply) {
  {
    std::lock_guard lock(mu_);
    heartbeats_.push_back(req);
  }
  reply({req.node_id != "n-unknown"});
}

void RecordingOrchestrator::onPresignUpload(const PresignUploadRequest& req,
                                            Reply<PresignUploadResponse> reply) {
  if (req.node_id == "n-unmanaged") return reply({"", "no managed bucket"});
  reply(
      {"https://bucket.example/" + req.job_id + "/" + req.execution_id + "?X-Amz-Signature=s", ""});
}

void RecordingOrchestrator::onUpdateNodeInfo(const UpdateNodeInfoRequest& req,
                                             Reply<UpdateNodeInfoResponse> reply) {
  {
    std::lock_guard lock(mu_);
    updates_.push_back(req);
  }
  reply({true, std::to_string(req.node_info.labels.size()) + " labels"});
}

void RecordingOrchestrator::onReconcile(const ReconcileRequest& req,
                                        Reply<ReconcileResponse> reply) {
  ReconcileResponse out;
  for (const auto& e : req.executions) {
    out.executions.push_back({e.execution_id,
                              e.state == ExecutionStateType::kRunning
                                  ? ExecutionDesiredStateType::kRunning
                                  : ExecutionDesiredStateType::kStopped,
                              e.state == ExecutionStateType::kCompleted});
  }
  for (const auto& id : req.kept_results) {
    if (id.starts_with("e-gone")) out.forgotten_results.push_back(id);
  }
  std::lock_guard lock(mu_);
  reconciles_.push_back(req);
  answering_.emplace_back(
      [out = std::move(out), reply = std::move(reply)]() mutable { reply(std::move(out)); });
}

void RecordingOrchestrator::onMessage(const ToOrchestratorMessage& msg) {
  std::unique_lock lock(mu_);
  ++entered_;
  cv_.notify_all();
  cv_.wait(lock, [this] { return !blocked_; });
  messages_.push_back(msg);
  cv_.notify_all();
}

void RecordingOrchestrator::block() {
  std::lock_guard lock(mu_);
  blocked_ = true;
}

void RecordingOrchestrator::unblock() {
  std::lock_guard lock(mu_);
  blocked_ = false;
  cv_.notify_all();
}

bool RecordingOrchestrator::waitForMessages(size_t n, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] { return messages_.size() >= n; });
}

bool RecordingOrchestrator::waitForEntered(size_t n, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] { return entered_ >= n; });
}

std::vector<ToOrchestratorMessage> RecordingOrchestrator::messages() {
  std::lock_guard lock(mu_);
  return messages_;
}
std::vector<HandshakeRequest> RecordingOrchestrator::handshakes() {
  std::lock_guard lock(mu_);
  return handshakes_;
}
std::vector<HeartbeatRequest> RecordingOrchestrator::heartbeats() {
  std::lock_guard lock(mu_);
  return heartbeats_;
}
std::vector<UpdateNodeInfoRequest> RecordingOrchestrator::updates() {
  std::lock_guard lock(mu_);
  return updates_;
}
std::vector<ReconcileRequest> RecordingOrchestrator::reconciles() {
  std::lock_guard lock(mu_);
  return reconciles_;
}

// ---- RecordingCompute ----

void RecordingCompute::onMessage(const ToComputeMessage& msg) {
  std::lock_guard lock(mu_);
  messages_.push_back(msg);
  cv_.notify_all();
}

void RecordingCompute::onConnectionChanged(bool connected) {
  std::lock_guard lock(mu_);
  events_.push_back(connected);
  cv_.notify_all();
}

bool RecordingCompute::waitForMessages(size_t n, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] { return messages_.size() >= n; });
}

bool RecordingCompute::waitForConnection(bool connected, size_t times,
                                         std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] {
    return static_cast<size_t>(std::count(events_.begin(), events_.end(), connected)) >= times;
  });
}

void RecordingCompute::onLogStream(const LogStreamRequest& request,
                                   std::unique_ptr<LogStreamWriter> writer) {
  {
    std::lock_guard lock(mu_);
    logs_.push_back({request, std::move(writer)});
  }
  cv_.notify_all();
}

RecordingCompute::OpenedLog RecordingCompute::takeLogStream(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, deadline, [&] { return !logs_.empty(); })) return {};
  OpenedLog opened = std::move(logs_.front());
  logs_.pop_front();
  return opened;
}

void RecordingLogConsumer::onEntries(std::vector<LogStreamEntry> entries) {
  std::unique_lock lock(mu_);
  ++calls_;
  for (auto& e : entries) entries_.push_back(std::move(e));
  cv_.notify_all();
  cv_.wait(lock, [&] { return !blocked_; });
}

void RecordingLogConsumer::onEnd(Status status) {
  std::lock_guard lock(mu_);
  ++calls_;
  EXPECT_FALSE(end_.has_value()) << "onEnd called twice";
  end_ = std::move(status);
  cv_.notify_all();
}

void RecordingLogConsumer::block() {
  std::lock_guard lock(mu_);
  blocked_ = true;
}

void RecordingLogConsumer::unblock() {
  {
    std::lock_guard lock(mu_);
    blocked_ = false;
  }
  cv_.notify_all();
}

bool RecordingLogConsumer::waitForEntries(size_t n, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] { return entries_.size() >= n; });
}

std::optional<Status> RecordingLogConsumer::waitForEnd(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, deadline, [&] { return end_.has_value(); });
  return end_;
}

std::vector<LogStreamEntry> RecordingLogConsumer::entries() {
  std::lock_guard lock(mu_);
  return entries_;
}

size_t RecordingLogConsumer::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<ToComputeMessage> RecordingCompute::messages() {
  std::lock_guard lock(mu_);
  return messages_;
}

std::vector<bool> RecordingCompute::connectionEvents() {
  std::lock_guard lock(mu_);
  return events_;
}

// ---- fixtures ----

HandshakeRequest fullHandshake(const std::string& node_id) {
  HandshakeRequest req;
  models::NodeInfo& n = req.node_info;
  n.node_id = node_id;
  n.node_type = models::kNodeTypeCompute;
  n.labels = {{"zone", "eu-1"}, {"gpu", "none"}};
  n.supported_protocols = {"cod/v1"};
  n.compute_node_info.execution_engines = {"docker", "wasm"};
  n.compute_node_info.publishers = {"local", "s3"};
  n.compute_node_info.storage_sources = {"inline", "urlDownload"};
  n.compute_node_info.max_capacity.cpu = 4;
  n.compute_node_info.max_capacity.memory = 8'000'000'000;
  n.compute_node_info.available_capacity.cpu = 2.5;
  n.compute_node_info.running_executions = 3;
  n.compute_node_info.address = "10.0.0.7";
  n.bacalhau_version.major = "0";
  n.bacalhau_version.minor = "1";
  n.bacalhau_version.git_version = "v0.1.0";
  req.start_time = fromUnixNanos(1724099000123456789);
  return req;
}

models::Execution fullExecution(const std::string& node_id) {
  auto job = std::make_shared<models::Job>();
  job->id = "j-6f1d";
  job->name = "word-count";
  job->ns = "default";
  job->type = models::kJobTypeBatch;
  job->count = 1;
  job->priority = 3;
  job->labels = {{"team", "data"}};
  job->meta = {{"owner", "ana"}};
  job->constraints = {{"zone", "in", {"eu-1", "eu-2"}}};
  models::Task task;
  task.name = "main";
  task.engine.type = "docker";
  task.engine.params["Image"] = "busybox:1.36";
  task.engine.params["Entrypoint"] = bj::array{"sh", "-c", "wc -w /inputs/text > /outputs/n"};
  task.publisher.type = "local";
  task.env = {{"GREETING", "héllo \"world\"\n"}};
  task.input_sources.push_back(
      {{"inline", {{"URL", "data:text/plain;base64,aGVsbG8gd29ybGQ="}}}, "text", "/inputs/text"});
  task.result_paths = {{"outputs", "/outputs"}};
  task.resources = {"500m", "256mb", "", ""};
  task.timeouts = {60, 0, 0};
  job->tasks.push_back(task);
  job->state = {models::JobStateType::kRunning, "", {}};
  job->version = 2;
  job->revision = 5;
  job->create_time = 1724099000000000001;
  job->modify_time = 1724099000000000002;

  models::Execution e;
  e.id = "e-91aa";
  e.ns = "default";
  e.job_id = job->id;
  e.eval_id = "3f0c";
  e.node_id = node_id;
  e.job = job;
  e.job_version = 2;
  e.allocated_resources.tasks["main"].cpu = 0.5;
  e.allocated_resources.tasks["main"].memory = 256'000'000;
  e.desired_state = {ExecutionDesiredStateType::kPending, "asking", {}};
  e.compute_state = {ExecutionStateType::kAskForBid, "", {}};
  e.partition_index = 0;
  e.revision = 1;
  e.create_time = 1724099000100000000;
  e.modify_time = 1724099000200000000;
  return e;
}

std::vector<ToComputeMessage> allToComputeMessages(const std::string& node_id) {
  return {AskForBid{fullExecution(node_id), true}, BidAccepted{"e-91aa", "j-6f1d"},
          BidRejected{"e-91aa", "j-6f1d", "another node won"},
          CancelExecution{"e-91aa", "j-6f1d", "the user stopped the job"}};
}

std::vector<ToOrchestratorMessage> allToOrchestratorMessages(const std::string& node_id) {
  BidResult bid;
  bid.execution_id = "e-91aa";
  bid.job_id = "j-6f1d";
  bid.node_id = node_id;
  bid.accepted = true;
  bid.allocated.cpu = 0.5;
  bid.allocated.memory = 256'000'000;
  RunResult run;
  run.execution_id = "e-91aa";
  run.job_id = "j-6f1d";
  run.node_id = node_id;
  run.output = {"2\n", false, "warning: ünïcode\n", true, 3, ""};
  run.published_result.type = "local";
  run.published_result.params["URL"] = "http://10.0.0.7:6001/e-91aa.tar.gz";
  ComputeError error;
  error.execution_id = "e-91aa";
  error.job_id = "j-6f1d";
  error.node_id = node_id;
  error.message = "image busybox:9 not found";
  error.retryable = false;
  error.error_code = "Docker:ImageNotFound";
  error.hint = "check the image name";
  return {bid, run, error};
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

void TransportConformanceTest::SetUp() {
  harness_ = GetParam().make();
  ASSERT_NE(harness_, nullptr);
  // Short, so that the cases about timeouts take seconds; long enough for a loaded machine.
  LogStreamLimits limits;
  limits.ack_timeout = std::chrono::seconds(1);
  limits.idle_timeout = std::chrono::seconds(3);
  harness_->setLogStreamLimits(limits);
}

void TransportConformanceTest::TearDown() {
  for (auto& c : computes_) c->stop();
  if (orchestrator_) orchestrator_->stop();
  computes_.clear();
  orchestrator_.reset();
  harness_.reset();
}

OrchestratorTransport* TransportConformanceTest::startOrchestrator() {
  orchestrator_ = harness_->orchestrator();
  Status s = orchestrator_->start(&orchestrator_handler_);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return orchestrator_.get();
}

ComputeTransport* TransportConformanceTest::startCompute(const std::string& node_id,
                                                         RecordingCompute** handler) {
  compute_handlers_.push_back(std::make_unique<RecordingCompute>());
  computes_.push_back(harness_->compute());
  Status s = computes_.back()->start(node_id, compute_handlers_.back().get());
  EXPECT_TRUE(s.isOk()) << s.toString();
  if (handler != nullptr) *handler = compute_handlers_.back().get();
  return computes_.back().get();
}

// ---- the cases ----

namespace {

template <typename Message>
const Message* findType(const std::vector<Message>& messages, const std::string& type) {
  for (const auto& m : messages) {
    if (messageTypeName(m) == type) return &m;
  }
  return nullptr;
}

}  // namespace

TEST_P(TransportConformanceTest, HandshakeCarriesTheNodeInfoAndTheAnswer) {
  startOrchestrator();
  ComputeTransport* node = startCompute("n-1");
  ComputeTransport* refused = startCompute("n-refused");

  auto ok = node->handshake(fullHandshake("n-1"));
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_TRUE(ok->accepted);
  EXPECT_EQ(ok->heartbeat_interval, std::chrono::seconds(5));
  EXPECT_EQ(ok->job_retention, std::chrono::hours(72));
  auto no = refused->handshake(fullHandshake("n-refused"));
  ASSERT_TRUE(no.isOk()) << no.status().toString();
  EXPECT_FALSE(no->accepted);
  EXPECT_EQ(no->reason, "refused by the test");

  auto seen = orchestrator_handler_.handshakes();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].node_info == fullHandshake("n-1").node_info);
  EXPECT_EQ(seen[0].start_time, fullHandshake("n-1").start_time);
}

TEST_P(TransportConformanceTest, HeartbeatUpdateAndReconcileRoundTrip) {
  startOrchestrator();
  ComputeTransport* node = startCompute("n-1");

  HeartbeatRequest hb;
  hb.node_id = "n-1";
  hb.available_capacity.cpu = 1.5;
  hb.queue_used_capacity.memory = 1024;
  hb.running_executions = 2;
  hb.enqueued_executions = 7;
  auto hb_answer = node->heartbeat(hb);
  ASSERT_TRUE(hb_answer.isOk()) << hb_answer.status().toString();
  EXPECT_TRUE(hb_answer->known);
  hb.node_id = "n-unknown";
  auto unknown = startCompute("n-unknown")->heartbeat(hb);
  ASSERT_TRUE(unknown.isOk()) << unknown.status().toString();
  EXPECT_FALSE(unknown->known);
  ASSERT_EQ(orchestrator_handler_.heartbeats().size(), 2u);
  EXPECT_EQ(encode(orchestrator_handler_.heartbeats()[0]),
            encode(HeartbeatRequest{"n-1", hb.available_capacity, hb.queue_used_capacity, 2, 7}));

  auto update = node->updateNodeInfo(UpdateNodeInfoRequest{fullHandshake("n-1").node_info});
  ASSERT_TRUE(update.isOk()) << update.status().toString();
  EXPECT_TRUE(update->accepted);
  EXPECT_EQ(update->reason, "2 labels");
  ASSERT_EQ(orchestrator_handler_.updates().size(), 1u);
  EXPECT_TRUE(orchestrator_handler_.updates()[0].node_info == fullHandshake("n-1").node_info);

  ReconcileRequest rec{"n-1",
                       {{"e-1", ExecutionStateType::kRunning},
                        {"e-2", ExecutionStateType::kCompleted},
                        {"e-3", ExecutionStateType::kBidAccepted}},
                       {"e-gone-1", "e-kept", "e-gone-2"}};
  auto answer = node->reconcile(rec);
  ASSERT_TRUE(answer.isOk()) << answer.status().toString();
  ASSERT_EQ(answer->executions.size(), 3u);
  EXPECT_EQ(answer->executions[0].execution_id, "e-1");
  EXPECT_EQ(answer->executions[0].desired, ExecutionDesiredStateType::kRunning);
  EXPECT_FALSE(answer->executions[0].resend);
  EXPECT_EQ(answer->executions[1].desired, ExecutionDesiredStateType::kStopped);
  EXPECT_TRUE(answer->executions[1].resend);
  EXPECT_EQ(answer->executions[2].execution_id, "e-3");
  EXPECT_EQ(answer->forgotten_results, (std::vector<std::string>{"e-gone-1", "e-gone-2"}));
  ASSERT_EQ(orchestrator_handler_.reconciles().size(), 1u);
  EXPECT_EQ(encode(orchestrator_handler_.reconciles()[0]), encode(rec));

  auto url = node->presignUpload({"n-1", "j-1", "e-1"});
  ASSERT_TRUE(url.isOk()) << url.status().toString();
  EXPECT_EQ(url->url, "https://bucket.example/j-1/e-1?X-Amz-Signature=s");
  auto refused = startCompute("n-unmanaged")->presignUpload({"n-unmanaged", "j-1", "e-1"});
  ASSERT_TRUE(refused.isOk()) << refused.status().toString();
  EXPECT_TRUE(refused->url.empty());
  EXPECT_EQ(refused->reason, "no managed bucket");
}

TEST_P(TransportConformanceTest, MessagesToComputeArriveIntact) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* handler = nullptr;
  startCompute("n-1", &handler);

  auto sent = allToComputeMessages("n-1");
  for (const auto& m : sent) {
    Status s = orch->send("n-1", m);
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  ASSERT_TRUE(handler->waitForMessages(sent.size()));
  auto got = handler->messages();
  ASSERT_EQ(got.size(), sent.size());
  for (const auto& m : sent) {
    const auto* match = findType(got, messageTypeName(m));
    ASSERT_NE(match, nullptr) << messageTypeName(m) << " did not arrive";
    EXPECT_EQ(encode(*match), encode(m));
  }
  const auto& ask = std::get<AskForBid>(*findType(got, "AskForBid"));
  ASSERT_NE(ask.execution.job, nullptr);
  EXPECT_TRUE(ask.execution == fullExecution("n-1"));
  EXPECT_TRUE(ask.run_directly);
}

TEST_P(TransportConformanceTest, MessagesToOrchestratorArriveIntact) {
  startOrchestrator();
  ComputeTransport* node = startCompute("n-1");

  auto sent = allToOrchestratorMessages("n-1");
  for (const auto& m : sent) {
    Status s = node->send(m);
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
  ASSERT_TRUE(orchestrator_handler_.waitForMessages(sent.size()));
  auto got = orchestrator_handler_.messages();
  ASSERT_EQ(got.size(), sent.size());
  for (const auto& m : sent) {
    const auto* match = findType(got, messageTypeName(m));
    ASSERT_NE(match, nullptr) << messageTypeName(m) << " did not arrive";
    EXPECT_EQ(encode(*match), encode(m));
  }
}

TEST_P(TransportConformanceTest, MessagesForOneNodeDoNotReachAnother) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* a = nullptr;
  RecordingCompute* b = nullptr;
  startCompute("n-a", &a);
  startCompute("n-b", &b);

  ASSERT_TRUE(orch->send("n-a", BidAccepted{"e-a1", "j-1"}).isOk());
  ASSERT_TRUE(orch->send("n-b", BidAccepted{"e-b1", "j-1"}).isOk());
  ASSERT_TRUE(orch->send("n-a", BidAccepted{"e-a2", "j-1"}).isOk());
  ASSERT_TRUE(a->waitForMessages(2));
  ASSERT_TRUE(b->waitForMessages(1));
  // A last message to b, after which anything misrouted to it would have arrived too.
  ASSERT_TRUE(orch->send("n-b", BidAccepted{"e-b2", "j-1"}).isOk());
  ASSERT_TRUE(b->waitForMessages(2));

  for (const auto& m : a->messages()) EXPECT_EQ(executionIdOf(m).substr(0, 3), "e-a");
  for (const auto& m : b->messages()) EXPECT_EQ(executionIdOf(m).substr(0, 3), "e-b");
  EXPECT_EQ(a->messages().size(), 2u);
  EXPECT_EQ(b->messages().size(), 2u);
}

TEST_P(TransportConformanceTest, StoppedComputeReceivesNothing) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* a = nullptr;
  RecordingCompute* b = nullptr;
  ComputeTransport* node_a = startCompute("n-a", &a);
  startCompute("n-b", &b);

  ASSERT_TRUE(orch->send("n-a", BidAccepted{"e-a1", "j-1"}).isOk());
  ASSERT_TRUE(a->waitForMessages(1));
  node_a->stop();
  // Sending to a stopped node may succeed (nobody listens) or fail; it must not be delivered.
  (void)orch->send("n-a", BidAccepted{"e-a2", "j-1"});
  ASSERT_TRUE(orch->send("n-b", BidAccepted{"e-b1", "j-1"}).isOk());
  ASSERT_TRUE(b->waitForMessages(1));
  EXPECT_EQ(a->messages().size(), 1u);
}

TEST_P(TransportConformanceTest, StoppedOrchestratorReceivesNothingAndRequestsFail) {
  OrchestratorTransport* orch = startOrchestrator();
  ComputeTransport* node = startCompute("n-1");
  ASSERT_TRUE(node->heartbeat(HeartbeatRequest{"n-1", {}, {}, 0, 0}).isOk());

  orch->stop();
  auto hb = node->heartbeat(HeartbeatRequest{"n-1", {}, {}, 0, 0});
  ASSERT_FALSE(hb.isOk());
  EXPECT_TRUE(hb.status().code() == StatusCode::kUnavailable ||
              hb.status().code() == StatusCode::kDeadlineExceeded)
      << hb.status().toString();
  EXPECT_FALSE(hb.status().message().empty());
  (void)node->send(allToOrchestratorMessages("n-1")[0]);
  EXPECT_EQ(orchestrator_handler_.heartbeats().size(), 1u);
  EXPECT_TRUE(orchestrator_handler_.messages().empty());
}

TEST_P(TransportConformanceTest, ManyNodesHeartbeatConcurrently) {
  startOrchestrator();
  constexpr int kNodes = 4;
  constexpr int kBeats = 100;
  std::vector<ComputeTransport*> nodes;
  nodes.reserve(kNodes);
  for (int i = 0; i < kNodes; ++i) nodes.push_back(startCompute("n-" + std::to_string(i)));
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  threads.reserve(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kBeats; ++j) {
        auto r = nodes[i]->heartbeat(HeartbeatRequest{"n-" + std::to_string(i), {}, {}, j, 0});
        if (r.isOk() && r->known) ++answered;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), kNodes * kBeats);
  EXPECT_EQ(orchestrator_handler_.heartbeats().size(), static_cast<size_t>(kNodes * kBeats));
}

}  // namespace cod::transport::testing

namespace cod::transport::testing {

// ---- log streams ----

namespace {

std::vector<LogStreamEntry> numberedEntries(int from, int to) {
  std::vector<LogStreamEntry> out;
  for (int i = from; i < to; ++i) {
    out.push_back({i % 3 == 0 ? 2 : 1, "line " + std::to_string(i) + "\n"});
  }
  return out;
}

}  // namespace

TEST_P(TransportConformanceTest, LogStreamDeliversEntriesInOrderThenItsEnd) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* compute = nullptr;
  startCompute("n-logs", &compute);
  auto consumer = std::make_shared<RecordingLogConsumer>();
  auto handle = orch->openLogStream("n-logs", {"e-1", true, true}, consumer);
  auto opened = compute->takeLogStream();
  ASSERT_NE(opened.writer, nullptr);
  EXPECT_EQ(opened.request.execution_id, "e-1");
  EXPECT_TRUE(opened.request.tail);
  EXPECT_TRUE(opened.request.follow);
  // More chunks than the window: acknowledgements keep it going.
  for (int i = 0; i < 300; i += 10)
    ASSERT_TRUE(opened.writer->write(numberedEntries(i, i + 10)).isOk());
  ASSERT_TRUE(opened.writer->keepalive().isOk());
  opened.writer->end(Status::ok());
  auto end = consumer->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk()) << end->toString();
  EXPECT_EQ(consumer->entries(), numberedEntries(0, 300));
}

TEST_P(TransportConformanceTest, LogStreamErrorEndCarriesTheStatus) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* compute = nullptr;
  startCompute("n-logs", &compute);
  auto consumer = std::make_shared<RecordingLogConsumer>();
  auto handle = orch->openLogStream("n-logs", {"e-missing", false, false}, consumer);
  auto opened = compute->takeLogStream();
  ASSERT_NE(opened.writer, nullptr);
  opened.writer->end(notFound("unable to find execution e-missing"));
  auto end = consumer->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
  EXPECT_EQ(end->message(), "unable to find execution e-missing");
  EXPECT_TRUE(consumer->entries().empty());
}

TEST_P(TransportConformanceTest, ALongLogEntryIsSplitOnTheWireAndArrivesWhole) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* compute = nullptr;
  startCompute("n-logs", &compute);
  auto consumer = std::make_shared<RecordingLogConsumer>();
  auto handle = orch->openLogStream("n-logs", {"e-1", false, false}, consumer);
  auto opened = compute->takeLogStream();
  ASSERT_NE(opened.writer, nullptr);
  std::string big;
  for (size_t i = 0; i < LogStreamLimits{}.chunk_bytes * 3 + 17; ++i) {
    big += static_cast<char>(i * 7 % 256);  // every byte value, NUL and invalid UTF-8 included
  }
  std::vector<LogStreamEntry> sent = {{1, "before\n"}, {2, big}, {1, "after\n"}};
  ASSERT_TRUE(opened.writer->write(sent).isOk());
  opened.writer->end(Status::ok());
  auto end = consumer->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk()) << end->toString();
  auto got = consumer->entries();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].type, 2);
  EXPECT_TRUE(got[1].data == big) << "the long entry changed on its way";
  EXPECT_EQ(got, sent);
}

TEST_P(TransportConformanceTest, CancellingALogStreamStopsTheNodeAndTheConsumer) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* compute = nullptr;
  startCompute("n-logs", &compute);
  auto consumer = std::make_shared<RecordingLogConsumer>();
  auto handle = orch->openLogStream("n-logs", {"e-1", false, true}, consumer);
  auto opened = compute->takeLogStream();
  ASSERT_NE(opened.writer, nullptr);
  ASSERT_TRUE(opened.writer->write(numberedEntries(0, 5)).isOk());
  ASSERT_TRUE(consumer->waitForEntries(5));
  handle->cancel();
  size_t calls = consumer->calls();
  // The node hears of it: its writes fail (at the latest once the window is full).
  ASSERT_TRUE(eventually([&] { return opened.writer->cancelled(); }));
  EXPECT_EQ(opened.writer->write(numberedEntries(5, 6)).code(), StatusCode::kCancelled);
  opened.writer->end(Status::ok());
  EXPECT_EQ(consumer->calls(), calls) << "no consumer call after cancel() returned";
  EXPECT_FALSE(consumer->waitForEnd(std::chrono::milliseconds(200)).has_value());
}

TEST_P(TransportConformanceTest, AConsumerThatStopsReadingDoesNotBlockTheNodeOrTheTransport) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* compute = nullptr;
  startCompute("n-logs", &compute);
  auto consumer = std::make_shared<RecordingLogConsumer>();
  consumer->block();
  auto handle = orch->openLogStream("n-logs", {"e-1", false, true}, consumer);
  auto opened = compute->takeLogStream();
  ASSERT_NE(opened.writer, nullptr);
  // Big chunks, many more than the window: the writer gives up after its acknowledgement timeout
  // instead of waiting for ever.
  std::string kb(LogStreamLimits{}.chunk_bytes, 'x');
  auto start = std::chrono::steady_clock::now();
  Status written = Status::ok();
  for (int i = 0; i < 100 && written.isOk(); ++i) written = opened.writer->write({{1, kb}});
  EXPECT_EQ(written.code(), StatusCode::kDeadlineExceeded) << written.toString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  // Messages still flow both ways meanwhile.
  ASSERT_TRUE(orch->send("n-logs", BidAccepted{"e-1", "j-1"}).isOk());
  EXPECT_TRUE(compute->waitForMessages(1));
  opened.writer->end(written);
  consumer->unblock();
  auto end = consumer->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kDeadlineExceeded) << end->toString();
}

TEST_P(TransportConformanceTest, ASilentNodeEndsTheLogStreamAfterTheIdleTimeout) {
  OrchestratorTransport* orch = startOrchestrator();
  RecordingCompute* compute = nullptr;
  startCompute("n-logs", &compute);
  auto consumer = std::make_shared<RecordingLogConsumer>();
  auto handle = orch->openLogStream("n-logs", {"e-1", false, true}, consumer);
  auto opened = compute->takeLogStream();
  ASSERT_NE(opened.writer, nullptr);  // and then says nothing, as a node that died would
  auto end = consumer->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kUnavailable) << end->toString();
  EXPECT_NE(end->message().find("n-logs"), std::string::npos) << end->message();
}

TEST_P(TransportConformanceTest, ALogStreamToAnAbsentNodeEndsUnavailable) {
  OrchestratorTransport* orch = startOrchestrator();
  auto consumer = std::make_shared<RecordingLogConsumer>();
  auto handle = orch->openLogStream("n-nobody", {"e-1", false, true}, consumer);
  auto end = consumer->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kUnavailable) << end->toString();
}

// ---- the shared receiver, without a transport ----

// A consumer that cancels its own stream from inside onEntries, then stays there until released.
class CancelInsideConsumer final : public LogStreamConsumer {
 public:
  void onEntries(std::vector<LogStreamEntry>) override {
    handle->cancel();  // on the delivery thread: returns at once
    std::unique_lock lock(mu);
    inside = true;
    cv.notify_all();
    cv.wait(lock, [this] { return released; });
    inside = false;
  }
  void onEnd(Status) override {}

  LogStreamHandle* handle = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false;
  bool released = false;
};

TEST(LogStreamReceiverTest, ASecondCancelStillWaitsForTheRunningConsumerCall) {
  auto consumer = std::make_shared<CancelInsideConsumer>();
  auto receiver = std::make_shared<LogStreamReceiver>("s-1", "n-1", consumer, LogStreamLimits{});
  auto handle = receiver->handle();
  consumer->handle = handle.get();
  receiver->start([](const LogStreamAck&) {}, nullptr);
  LogStreamChunk chunk;
  chunk.seq = 0;
  chunk.pieces.push_back({1, "line\n", false});
  receiver->onChunk(std::move(chunk));
  {
    std::unique_lock lock(consumer->mu);
    ASSERT_TRUE(consumer->cv.wait_for(lock, kWaitDeadline, [&] { return consumer->inside; }));
  }
  // The stream is cancelled already; this cancel must still not return while onEntries runs.
  std::atomic<bool> returned{false};
  std::thread other([&] {
    handle->cancel();
    returned = true;
  });
  EXPECT_FALSE(eventually([&] { return returned.load(); }, std::chrono::milliseconds(300)))
      << "cancel() returned while a consumer call was running";
  {
    std::lock_guard lock(consumer->mu);
    consumer->released = true;
  }
  consumer->cv.notify_all();
  other.join();
  EXPECT_TRUE(returned);
}

TEST(LogStreamSenderTest, AChunkOfManyShortLinesStaysUnderTheLimitOnTheWire) {
  LogStreamLimits limits;
  std::vector<size_t> sizes;
  std::vector<LogStreamEntry> got;
  LogStreamSender* self = nullptr;
  auto sender = std::make_shared<LogStreamSender>(
      "s-1", limits, std::chrono::seconds(10),
      [&](const LogStreamChunk& chunk) {
        sizes.push_back(encode(chunk).size());
        for (const auto& piece : chunk.pieces) {
          EXPECT_FALSE(piece.more);
          got.push_back({piece.type, piece.data});
        }
        self->onAck({"s-1", chunk.seq, false});
        return Status::ok();
      },
      nullptr);
  self = sender.get();
  // 64 KiB of empty lines, as a log server batch reads them: ~40 bytes each on the wire.
  std::vector<LogStreamEntry> lines(size_t{64} * 1024, LogStreamEntry{1, "\n"});
  ASSERT_TRUE(sender->write(lines).isOk());
  ASSERT_GT(sizes.size(), 1u);
  for (size_t size : sizes) {
    EXPECT_LE(size, limits.chunk_bytes + 1024) << "a chunk went over its limit on the wire";
    EXPECT_LT(size, size_t{1024} * 1024) << "over a stock NATS server's max_payload";
  }
  EXPECT_EQ(got, lines);
  sender->end(Status::ok());
}

}  // namespace cod::transport::testing
