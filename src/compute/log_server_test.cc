// The compute node's log server: against log files written as executors write them, and through a
// compute node whose (fake) executor writes its log on command.

#include "compute/log_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "common/ids.h"
#include "compute/compute_node.h"
#include "executor/execution_log.h"
#include "store/memory/memory_execution_store.h"

namespace cod::compute {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using transport::LogStreamEntry;

// What a stream's writer was given; write() can be made to stall, as a reader that stopped
// acknowledging would make it.
struct StreamRecord {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<LogStreamEntry> entries;
  std::optional<Status> end;
  bool stalled = false;
  bool cancelled = false;
  int writes = 0;
  int keepalives = 0;  // a following stream calls it each time it found nothing new

  bool waitForEntries(size_t n, std::chrono::milliseconds deadline = 10s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, deadline, [&] { return entries.size() >= n; });
  }
  std::optional<Status> waitForEnd(std::chrono::milliseconds deadline = 10s) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, deadline, [&] { return end.has_value(); });
    return end;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back((e.type == 2 ? "E:" : "O:") + e.data);
    return out;
  }
  void setStalled(bool s) {
    {
      std::lock_guard lock(mu);
      stalled = s;
    }
    cv.notify_all();
  }
};

class RecordingWriter final : public transport::LogStreamWriter {
 public:
  explicit RecordingWriter(std::shared_ptr<StreamRecord> r) : r_(std::move(r)) {}
  Status write(std::vector<LogStreamEntry> entries) override {
    std::unique_lock lock(r_->mu);
    ++r_->writes;
    r_->cv.notify_all();
    if (!r_->cv.wait_for(lock, 10s, [&] { return !r_->stalled; })) {
      return deadlineExceeded("stalled");
    }
    for (auto& e : entries) r_->entries.push_back(std::move(e));
    r_->cv.notify_all();
    return Status::ok();
  }
  Status keepalive() override {
    std::lock_guard lock(r_->mu);
    ++r_->keepalives;
    r_->cv.notify_all();
    return Status::ok();
  }
  bool cancelled() override {
    std::lock_guard lock(r_->mu);
    return r_->cancelled;
  }
  void end(Status status) override {
    std::lock_guard lock(r_->mu);
    if (!r_->end) r_->end = std::move(status);
    r_->cv.notify_all();
  }

 private:
  std::shared_ptr<StreamRecord> r_;
};

class LogServerTest : public ::testing::Test {
 protected:
  // What the node would answer for an execution's phase: what the test set, else unknown.
  auto phaseLookup() {
    return [this](const std::string& id) {
      std::lock_guard lock(mu_);
      auto it = phases_.find(id);
      return it == phases_.end() ? ExecutionPhase::kUnknown : it->second;
    };
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-log-server-test-" + newUuid());
    fs::create_directories(dir_);
    LogServerConfig config;
    config.max_streams = 3;
    config.poll_interval = 5ms;
    config.unknown_grace = 50ms;  // 10 polls
    config.retention = 1h;
    server_ = std::make_unique<LogServer>("n-test", dir_.string(), phaseLookup(), config);
  }
  void TearDown() override {
    server_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void setPhase(const std::string& id, ExecutionPhase phase) {
    std::lock_guard lock(mu_);
    phases_[id] = phase;
  }
  std::shared_ptr<executor::ExecutionLogWriter> newLog(const std::string& id) {
    setPhase(id, ExecutionPhase::kRunning);
    auto w = executor::ExecutionLogWriter::create(executor::executionLogPath(dir_.string(), id));
    EXPECT_TRUE(w.isOk());
    return *w;
  }
  std::shared_ptr<StreamRecord> serve(const std::string& id, bool tail, bool follow) {
    auto record = std::make_shared<StreamRecord>();
    server_->serve({id, tail, follow}, std::make_unique<RecordingWriter>(record));
    return record;
  }

  fs::path dir_;
  std::mutex mu_;
  std::map<std::string, ExecutionPhase> phases_;
  std::unique_ptr<LogServer> server_;
};

TEST_F(LogServerTest, ACompletedLogIsSentWholeInOrderThenEnds) {
  auto log = newLog("e-done");
  log->write(executor::LogStream::kStdout, "one\n");
  log->write(executor::LogStream::kStderr, "two\n");
  log->write(executor::LogStream::kStdout, "three\n");
  log->close();
  setPhase("e-done", ExecutionPhase::kEnded);
  for (bool follow : {false, true}) {
    auto s = serve("e-done", false, follow);
    auto end = s->waitForEnd();
    ASSERT_TRUE(end.has_value());
    EXPECT_TRUE(end->isOk()) << end->toString();
    EXPECT_EQ(s->lines(), (std::vector<std::string>{"O:one\n", "E:two\n", "O:three\n"}));
  }
}

TEST_F(LogServerTest, FollowStreamsWhatARunningExecutionWritesUntilItsLogEnds) {
  auto log = newLog("e-run");
  log->write(executor::LogStream::kStdout, "early\n");
  auto s = serve("e-run", false, true);
  ASSERT_TRUE(s->waitForEntries(1));
  log->write(executor::LogStream::kStderr, "later\n");
  ASSERT_TRUE(s->waitForEntries(2));
  EXPECT_FALSE(s->waitForEnd(50ms).has_value()) << "still running: the stream stays open";
  log->close();
  auto end = s->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk());
  EXPECT_EQ(s->lines(), (std::vector<std::string>{"O:early\n", "E:later\n"}));
}

