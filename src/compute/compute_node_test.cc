// The compute node against a scripted transport: what it bids, runs, queues, reports and
// repairs, with the noop engine and the in-memory execution store.

#include "compute/compute_node.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/ids.h"
#include "common/strings.h"
#include "executor/noop/noop_executor.h"
#include "models/json.h"
#include "publisher/noop/noop_publisher.h"
#include "storage/inline/inline_storage.h"
#include "store/memory/memory_execution_store.h"

namespace cod::compute {
namespace {

namespace fs = std::filesystem;
using models::ExecutionStateType;
using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return f();
}

// Records what the node sends; answers control requests as told.
class ScriptedTransport final : public transport::ComputeTransport {
 public:
  Status start(const std::string&, transport::ComputeHandler* handler) override {
    handler_ = handler;
    return Status::ok();
  }
  void stop() override {}
  Result<transport::HandshakeResponse> handshake(const transport::HandshakeRequest& req) override {
    std::lock_guard lock(mu_);
    handshakes_.push_back(req);
    return transport::HandshakeResponse{true, "", {}};
  }
  Result<transport::HeartbeatResponse> heartbeat(const transport::HeartbeatRequest&) override {
    std::lock_guard lock(mu_);
    ++heartbeats_;
    return transport::HeartbeatResponse{true};
  }
  Result<transport::UpdateNodeInfoResponse> updateNodeInfo(
      const transport::UpdateNodeInfoRequest&) override {
    return transport::UpdateNodeInfoResponse{true, ""};
  }
  Result<transport::ReconcileResponse> reconcile(const transport::ReconcileRequest& req) override {
    std::lock_guard lock(mu_);
    reports_.push_back(req);
    return reconcile_answer_;
  }
  Status send(const transport::ToOrchestratorMessage& msg) override {
    std::lock_guard lock(mu_);
    sent_.push_back(msg);
    return Status::ok();
  }

  void deliver(const transport::ToComputeMessage& msg) { handler_->onMessage(msg); }

  template <typename T>
  std::vector<T> sentOf(const std::string& execution_id) {
    std::lock_guard lock(mu_);
    std::vector<T> out;
    for (const auto& m : sent_) {
      if (const T* t = std::get_if<T>(&m); t && t->execution_id == execution_id) out.push_back(*t);
    }
    return out;
  }
  std::vector<transport::HandshakeRequest> handshakes() {
    std::lock_guard lock(mu_);
    return handshakes_;
  }
  int heartbeats() {
    std::lock_guard lock(mu_);
    return heartbeats_;
  }

  std::mutex mu_;
  transport::ComputeHandler* handler_ = nullptr;
  std::vector<transport::ToOrchestratorMessage> sent_;
  std::vector<transport::HandshakeRequest> handshakes_;
  std::vector<transport::ReconcileRequest> reports_;
  int heartbeats_ = 0;
  transport::ReconcileResponse reconcile_answer_;
};

// Keeps what each publish() found in the result folder: file name -> content.
class RecordingPublisher final : public publisher::Publisher {
 public:
  std::string name() const override { return "record"; }
  bool isInstalled() override { return true; }
  Status validate(const models::SpecConfig&) override { return Status::ok(); }
  Result<models::SpecConfig> publish(const std::string& execution_id, const models::Job&,
                                     const std::string& results_dir, CancelToken&) override {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(results_dir)) {
      std::ifstream in(entry.path());
      files[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    std::lock_guard lock(mu_);
    published_[execution_id] = std::move(files);
    return models::SpecConfig{};
  }
  std::map<std::string, std::string> folder(const std::string& execution_id) {
    std::lock_guard lock(mu_);
    return published_[execution_id];
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> published_;
};

// The noop engine, recording the GPUs each run was given and counting any device that two runs
// held at once. A run whose Params has "Hold" lasts until the test releases it (or it is
// cancelled), so a test can keep GPUs busy for exactly as long as it wants.
class GpuRecordingExecutor final : public executor::Executor {
 public:
  std::string name() const override { return "noop"; }
  bool isInstalled() override { return true; }
  Status validate(const models::Task& task) override { return noop_.validate(task); }
  bool needsResultsDir() const override { return false; }
  Result<models::RunCommandResult> run(const executor::ExecutionRequest& req,
                                       CancelToken& cancel) override {
    {
      std::lock_guard lock(mu_);
      given_[req.execution_id] = req.gpus;
      for (const auto& g : req.gpus) {
        if (!held_.insert(g.index).second) ++shared_;
      }
    }
    cv_.notify_all();
    if (models::findKey(req.job->task().engine.params, "Hold") != nullptr) {
      cancel.onCancel([this] {
        std::lock_guard lock(mu_);
        cv_.notify_all();
      });
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return released_.count(req.execution_id) > 0 || cancel.cancelled(); });
    }
    auto result = noop_.run(req, cancel);
    {
      // Before the node hears that the run ended, so a device handed on is never counted twice.
      std::lock_guard lock(mu_);
      for (const auto& g : req.gpus) held_.erase(g.index);
    }
    return result;
  }

