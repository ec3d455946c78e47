// Execution logs end to end in one process: the orchestrator's LogSource resolves the job, picks
// the execution, and streams its log from the compute node that holds it (noop engine, which
// writes its output before its delay, so a delayed job has a log while it runs).

#include <optional>

#include "tests/integration/cluster_fixture.h"

namespace cod::testing {
namespace {

using models::JobStateType;
using orchestrator::LogEntry;
using orchestrator::LogRequest;
using orchestrator::LogStreamType;

class RecordingSink final : public orchestrator::LogSink {
 public:
  void onEntries(std::vector<LogEntry> entries) override {
    std::lock_guard lock(mu_);
    for (auto& e : entries) entries_.push_back(std::move(e));
    cv_.notify_all();
  }
  void onEnd(Status status) override {
    std::lock_guard lock(mu_);
    EXPECT_FALSE(end_.has_value()) << "onEnd twice";
    end_ = std::move(status);
    cv_.notify_all();
  }
  std::optional<Status> waitForEnd(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return end_.has_value(); });
    return end_;
  }
  bool waitForEntries(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return entries_.size() >= n; });
  }
  // "O:line" / "E:line".
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : entries_) {
      out.push_back((e.type == LogStreamType::kStderr ? "E:" : "O:") + e.line);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LogEntry> entries_;
  std::optional<Status> end_;
};

std::string submit(InprocCluster& c, models::Job job) {
  orchestrator::SubmitJobRequest req;
  req.job = std::move(job);
  auto resp = c.orchestrator().jobs().submit(std::move(req));
  EXPECT_TRUE(resp.isOk()) << resp.status().toString();
  return resp.isOk() ? resp->job_id : "";
}

// Waits until the job's one execution runs on its node (and so has a log).
bool waitUntilRunningOnItsNode(InprocCluster& c, const std::string& job_id) {
  return waitFor([&] {
    return c.compute(0).node->nodeInfo().compute_node_info.running_executions == 1 &&
           !c.executions(job_id).empty();
  });
}

TEST(Logs, ARunningJobsLogIsFollowedUntilItsExecutionEnds) {
  InprocCluster c(1);
  std::string id =
      submit(c, noopJob(1, {{"Delay", "60s"}, {"Stdout", "hello\nworld\n"}, {"Stderr", "warn\n"}}));
  ASSERT_TRUE(waitUntilRunningOnItsNode(c, id));

  auto followed = std::make_shared<RecordingSink>();
  auto sub = c.orchestrator().logs()->open({id, "", "", 0, true, false}, followed);
  ASSERT_TRUE(followed->waitForEntries(3));
  EXPECT_EQ(followed->lines(), (std::vector<std::string>{"O:hello\n", "O:world\n", "E:warn\n"}));
  EXPECT_FALSE(followed->waitForEnd(std::chrono::milliseconds(100)).has_value())
      << "the execution still runs: the stream stays open";

  // Without follow: what is written so far, then the end, though the job still runs. With tail:
  // only what comes next (nothing, here), until the execution ends.
  auto snapshot = std::make_shared<RecordingSink>();
  auto sub2 = c.orchestrator().logs()->open({id.substr(0, 10), "", "", 0, false, false}, snapshot);
  auto end = snapshot->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk()) << end->toString();
  EXPECT_EQ(snapshot->lines().size(), 3u) << "a job ID prefix works as elsewhere";
  auto tailed = std::make_shared<RecordingSink>();
  auto sub3 = c.orchestrator().logs()->open({id, "", "", 0, true, true}, tailed);

  ASSERT_TRUE(c.orchestrator().jobs().stop(id, "", "enough").isOk());
  end = followed->waitForEnd();
  ASSERT_TRUE(end.has_value()) << "the stream ends when the execution does";
  EXPECT_TRUE(end->isOk()) << end->toString();
  EXPECT_EQ(followed->lines().size(), 3u);
  end = tailed->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->isOk()) << end->toString();
  EXPECT_TRUE(tailed->lines().empty());
}

TEST(Logs, ACompletedJobsLogIsReadWhole) {
  InprocCluster c(1);
  std::string id = submit(c, noopJob(1, {{"Stdout", "done\n"}, {"Stderr", "note\n"}}));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted));
  auto execs = c.executions(id);
  ASSERT_EQ(execs.size(), 1u);
  for (bool follow : {false, true}) {
    auto sink = std::make_shared<RecordingSink>();
    auto sub = c.orchestrator().logs()->open({id, "", execs[0].id, 0, follow, false}, sink);
    auto end = sink->waitForEnd();
    ASSERT_TRUE(end.has_value());
    EXPECT_TRUE(end->isOk()) << end->toString();
    EXPECT_EQ(sink->lines(), (std::vector<std::string>{"O:done\n", "E:note\n"}));
  }
}

TEST(Logs, ErrorsSayWhatIsMissing) {
  InprocCluster c(1);
  auto unknown_engine = noopJob(1);
  unknown_engine.tasks[0].engine.type = "nosuchengine";
  std::string unplaced = submit(c, unknown_engine);
  ASSERT_TRUE(c.waitForJobState(unplaced, JobStateType::kFailed));
  auto sink = std::make_shared<RecordingSink>();
  auto sub = c.orchestrator().logs()->open({unplaced, "", "", 0, true, false}, sink);
  auto end = sink->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->message(), "no executions found for job " + unplaced);

  std::string done = submit(c, noopJob(1));
  ASSERT_TRUE(c.waitForJobState(done, JobStateType::kCompleted));
  auto wrong = std::make_shared<RecordingSink>();
  auto sub2 = c.orchestrator().logs()->open({done, "", "e-nope", 0, false, false}, wrong);
  end = wrong->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->message(), "unable to find execution e-nope in job " + done);

  auto no_job = std::make_shared<RecordingSink>();
  auto sub3 = c.orchestrator().logs()->open({"j-does-not-exist", "", "", 0, false, false}, no_job);
  end = no_job->waitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), StatusCode::kNotFound);
}

TEST(Logs, CancellingTheSubscriptionStopsCallbacks) {
  InprocCluster c(1);
  std::string id = submit(c, noopJob(1, {{"Delay", "60s"}, {"Stdout", "x\n"}}));
  ASSERT_TRUE(waitUntilRunningOnItsNode(c, id));
  auto sink = std::make_shared<RecordingSink>();
  auto sub = c.orchestrator().logs()->open({id, "", "", 0, true, false}, sink);
  ASSERT_TRUE(sink->waitForEntries(1));
  sub->cancel();
  ASSERT_TRUE(c.orchestrator().jobs().stop(id, "", "enough").isOk());
  EXPECT_FALSE(sink->waitForEnd(std::chrono::milliseconds(300)).has_value());
  // The node's stream is gone too: it serves no stream for it any more.
  EXPECT_TRUE(waitFor(
      [&] { return c.compute(0).node->nodeInfo().compute_node_info.running_executions == 0; }));
}

}  // namespace
}  // namespace cod::testing