TEST_F(LogServerTest, WithoutFollowARunningLogEndsAfterWhatIsWrittenSoFar) {
  auto log = newLog("e-run");
  log->write(executor::LogStream::kStdout, "so far\n");
  auto s = serve("e-run", false, false);
  auto end = s->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk());
  EXPECT_EQ(s->lines(), (std::vector<std::string>{"O:so far\n"}));
}

TEST_F(LogServerTest, TailStartsFromTheEndOfWhatIsWritten) {
  auto log = newLog("e-run");
  log->write(executor::LogStream::kStdout, "old\n");
  auto s = serve("e-run", true, true);
  // Once the stream polls for more, it has skipped what was there.
  {
    std::unique_lock lock(s->mu);
    ASSERT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->keepalives > 0; }));
  }
  log->write(executor::LogStream::kStdout, "new\n");
  log->close();
  auto end = s->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(s->lines(), (std::vector<std::string>{"O:new\n"}));
}

TEST_F(LogServerTest, UnknownExecutionsAndLostLogsEndWithNotFound) {
  auto unknown = serve("e-nobody", false, true);
  auto end = unknown->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
  EXPECT_EQ(end->message(), "unable to find execution e-nobody on node n-test");
  setPhase("e-gone", ExecutionPhase::kEnded);
  auto gone = serve("e-gone", false, false);
  end = gone->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
  EXPECT_EQ(end->message(),
            "execution e-gone has no log on node n-test (it never ran, or its log was removed)");
  auto hostile = serve("../../etc/passwd", false, false);
  end = hostile->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kInvalidArgument);
}

// The orchestrator may ask for the log of an execution it has just given to this node before the
// node has heard of it: a following stream waits for it, for a grace of 10 polls, and without
// Follow it is not found at once.
TEST_F(LogServerTest, FollowingAnExecutionTheNodeHearsOfLateStreamsIt) {
  auto s = serve("e-late", false, true);
  {
    std::unique_lock lock(s->mu);
    ASSERT_TRUE(s->cv.wait_for(lock, 10s, [&] { return s->keepalives >= 3; }));
    EXPECT_FALSE(s->end.has_value());
  }
  setPhase("e-late", ExecutionPhase::kPending);
  auto log = newLog("e-late");
  log->write(executor::LogStream::kStdout, "late\n");
  log->close();
  auto end = s->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk()) << end->toString();
  EXPECT_EQ(s->lines(), (std::vector<std::string>{"O:late\n"}));

  auto once = serve("e-later", false, false);
  end = once->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
  std::lock_guard lock(once->mu);
  EXPECT_EQ(once->keepalives, 0);
}