  void release(const std::string& execution_id) {
    {
      std::lock_guard lock(mu_);
      released_.insert(execution_id);
    }
    cv_.notify_all();
  }
  bool started(const std::string& execution_id) {
    std::lock_guard lock(mu_);
    return given_.count(execution_id) > 0;
  }
  std::vector<models::Gpu> given(const std::string& execution_id) {
    std::lock_guard lock(mu_);
    return given_.at(execution_id);
  }
  int shared() {
    std::lock_guard lock(mu_);
    return shared_;
  }

 private:
  executor::NoopExecutor noop_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<models::Gpu>> given_;
  std::set<uint64_t> held_;
  std::set<std::string> released_;
  int shared_ = 0;
};

std::set<uint64_t> indices(const std::vector<models::Gpu>& gpus) {
  std::set<uint64_t> out;
  for (const auto& g : gpus) out.insert(g.index);
  return out;
}

class ComputeNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-compute-test-" + newUuid());
    start();
  }
  void TearDown() override {
    node_->stop();
    fs::remove_all(dir_);
  }

  void start(bool allow_networked_jobs = false, bool allow_host_network = false) {
    ComputeConfig config;
    config.free_disk = [this] { return free_disk_.load(); };
    config.allow_networked_jobs = allow_networked_jobs;
    config.allow_host_network = allow_host_network;
    config.node_id = "n-test";
    config.data_dir = dir_.string();
    config.capacity.cpu = 1;
    config.capacity.memory = 1'000'000'000;
    config.capacity.gpu = gpus_.size();
    config.capacity.gpus = gpus_;
    config.heartbeat_interval = 50ms;
    config.reconcile_interval = 1h;  // reconciliation is driven by the tests
    config.labels = {{"zone", "a"}};
    Plugins plugins{{&noop_}, {&inline_storage_}, {&noop_publisher_, &recording_publisher_}};
    node_ = std::make_unique<ComputeNode>(
        ComputeDeps{&transport_, &store_, plugins, &SystemClock::instance(), nullptr}, config);
    ASSERT_TRUE(node_->start().isOk());
    ASSERT_TRUE(node_->waitUntilRegistered(5s));
  }

  // An AskForBid for a noop job.
  transport::AskForBid ask(const std::string& cpu = "1", boost::json::object params = {},
                           const std::string& engine = "noop") {
    auto job = std::make_shared<models::Job>();
    job->id = "j-" + newUuid();
    job->type = "batch";
    job->count = 1;
    models::Task t;
    t.name = "main";
    t.engine.type = engine;
    t.engine.params = std::move(params);
    t.resources.cpu = cpu;
    t.resources.memory = "100mb";
    job->tasks.push_back(t);
    models::Execution e;
    e.id = newExecutionId();
    e.job_id = job->id;
    e.node_id = "n-test";
    e.job = job;
    return {e, false};
  }

  // An AskForBid for a noop job that asks for `gpus` GPUs.
  transport::AskForBid askGpus(uint64_t gpus, boost::json::object params = {}) {
    auto a = ask("100m", std::move(params));
    auto job = std::make_shared<models::Job>(*a.execution.job);
    job->tasks[0].resources.gpu = std::to_string(gpus);
    a.execution.job = job;
    return a;
  }

  // Bids and approves; false if the node declined.
  bool bidAndApprove(const transport::AskForBid& a) {
    transport_.deliver(a);
    if (!eventually(
            [&] { return !transport_.sentOf<transport::BidResult>(a.execution.id).empty(); })) {
      return false;
    }
    if (!transport_.sentOf<transport::BidResult>(a.execution.id)[0].accepted) return false;
    transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
    return true;
  }

  // Restarts the node with these GPUs.
  void restartWithGpus(std::vector<models::Gpu> gpus) {
    node_->stop();
    gpus_ = std::move(gpus);
    start();
  }

  static std::vector<models::Gpu> nvidiaGpus(uint64_t n) {
    std::vector<models::Gpu> out;
    for (uint64_t i = 0; i < n; ++i) {
      out.push_back({i, "NVIDIA H200", "NVIDIA", 143771, "0000:1" + std::to_string(i) + ":00.0"});
    }
    return out;
  }

  models::ExecutionStateType localState(const std::string& id) {
    auto e = store_.get(id);
    return e.isOk() ? e->state() : ExecutionStateType::kUndefined;
  }

  fs::path dir_;
  std::atomic<uint64_t> free_disk_{uint64_t{1} << 40};
  ScriptedTransport transport_;
  store::MemoryExecutionStore store_;
  std::vector<models::Gpu> gpus_;  // what the node is started with
  GpuRecordingExecutor noop_;
  storage::InlineStorage inline_storage_;
  publisher::NoopPublisher noop_publisher_;
  RecordingPublisher recording_publisher_;
  std::unique_ptr<ComputeNode> node_;
};

// Heartbeats are timed by the injected clock: one per interval of it, however much real time
// passes; clockAdvanced() has the node look at the clock at once.
TEST(ComputeNodeClockTest, HeartbeatsFollowTheInjectedClock) {
  ScriptedTransport transport;
  store::MemoryExecutionStore store;
  executor::NoopExecutor noop;
  ManualClock clock;
  auto dir = fs::temp_directory_path() / ("cod-compute-clock-test-" + newUuid());
  ComputeConfig config;
  config.node_id = "n-clock";
  config.data_dir = dir.string();
  config.capacity.cpu = 1;
  config.capacity.memory = 1'000'000'000;
  config.capacity.disk = 1'000'000'000;
  config.heartbeat_interval = 30s;
  config.reconcile_interval = 1h;
  ComputeNode node(ComputeDeps{&transport, &store, Plugins{{&noop}, {}, {}}, &clock, nullptr},
                   config);
  ASSERT_TRUE(node.start().isOk());
  ASSERT_TRUE(node.waitUntilRegistered(5s));
  for (int i = 1; i <= 3; ++i) {
    clock.advance(30s);
    node.clockAdvanced();
    ASSERT_TRUE(eventually([&] { return transport.heartbeats() >= i; })) << "heartbeat " << i;
  }
  clock.advance(29s);  // not yet due
  node.clockAdvanced();
  EXPECT_EQ(transport.heartbeats(), 3);
  node.stop();
  fs::remove_all(dir);
}

TEST_F(ComputeNodeTest, HandshakeAdvertisesWhatIsInstalledAndItsLabels) {
  auto hs = transport_.handshakes();
  ASSERT_FALSE(hs.empty());
  const auto& info = hs.back().node_info;
  EXPECT_EQ(info.node_type, models::kNodeTypeCompute);
  EXPECT_EQ(info.compute_node_info.execution_engines, std::vector<std::string>{"noop"});
  EXPECT_EQ(info.compute_node_info.publishers, (std::vector<std::string>{"noop", "record"}));
  EXPECT_EQ(info.labels.at("zone"), "a");
  EXPECT_EQ(info.labels.at("os_type"), "linux");
  EXPECT_TRUE(info.labels.count("hostname"));
  EXPECT_DOUBLE_EQ(info.compute_node_info.max_capacity.cpu, 1);
}

TEST_F(ComputeNodeTest, BidsRunsAndReports) {
  auto a = ask("500m", {{"Stdout", "hi\n"}, {"ExitCode", 4}});
  transport_.deliver(a);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::BidResult>(a.execution.id).size() == 1; }));
  auto bid = transport_.sentOf<transport::BidResult>(a.execution.id)[0];
  EXPECT_TRUE(bid.accepted);
  EXPECT_DOUBLE_EQ(bid.allocated.cpu, 0.5);
  transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(a.execution.id).size() == 1; }));
  auto result = transport_.sentOf<transport::RunResult>(a.execution.id)[0];
  EXPECT_EQ(result.output.stdout_text, "hi\n");
  EXPECT_EQ(result.output.exit_code, 4);
  EXPECT_EQ(localState(a.execution.id), ExecutionStateType::kCompleted);
  EXPECT_FALSE(fs::exists(dir_ / "executions" / a.execution.id)) << "the working folder goes";
}

TEST_F(ComputeNodeTest, APublisherGetsTheWholeResultFolder) {
  auto a = ask("500m", {{"Stdout", "out"}, {"Stderr", "err"}, {"ExitCode", 2}});
  auto job = std::make_shared<models::Job>(*a.execution.job);
  job->tasks[0].publisher.type = "record";
  a.execution.job = job;
  transport_.deliver(a);
  transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(a.execution.id).size() == 1; }));
  std::map<std::string, std::string> expected{
      {"stdout", "out"}, {"stderr", "err"}, {"exitCode", "2"}};
  EXPECT_EQ(recording_publisher_.folder(a.execution.id), expected);
}

TEST_F(ComputeNodeTest, ANoopRunWithNothingToPublishLeavesTheFileSystemAlone) {
  // Where the execution folders go is now a file: any attempt to make one fails.
  fs::remove_all(dir_ / "executions");
  std::ofstream(dir_ / "executions") << "not a folder";
  auto quiet = ask("500m", {{"Stdout", "hi"}});
  auto published = ask("500m");
  auto job = std::make_shared<models::Job>(*published.execution.job);
  job->tasks[0].publisher.type = "record";
  published.execution.job = job;
  for (auto* a : {&quiet, &published}) {
    transport_.deliver(*a);
    transport_.deliver(transport::BidAccepted{a->execution.id, a->execution.job_id});
  }
  ASSERT_TRUE(eventually([&] {
    return transport_.sentOf<transport::RunResult>(quiet.execution.id).size() == 1 &&
           transport_.sentOf<transport::ComputeError>(published.execution.id).size() == 1;
  }));
  EXPECT_EQ(transport_.sentOf<transport::RunResult>(quiet.execution.id)[0].output.stdout_text,
            "hi");
  EXPECT_NE(transport_.sentOf<transport::ComputeError>(published.execution.id)[0].message.find(
                "cannot create"),
            std::string::npos);
}