TEST_F(LogServerTest, UnknownExecutionsAreWaitedForOnlyForTheGrace) {
  auto s = serve("e-never", false, true);
  auto end = s->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
  std::lock_guard lock(s->mu);
  EXPECT_EQ(s->keepalives, 10);
}

TEST_F(LogServerTest, FollowingAPendingExecutionWaitsForItsLog) {
  setPhase("e-queued", ExecutionPhase::kPending);
  auto s = serve("e-queued", false, true);
  EXPECT_FALSE(s->waitForEnd(50ms).has_value());
  auto log = newLog("e-queued");
  log->write(executor::LogStream::kStdout, "started\n");
  ASSERT_TRUE(s->waitForEntries(1));
  log->close();
  EXPECT_TRUE(s->waitForEnd().has_value());
}

TEST_F(LogServerTest, ALogWithoutItsEndWhoseRunIsOverEnds) {
  // The node died while the execution ran: the log has no end record.
  auto log = newLog("e-crashed");
  log->write(executor::LogStream::kStdout, "last words\n");
  setPhase("e-crashed", ExecutionPhase::kEnded);
  auto s = serve("e-crashed", false, true);
  auto end = s->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk());
  EXPECT_EQ(s->lines(), (std::vector<std::string>{"O:last words\n"}));
}

TEST_F(LogServerTest, AStalledReaderHoldsUpNeitherTheExecutorNorOtherStreams) {
  auto log = newLog("e-run");
  log->write(executor::LogStream::kStdout, "first\n");
  auto stalled = serve("e-run", false, true);
  stalled->setStalled(true);
  {
    std::unique_lock lock(stalled->mu);
    ASSERT_TRUE(stalled->cv.wait_for(lock, 10s, [&] { return stalled->writes > 0; }));
  }
  // The executor keeps writing, and another reader gets everything.
  for (int i = 0; i < 1000; ++i) log->write(executor::LogStream::kStdout, "more\n");
  log->close();
  auto other = serve("e-run", false, true);
  ASSERT_TRUE(other->waitForEnd().has_value());
  EXPECT_EQ(other->lines().size(), 1001u);
  stalled->setStalled(false);
  ASSERT_TRUE(stalled->waitForEnd().has_value());
  EXPECT_EQ(stalled->lines().size(), 1001u);
}

TEST_F(LogServerTest, StreamsBeyondTheLimitAreRefused) {
  setPhase("e-queued", ExecutionPhase::kPending);
  std::vector<std::shared_ptr<StreamRecord>> open;
  for (int i = 0; i < 3; ++i) open.push_back(serve("e-queued", false, true));
  auto refused = serve("e-queued", false, true);
  auto end = refused->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kResourceExhausted);
  server_->stop();
  for (auto& s : open) {
    auto stopped = s->waitForEnd();
    ASSERT_TRUE(stopped.has_value());
    EXPECT_EQ(stopped->code(), StatusCode::kUnavailable);
  }
}

TEST_F(LogServerTest, AServerDestroyedAsItsStreamsEndIsNotTouchedAfterwards) {
  // Each stream thread's last act used to be a notify after unlocking: a stop() that saw the
  // count reach 0 early let the server go under it (an ASan/TSan build reports that here).
  for (int round = 0; round < 20; ++round) {
    LogServerConfig config;
    config.max_streams = 8;
    config.poll_interval = 1ms;
    auto server = std::make_unique<LogServer>(
        "n-test", dir_.string(), [](const std::string&) { return ExecutionPhase::kPending; },
        config);
    std::vector<std::shared_ptr<StreamRecord>> open;
    for (int i = 0; i < 8; ++i) {
      auto record = std::make_shared<StreamRecord>();
      server->serve({"e-pending", false, true}, std::make_unique<RecordingWriter>(record));
      open.push_back(record);
    }
    server.reset();
    for (auto& s : open) {
      auto end = s->waitForEnd();
      ASSERT_TRUE(end.has_value());
      EXPECT_EQ(end->code(), StatusCode::kUnavailable);
    }
  }
}