TEST_F(ComputeNodeTest, DeclinesWhatItCannotRunAndSaysWhy) {
  auto engine = ask("500m", {}, "wasm");
  transport_.deliver(engine);
  auto big = ask("4");
  transport_.deliver(big);
  auto bad = ask("500m", {{"Delay", "soon"}});
  transport_.deliver(bad);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::BidResult>(bad.execution.id).size() == 1; }));
  auto r1 = transport_.sentOf<transport::BidResult>(engine.execution.id).at(0);
  EXPECT_FALSE(r1.accepted);
  EXPECT_EQ(r1.reason, "engine \"wasm\" is not installed on this node");
  auto r2 = transport_.sentOf<transport::BidResult>(big.execution.id).at(0);
  EXPECT_FALSE(r2.accepted);
  EXPECT_EQ(r2.reason, "the job needs more than this node has: cpu: 4 > 1");
  EXPECT_FALSE(transport_.sentOf<transport::BidResult>(bad.execution.id).at(0).accepted);
}

TEST_F(ComputeNodeTest, AskingTwiceGetsTheSameAnswer) {
  auto a = ask();
  transport_.deliver(a);
  transport_.deliver(a);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::BidResult>(a.execution.id).size() == 2; }));
  auto bids = transport_.sentOf<transport::BidResult>(a.execution.id);
  EXPECT_TRUE(bids[0].accepted);
  EXPECT_TRUE(bids[1].accepted);
}

TEST_F(ComputeNodeTest, QueuesWhatDoesNotFitAndRunsItWhenCapacityFrees) {
  auto first = ask("1", {{"Delay", "300ms"}});
  auto second = ask("1");
  for (auto* a : {&first, &second}) {
    transport_.deliver(*a);
    ASSERT_TRUE(eventually(
        [&] { return !transport_.sentOf<transport::BidResult>(a->execution.id).empty(); }));
    transport_.deliver(transport::BidAccepted{a->execution.id, a->execution.job_id});
  }
  ASSERT_TRUE(eventually([&] {
    auto info = node_->nodeInfo().compute_node_info;
    return info.running_executions == 1 && info.enqueued_executions == 1;
  }));
  EXPECT_DOUBLE_EQ(node_->nodeInfo().compute_node_info.queue_capacity.cpu, 1);
  EXPECT_TRUE(transport_.sentOf<transport::RunResult>(second.execution.id).empty());
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(second.execution.id).size() == 1; }));
  EXPECT_DOUBLE_EQ(node_->nodeInfo().compute_node_info.available_capacity.cpu, 1);
}

TEST_F(ComputeNodeTest, CancelStopsARunAndReportsNothing) {
  auto a = ask("500m", {{"Delay", "30s"}});
  transport_.deliver(a);
  transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
  ASSERT_TRUE(
      eventually([&] { return node_->nodeInfo().compute_node_info.running_executions == 1; }));
  transport_.deliver(transport::CancelExecution{a.execution.id, a.execution.job_id, "stop"});
  ASSERT_TRUE(
      eventually([&] { return node_->nodeInfo().compute_node_info.running_executions == 0; }));
  EXPECT_EQ(localState(a.execution.id), ExecutionStateType::kCancelled);
  EXPECT_TRUE(transport_.sentOf<transport::RunResult>(a.execution.id).empty());
  EXPECT_TRUE(transport_.sentOf<transport::ComputeError>(a.execution.id).empty());
}

TEST_F(ComputeNodeTest, FailuresSayWhetherARetryCouldHelp) {
  auto permanent = ask("500m", {{"Error", "bad input"}, {"Retryable", false}});
  auto transient = ask("500m", {{"Error", "flaky"}});
  for (auto* a : {&permanent, &transient}) {
    transport_.deliver(*a);
    transport_.deliver(transport::BidAccepted{a->execution.id, a->execution.job_id});
  }
  ASSERT_TRUE(eventually([&] {
    return transport_.sentOf<transport::ComputeError>(permanent.execution.id).size() == 1 &&
           transport_.sentOf<transport::ComputeError>(transient.execution.id).size() == 1;
  }));
  auto p = transport_.sentOf<transport::ComputeError>(permanent.execution.id)[0];
  EXPECT_EQ(p.message, "bad input");
  EXPECT_FALSE(p.retryable);
  EXPECT_TRUE(transport_.sentOf<transport::ComputeError>(transient.execution.id)[0].retryable);
}

TEST_F(ComputeNodeTest, ReconciliationRepairsLostMessages) {
  // The approval was lost: the orchestrator's answer says Running.
  auto a = ask();
  transport_.deliver(a);
  ASSERT_TRUE(eventually(
      [&] { return localState(a.execution.id) == ExecutionStateType::kAskForBidAccepted; }));
  transport::ReconcileResponse answer;
  answer.executions.push_back({a.execution.id, models::ExecutionDesiredStateType::kRunning, false});
  {
    std::lock_guard lock(transport_.mu_);
    transport_.reconcile_answer_ = answer;
  }
  node_->onConnectionChanged(true);  // reconcile now
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(a.execution.id).size() == 1; }));
  // The result was lost: asked to resend, the node sends it again.
  answer.executions = {{a.execution.id, models::ExecutionDesiredStateType::kStopped, true}};
  {
    std::lock_guard lock(transport_.mu_);
    transport_.reconcile_answer_ = answer;
  }
  node_->onConnectionChanged(true);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(a.execution.id).size() == 2; }));
  // The orchestrator has it: the node forgets the execution.
  answer.executions = {{a.execution.id, models::ExecutionDesiredStateType::kStopped, false}};
  {
    std::lock_guard lock(transport_.mu_);
    transport_.reconcile_answer_ = answer;
  }
  node_->onConnectionChanged(true);
  ASSERT_TRUE(eventually([&] { return !store_.get(a.execution.id).isOk(); }));
}

TEST_F(ComputeNodeTest, AfterARestartRunningExecutionsAreReportedFailed) {
  auto a = ask("500m", {{"Delay", "30s"}});
  transport_.deliver(a);
  transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
  ASSERT_TRUE(
      eventually([&] { return localState(a.execution.id) == ExecutionStateType::kRunning; }));
  // A crash: the node object goes, the store stays (as SQLite would).
  auto saved = store_.get(a.execution.id);
  node_->stop();
  ASSERT_TRUE(store_.put(*saved).isOk());
  // What the run had on disk when the node died: its working folder and staged inputs.
  fs::create_directories(dir_ / "executions" / a.execution.id);
  std::ofstream(dir_ / "executions" / a.execution.id / "stdout") << "half";
  fs::create_directories(dir_ / "executions" / (a.execution.id + ".inputs") / "data");
  start();
  EXPECT_EQ(localState(a.execution.id), ExecutionStateType::kFailed);
  auto e = store_.get(a.execution.id);
  EXPECT_NE(e->error.find("restarted"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir_ / "executions")) << "the dead run's folders go";
}

// The orchestrator validates specs at submit; a compute node still refuses, at bid time and
// before touching its disk, a spec whose strings would become host paths outside its folders.
TEST_F(ComputeNodeTest, RefusesSpecsThatWouldReachOutsideTheExecutionFolder) {
  fs::create_directories(dir_ / "victim");
  std::ofstream(dir_ / "victim" / "keep") << "precious";
  struct Case {
    std::string execution_id;
    std::string result_name;
    std::string result_path;
  };
  for (const Case& c : std::vector<Case>{{"", "/etc", "/hostetc"},
                                         {"", "../../victim", "/out"},
                                         {"", "out", "/proc"},
                                         {"../victim", "out", "/out"}}) {
    auto a = ask("500m", {{"Stdout", "pwned"}});
    if (!c.execution_id.empty()) a.execution.id = c.execution_id;
    auto job = std::make_shared<models::Job>(*a.execution.job);
    job->tasks[0].publisher.type = "record";
    job->tasks[0].result_paths.push_back({c.result_name, c.result_path});
    a.execution.job = job;
    transport_.deliver(a);
    ASSERT_TRUE(eventually(
        [&] { return transport_.sentOf<transport::BidResult>(a.execution.id).size() == 1; }));
    auto bid = transport_.sentOf<transport::BidResult>(a.execution.id)[0];
    EXPECT_FALSE(bid.accepted) << c.result_name;
    EXPECT_EQ(bid.reason.rfind("refused an unsafe job spec: ", 0), 0u) << bid.reason;
    // Even told to run it, the node does not.
    transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
  }
  EXPECT_TRUE(fs::exists(dir_ / "victim" / "keep"));
  EXPECT_TRUE(transport_.sentOf<transport::RunResult>("../victim").empty());
}