TEST_F(LogServerTest, TheJanitorRemovesExpiredLogsButNotThoseOfRunningExecutions) {
  auto old_done = newLog("e-old-done");
  old_done->close();
  setPhase("e-old-done", ExecutionPhase::kEnded);
  auto old_running = newLog("e-old-running");
  auto fresh = newLog("e-fresh");
  fresh->close();
  setPhase("e-fresh", ExecutionPhase::kEnded);
  auto past = fs::file_time_type::clock::now() - 2h;
  fs::last_write_time(executor::executionLogPath(dir_.string(), "e-old-done"), past);
  fs::last_write_time(executor::executionLogPath(dir_.string(), "e-old-running"), past);
  EXPECT_EQ(server_->sweep(), 1);
  EXPECT_FALSE(fs::exists(executor::executionLogPath(dir_.string(), "e-old-done")));
  EXPECT_TRUE(fs::exists(executor::executionLogPath(dir_.string(), "e-old-running")));
  EXPECT_TRUE(fs::exists(executor::executionLogPath(dir_.string(), "e-fresh")));
}

TEST_F(LogServerTest, TheJanitorKeepsTheFolderUnderItsCapRemovingTheOldestFinishedLogsFirst) {
  LogServerConfig config;
  config.retention = 1h;
  config.max_total_bytes = 3000;
  LogServer capped("n-test", dir_.string(), phaseLookup(), config);
  const std::string line(1000, 'x');
  auto now = fs::file_time_type::clock::now();
  // Oldest first: a running one (kept whatever its age), then three finished ones.
  std::vector<std::string> ids = {"e-running", "e-oldest", "e-older", "e-newest"};
  for (size_t i = 0; i < ids.size(); ++i) {
    auto log = newLog(ids[i]);
    log->write(executor::LogStream::kStdout, line);
    if (ids[i] != "e-running") {
      log->close();
      setPhase(ids[i], ExecutionPhase::kEnded);
    }
    fs::last_write_time(executor::executionLogPath(dir_.string(), ids[i]),
                        now - std::chrono::minutes(40 - 10 * static_cast<int>(i)));
  }
  EXPECT_EQ(capped.sweep(), 2);
  EXPECT_TRUE(fs::exists(executor::executionLogPath(dir_.string(), "e-running")));
  EXPECT_FALSE(fs::exists(executor::executionLogPath(dir_.string(), "e-oldest")));
  EXPECT_FALSE(fs::exists(executor::executionLogPath(dir_.string(), "e-older")));
  EXPECT_TRUE(fs::exists(executor::executionLogPath(dir_.string(), "e-newest")));
}

// ---- through a compute node ----

// Accepts the handshake; everything else is not needed here.
class QuietTransport final : public transport::ComputeTransport {
 public:
  Status start(const std::string&, transport::ComputeHandler* handler) override {
    handler_ = handler;
    return Status::ok();
  }
  void stop() override {}
  Result<transport::HandshakeResponse> handshake(const transport::HandshakeRequest&) override {
    return transport::HandshakeResponse{true, "", {}};
  }
  Result<transport::HeartbeatResponse> heartbeat(const transport::HeartbeatRequest&) override {
    return transport::HeartbeatResponse{true};
  }
  Result<transport::UpdateNodeInfoResponse> updateNodeInfo(
      const transport::UpdateNodeInfoRequest&) override {
    return transport::UpdateNodeInfoResponse{true, ""};
  }
  Result<transport::ReconcileResponse> reconcile(const transport::ReconcileRequest&) override {
    return transport::ReconcileResponse{};
  }
  Status send(const transport::ToOrchestratorMessage& msg) override {
    std::lock_guard lock(mu_);
    sent_.push_back(msg);
    return Status::ok();
  }
  bool bidAccepted(const std::string& id) {
    std::lock_guard lock(mu_);
    for (const auto& m : sent_) {
      if (const auto* b = std::get_if<transport::BidResult>(&m); b && b->execution_id == id) {
        return b->accepted;
      }
    }
    return false;
  }
  transport::ComputeHandler* handler_ = nullptr;

 private:
  std::mutex mu_;
  std::vector<transport::ToOrchestratorMessage> sent_;
};