TEST_F(ComputeNodeTest, NetworkedJobsNeedTheOperatorsConsent) {
  auto with_network = [&](models::NetworkType type) {
    auto a = ask("100m");
    auto job = std::make_shared<models::Job>(*a.execution.job);
    job->tasks[0].network.type = type;
    a.execution.job = job;
    transport_.deliver(a);
    EXPECT_TRUE(eventually(
        [&] { return transport_.sentOf<transport::BidResult>(a.execution.id).size() == 1; }));
    return transport_.sentOf<transport::BidResult>(a.execution.id)[0];
  };
  using models::NetworkType;
  EXPECT_TRUE(with_network(NetworkType::kNone).accepted);
  EXPECT_TRUE(with_network(NetworkType::kDefault).accepted);
  auto host = with_network(NetworkType::kHost);
  EXPECT_FALSE(host.accepted);
  EXPECT_NE(host.reason.find("--allow-host-network"), std::string::npos) << host.reason;
  for (auto type : {NetworkType::kFull, NetworkType::kBridge, NetworkType::kHttp}) {
    auto bid = with_network(type);
    EXPECT_FALSE(bid.accepted);
    EXPECT_NE(bid.reason.find("--allow-networked-jobs"), std::string::npos) << bid.reason;
  }

  node_->stop();
  start(/*allow_networked_jobs=*/true, /*allow_host_network=*/false);
  EXPECT_TRUE(with_network(NetworkType::kFull).accepted);
  EXPECT_FALSE(with_network(NetworkType::kHost).accepted);
  node_->stop();
  start(/*allow_networked_jobs=*/false, /*allow_host_network=*/true);
  EXPECT_TRUE(with_network(NetworkType::kHost).accepted);
  EXPECT_FALSE(with_network(NetworkType::kBridge).accepted);
}

// Binary output used to become raw bytes in RunOutput: the stored execution was "unreadable:
// invalid JSON" and its job stayed Running for ever.
TEST_F(ComputeNodeTest, BinaryOutputIsReportedAsValidUtf8CutBetweenCharacters) {
  std::string binary = "a" + std::string(3000, '\xFF');
  std::string euros;
  for (int i = 0; i < 1000; ++i) euros += "\xE2\x82\xAC";
  auto a = ask("500m", {{"Stdout", "x"}});
  auto job = std::make_shared<models::Job>(*a.execution.job);
  // Boost.JSON keeps the bytes as given; only a parser would refuse them.
  job->tasks[0].engine.params["Stdout"] = binary;
  job->tasks[0].engine.params["Stderr"] = "e" + euros;
  a.execution.job = job;
  transport_.deliver(a);
  transport_.deliver(transport::BidAccepted{a.execution.id, a.execution.job_id});
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(a.execution.id).size() == 1; }));
  auto out = transport_.sentOf<transport::RunResult>(a.execution.id)[0].output;
  EXPECT_TRUE(isValidUtf8(out.stdout_text));
  EXPECT_LE(out.stdout_text.size(), models::kRunOutputLimit);
  EXPECT_EQ(out.stdout_text.substr(0, 4), "a\xEF\xBF\xBD");
  EXPECT_TRUE(out.stdout_truncated);
  EXPECT_TRUE(isValidUtf8(out.stderr_text));
  EXPECT_EQ((out.stderr_text.size() - 1) % 3, 0u) << "a euro sign was cut";
  EXPECT_TRUE(out.stderr_truncated);
  // What the node stored reads back.
  auto stored = store_.get(a.execution.id);
  ASSERT_TRUE(stored.isOk());
  EXPECT_EQ(stored->result.stdout_text, out.stdout_text);
}

TEST_F(ComputeNodeTest, InputsLargerThanTheFreeDiskAreRefusedAtBidTime) {
  auto with_input = [&](size_t bytes) {
    auto a = ask("100m");
    auto job = std::make_shared<models::Job>(*a.execution.job);
    job->tasks[0].input_sources.push_back(
        {{"inline", {{"URL", "data:," + std::string(bytes, 'x')}}}, "", "/in/x"});
    a.execution.job = job;
    transport_.deliver(a);
    EXPECT_TRUE(eventually(
        [&] { return transport_.sentOf<transport::BidResult>(a.execution.id).size() == 1; }));
    return transport_.sentOf<transport::BidResult>(a.execution.id)[0];
  };
  free_disk_ = 100;
  auto refused = with_input(1000);
  EXPECT_FALSE(refused.accepted);
  EXPECT_NE(refused.reason.find("free where it stages them"), std::string::npos) << refused.reason;
  free_disk_ = 1'000'000;
  EXPECT_TRUE(with_input(1000).accepted);
}

TEST_F(ComputeNodeTest, AdvertisesItsGpusWithBacalhausLabels) {
  auto gpus = nvidiaGpus(2);
  gpus[1].name = "NVIDIA GeForce RTX 4090 (rev a1)";
  restartWithGpus(gpus);
  auto info = node_->nodeInfo();
  EXPECT_EQ(info.compute_node_info.max_capacity.gpu, 2u);
  EXPECT_EQ(info.compute_node_info.max_capacity.gpus, gpus);
  EXPECT_EQ(info.compute_node_info.available_capacity.gpus, gpus);
  EXPECT_EQ(info.labels.at("GPU-0"), "NVIDIA-H200");
  EXPECT_EQ(info.labels.at("GPU-0-Memory"), "143771-MiB");
  EXPECT_EQ(info.labels.at("GPU-1"), "NVIDIA-GeForce-RTX-4090--rev-a1-");
}

TEST_F(ComputeNodeTest, RefusesTasksThatAskForMoreGpusThanItHas) {
  auto none = askGpus(2);
  transport_.deliver(none);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::BidResult>(none.execution.id).size() == 1; }));
  auto bid = transport_.sentOf<transport::BidResult>(none.execution.id)[0];
  EXPECT_FALSE(bid.accepted);
  EXPECT_EQ(bid.reason, "this node has 0 GPUs; the task asks for 2");

  restartWithGpus(nvidiaGpus(1));
  auto two = askGpus(2);
  auto one = askGpus(1);
  transport_.deliver(two);
  transport_.deliver(one);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::BidResult>(one.execution.id).size() == 1; }));
  EXPECT_EQ(transport_.sentOf<transport::BidResult>(two.execution.id).at(0).reason,
            "this node has 1 GPU; the task asks for 2");
  auto accepted = transport_.sentOf<transport::BidResult>(one.execution.id)[0];
  EXPECT_TRUE(accepted.accepted);
  EXPECT_EQ(accepted.allocated.gpu, 1u);
}

TEST_F(ComputeNodeTest, EachRunGetsItsOwnGpusAndAQueuedOneWaitsForOneToFree) {
  restartWithGpus(nvidiaGpus(3));
  boost::json::object hold{{"Hold", true}};
  auto two = askGpus(2, hold);
  auto one = askGpus(1, hold);
  auto waits = askGpus(1, hold);
  auto cpu_only = askGpus(0);
  for (auto* a : {&two, &one, &waits, &cpu_only}) ASSERT_TRUE(bidAndApprove(*a));
  ASSERT_TRUE(eventually([&] {
    auto info = node_->nodeInfo().compute_node_info;
    // The node counts a run as running before its executor has been handed the devices.
    return info.running_executions == 2 && info.enqueued_executions == 2 &&
           noop_.started(two.execution.id) && noop_.started(one.execution.id);
  }));
  auto held_by_two = indices(noop_.given(two.execution.id));
  auto held_by_one = indices(noop_.given(one.execution.id));
  EXPECT_EQ(held_by_two.size(), 2u);
  EXPECT_EQ(held_by_one.size(), 1u);
  EXPECT_EQ(held_by_two.count(*held_by_one.begin()), 0u) << "two runs share a GPU";
  EXPECT_FALSE(noop_.started(waits.execution.id));
  // Behind the execution that waits for a GPU, in order.
  EXPECT_FALSE(noop_.started(cpu_only.execution.id));
  auto busy = node_->nodeInfo().compute_node_info;
  EXPECT_EQ(busy.available_capacity.gpu, 0u);
  EXPECT_TRUE(busy.available_capacity.gpus.empty());
  EXPECT_EQ(busy.max_capacity.gpu, 3u);
  EXPECT_EQ(busy.queue_capacity.gpu, 1u);

  // The one that held a single GPU ends: the waiting run gets exactly that device.
  noop_.release(one.execution.id);
  ASSERT_TRUE(eventually([&] { return noop_.started(waits.execution.id); }));
  EXPECT_EQ(indices(noop_.given(waits.execution.id)), held_by_one);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(cpu_only.execution.id).size() == 1; }));
  EXPECT_TRUE(noop_.given(cpu_only.execution.id).empty());

  noop_.release(two.execution.id);
  noop_.release(waits.execution.id);
  ASSERT_TRUE(eventually(
      [&] { return node_->nodeInfo().compute_node_info.available_capacity.gpus.size() == 3; }));
  EXPECT_EQ(node_->nodeInfo().compute_node_info.available_capacity.gpu, 3u);
  EXPECT_EQ(noop_.shared(), 0);
}

TEST_F(ComputeNodeTest, RunThreadsStartWithTheWorkAndAreReused) {
  restartWithGpus(nvidiaGpus(2));
  EXPECT_EQ(node_->runThreads().started, 0u) << "an idle node holds no run threads";
  boost::json::object hold{{"Hold", true}};
  auto first = askGpus(1, hold);
  auto second = askGpus(1, hold);
  for (auto* a : {&first, &second}) ASSERT_TRUE(bidAndApprove(*a));
  ASSERT_TRUE(eventually(
      [&] { return noop_.started(first.execution.id) && noop_.started(second.execution.id); }));
  EXPECT_EQ(node_->runThreads().started, 2u);

  noop_.release(first.execution.id);
  ASSERT_TRUE(eventually([&] { return node_->runThreads().idle == 1; }));
  auto third = askGpus(1, hold);
  ASSERT_TRUE(bidAndApprove(third));
  ASSERT_TRUE(eventually([&] { return noop_.started(third.execution.id); }));
  EXPECT_EQ(node_->runThreads().started, 2u) << "the thread the first run left takes the third";
  noop_.release(second.execution.id);
  noop_.release(third.execution.id);
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(third.execution.id).size() == 1; }));
}