// Writes to its execution's log what the test says, and ends when the test says.
class ScriptedExecutor final : public executor::Executor {
 public:
  std::string name() const override { return "noop"; }
  bool isInstalled() override { return true; }
  Status validate(const models::Task&) override { return Status::ok(); }
  bool needsResultsDir() const override { return false; }
  Result<models::RunCommandResult> run(const executor::ExecutionRequest& req,
                                       CancelToken& cancel) override {
    std::unique_lock lock(mu_);
    running_.insert(req.execution_id);
    cv_.notify_all();
    while (true) {
      cv_.wait_for(lock, 10ms, [&] { return !script_.empty() || cancel.cancelled(); });
      if (cancel.cancelled()) return cancelled("cancelled");
      if (script_.empty()) continue;
      std::string line = std::move(script_.front());
      script_.pop_front();
      if (line.empty()) return models::RunCommandResult{};
      req.log->write(executor::LogStream::kStdout, line);
    }
  }
  // A line to write; "" ends the run.
  void say(std::string line) {
    {
      std::lock_guard lock(mu_);
      script_.push_back(std::move(line));
    }
    cv_.notify_all();
  }
  bool waitUntilRunning(const std::string& id) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return running_.count(id) > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> script_;
  std::set<std::string> running_;
};

TEST(ComputeNodeLogsTest, TheNodeServesARunningExecutionsLogLiveAndKeepsItAfterwards) {
  fs::path dir = fs::temp_directory_path() / ("cod-compute-logs-test-" + newUuid());
  QuietTransport transport;
  store::MemoryExecutionStore store;
  ScriptedExecutor executor;
  ComputeConfig config;
  config.node_id = "n-logs";
  config.data_dir = dir.string();
  config.capacity.cpu = 1;
  config.capacity.memory = 1'000'000'000;
  config.heartbeat_interval = 50ms;
  config.reconcile_interval = 1h;
  Plugins plugins{{&executor}, {}, {}};
  ComputeNode node(ComputeDeps{&transport, &store, plugins, &SystemClock::instance(), nullptr},
                   config);
  ASSERT_TRUE(node.start().isOk());

  auto job = std::make_shared<models::Job>();
  job->id = "j-" + newUuid();
  job->type = "batch";
  job->count = 1;
  models::Task t;
  t.name = "main";
  t.engine.type = "noop";
  t.resources.cpu = "1";
  t.resources.memory = "100mb";
  job->tasks.push_back(t);
  models::Execution e;
  e.id = newExecutionId();
  e.job_id = job->id;
  e.node_id = "n-logs";
  e.job = job;
  node.onMessage(transport::AskForBid{e, false});
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!transport.bidAccepted(e.id) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(transport.bidAccepted(e.id));
  node.onMessage(transport::BidAccepted{e.id, job->id});
  ASSERT_TRUE(executor.waitUntilRunning(e.id));

  executor.say("hello\n");
  auto live = std::make_shared<StreamRecord>();
  node.onLogStream({e.id, false, true}, std::make_unique<RecordingWriter>(live));
  ASSERT_TRUE(live->waitForEntries(1));
  executor.say("world\n");
  ASSERT_TRUE(live->waitForEntries(2));
  EXPECT_FALSE(live->waitForEnd(50ms).has_value()) << "the execution still runs";
  executor.say("");  // the run ends
  auto end = live->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk()) << end->toString();
  EXPECT_EQ(live->lines(), (std::vector<std::string>{"O:hello\n", "O:world\n"}));

  // Completed: the result folder is gone, the log is not.
  auto after = std::make_shared<StreamRecord>();
  node.onLogStream({e.id, false, false}, std::make_unique<RecordingWriter>(after));
  ASSERT_TRUE(after->waitForEnd().has_value());
  EXPECT_EQ(after->lines(), live->lines());

  auto unknown = std::make_shared<StreamRecord>();
  // Without Follow: a following stream would wait its grace for the node to hear of it.
  node.onLogStream({"e-unknown", false, false}, std::make_unique<RecordingWriter>(unknown));
  end = unknown->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
  node.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace cod::compute