TEST_F(ComputeNodeTest, ConcurrentRunsNeverShareAGpu) {
  restartWithGpus(nvidiaGpus(4));
  std::mt19937 random(7);
  std::vector<transport::AskForBid> asks;
  std::map<std::string, uint64_t> wanted;
  for (int i = 0; i < 24; ++i) {
    uint64_t n = 1 + random() % 4;
    asks.push_back(askGpus(n, {{"Delay", std::to_string(random() % 15) + "ms"}}));
    wanted[asks.back().execution.id] = n;
  }
  for (const auto& a : asks) ASSERT_TRUE(bidAndApprove(a));
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& a : asks) {
          if (transport_.sentOf<transport::RunResult>(a.execution.id).empty()) return false;
        }
        return true;
      },
      20s));
  EXPECT_EQ(noop_.shared(), 0);
  for (const auto& a : asks) {
    auto got = noop_.given(a.execution.id);
    EXPECT_EQ(got.size(), wanted[a.execution.id]);
    EXPECT_EQ(indices(got).size(), got.size()) << "a run got the same GPU twice";
    for (const auto& g : got) EXPECT_LT(g.index, 4u);
  }
  EXPECT_EQ(node_->nodeInfo().compute_node_info.available_capacity.gpu, 4u);
}

TEST_F(ComputeNodeTest, GpusComeBackHoweverARunEnds) {
  restartWithGpus(nvidiaGpus(1));
  auto fails = askGpus(1, {{"Error", "boom"}});
  auto cancelled = askGpus(1, {{"Hold", true}});
  auto times_out = askGpus(1, {{"Delay", "30s"}});
  {
    auto job = std::make_shared<models::Job>(*times_out.execution.job);
    job->tasks[0].timeouts.execution_timeout = 1;
    times_out.execution.job = job;
  }
  auto last = askGpus(1);
  for (auto* a : {&fails, &cancelled, &times_out, &last}) ASSERT_TRUE(bidAndApprove(*a));
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::ComputeError>(fails.execution.id).size() == 1; }));
  ASSERT_TRUE(eventually([&] { return noop_.started(cancelled.execution.id); }));
  EXPECT_FALSE(noop_.started(times_out.execution.id));
  transport_.deliver(
      transport::CancelExecution{cancelled.execution.id, cancelled.execution.job_id, "stop"});
  ASSERT_TRUE(eventually([&] { return noop_.started(times_out.execution.id); }));
  ASSERT_TRUE(eventually(
      [&] { return transport_.sentOf<transport::RunResult>(last.execution.id).size() == 1; }));
  auto timed_out = transport_.sentOf<transport::ComputeError>(times_out.execution.id);
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_NE(timed_out[0].message.find("timed out"), std::string::npos) << timed_out[0].message;
  for (auto* a : {&fails, &cancelled, &times_out, &last}) {
    EXPECT_EQ(indices(noop_.given(a->execution.id)), std::set<uint64_t>{0});
  }
  EXPECT_EQ(noop_.shared(), 0);
  ASSERT_TRUE(
      eventually([&] { return node_->nodeInfo().compute_node_info.available_capacity.gpu == 1; }));
}

TEST_F(ComputeNodeTest, OffersOnlyTheGpusItCanName) {
  node_->stop();
  gpus_ = nvidiaGpus(2);
  ComputeConfig config;
  config.node_id = "n-test";
  config.data_dir = dir_.string();
  config.capacity.cpu = 1;
  config.capacity.gpu = 5;  // more than it has
  config.capacity.gpus = gpus_;
  Plugins plugins{{&noop_}, {&inline_storage_}, {&noop_publisher_}};
  ComputeNode more(ComputeDeps{&transport_, &store_, plugins, &SystemClock::instance(), nullptr},
                   config);
  EXPECT_EQ(more.nodeInfo().compute_node_info.max_capacity.gpu, 2u);
  config.capacity.gpu = 1;  // fewer: the first one
  ComputeNode fewer(ComputeDeps{&transport_, &store_, plugins, &SystemClock::instance(), nullptr},
                    config);
  EXPECT_EQ(fewer.nodeInfo().compute_node_info.max_capacity.gpus,
            std::vector<models::Gpu>{gpus_[0]});
  start();
}

TEST(PluginsTest, TheOperatorCanSwitchPluginsOff) {
  executor::NoopExecutor noop;
  storage::InlineStorage inline_storage;
  publisher::NoopPublisher noop_publisher;
  Plugins plugins{{&noop}, {&inline_storage}, {&noop_publisher}};
  EXPECT_EQ(plugins.engineNames(), std::vector<std::string>{"noop"});
  plugins.disable({"NOOP"}, {" inline"}, {});
  EXPECT_TRUE(plugins.engineNames().empty());
  EXPECT_TRUE(plugins.storageNames().empty());
  EXPECT_EQ(plugins.publisherNames(), std::vector<std::string>{"noop"});
  models::Task task;
  task.engine.type = "noop";
  EXPECT_EQ(plugins.refusal(task), "engine \"noop\" is not installed on this node");
}

}  // namespace
}  // namespace cod::compute
