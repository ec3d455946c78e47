// The orchestrator and compute nodes together, in one process: the life of a job end to end
// through the real broker, scheduler, planner, store and compute node, minus HTTP and NATS.

#include <algorithm>
#include <set>

#include "tests/integration/cluster_fixture.h"

namespace cod::testing {
namespace {

using models::ExecutionStateType;
using models::JobStateType;

std::string submit(InprocCluster& c, models::Job job) {
  orchestrator::SubmitJobRequest req;
  req.job = std::move(job);
  auto resp = c.orchestrator().jobs().submit(std::move(req));
  EXPECT_TRUE(resp.isOk()) << resp.status().toString();
  return resp.isOk() ? resp->job_id : "";
}

TEST(OrchestratorFlow, CountThreeCompletesOnThreeNodes) {
  InprocCluster c(3);
  std::string id = submit(c, noopJob(3, {{"Stdout", "hi\n"}}));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted))
      << models::jobStateName(c.jobState(id));
  auto execs = c.executions(id);
  ASSERT_EQ(execs.size(), 3u);
  std::set<std::string> nodes;
  for (const auto& e : execs) {
    EXPECT_EQ(e.compute_state.state_type, ExecutionStateType::kCompleted);
    EXPECT_EQ(e.run_output.stdout_text, "hi\n");
    nodes.insert(e.node_id);
  }
  EXPECT_EQ(nodes.size(), 3u);
  store::HistoryQuery hq;
  hq.job_id = id;
  auto history = c.store().getHistory(hq);
  ASSERT_TRUE(history.isOk());
  std::vector<std::string> messages;
  for (const auto& h : history->items) messages.push_back(h.event.message);
  EXPECT_EQ(messages.front(), "Job submitted");
  EXPECT_EQ(messages.back(), "Completed");
}

TEST(OrchestratorFlow, ExitCodeIsACompletedExecution) {
  InprocCluster c(1);
  std::string id = submit(c, noopJob(1, {{"ExitCode", 3}}));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted));
  auto execs = c.executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].run_output.exit_code, 3);
}

TEST(OrchestratorFlow, NonRetryableErrorFailsTheJobWithTheReason) {
  InprocCluster c(2);
  std::string id = submit(c, noopJob(1, {{"Error", "boom: bad input"}, {"Retryable", false}}));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kFailed));
  auto job = c.store().getJob(id);
  EXPECT_NE(job->state.message.find("boom: bad input"), std::string::npos) << job->state.message;
  EXPECT_EQ(c.executions(id).size(), 1u) << "a non-retryable failure is not retried";
}

TEST(OrchestratorFlow, UnknownEngineFailsToPlaceWithTheReason) {
  InprocCluster c(1);
  auto job = noopJob(1);
  job.task().engine.type = "flibble";
  std::string id = submit(c, job);
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kFailed));
  auto stored = c.store().getJob(id);
  EXPECT_NE(stored->state.message.find("does not support engine \"flibble\""), std::string::npos)
      << stored->state.message;
}

TEST(OrchestratorFlow, StopCancelsRunningExecutions) {
  InprocCluster c(2);
  std::string id = submit(c, noopJob(2, {{"Delay", "60s"}}));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kRunning));
  ASSERT_TRUE(waitFor([&] {
    auto execs = c.executions(id);
    return execs.size() == 2 &&
           execs[0].compute_state.state_type == ExecutionStateType::kBidAccepted &&
           execs[1].compute_state.state_type == ExecutionStateType::kBidAccepted;
  }));
  auto stopped = c.orchestrator().jobs().stop(id, "", "enough");
  ASSERT_TRUE(stopped.isOk()) << stopped.status().toString();
  EXPECT_EQ(c.jobState(id), JobStateType::kStopped);
  ASSERT_TRUE(waitFor([&] {
    for (const auto& e : c.executions(id)) {
      if (e.compute_state.state_type != ExecutionStateType::kCancelled) return false;
    }
    return true;
  }));
  // The compute nodes stop the runs too: nothing stays reserved.
  ASSERT_TRUE(waitFor([&] {
    return c.compute(0).node->nodeInfo().compute_node_info.running_executions == 0 &&
           c.compute(1).node->nodeInfo().compute_node_info.running_executions == 0;
  }));
  // Stopping again is a no-op; stopping a completed job is a conflict.
  auto again = c.orchestrator().jobs().stop(id, "", "");
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(*again, "");
}

TEST(OrchestratorFlow, LostNodeWorkIsRescheduledElsewhere) {
  InprocCluster c(2);
  std::string id = submit(c, noopJob(1, {{"Delay", "1500ms"}}));
  std::string first_node;
  ASSERT_TRUE(waitFor([&] {
    auto execs = c.executions(id);
    if (execs.empty() || execs[0].compute_state.state_type != ExecutionStateType::kBidAccepted) {
      return false;
    }
    first_node = execs[0].node_id;
    return true;
  }));
  c.killCompute(first_node == "n-compute-0" ? 0 : 1);
  // Past the 1 s disconnect timeout and the heartbeat check that runs each second after it; the
  // survivor keeps heartbeating all along.
  c.advance(std::chrono::milliseconds(2500));
  ASSERT_FALSE(c.orchestrator().nodes().isConnected(first_node));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted, std::chrono::seconds(15)));
  auto execs = c.executions(id);
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].compute_state.state_type, ExecutionStateType::kFailed);
  EXPECT_EQ(execs[0].compute_state.message, "node has disappeared");
  EXPECT_EQ(execs[1].compute_state.state_type, ExecutionStateType::kCompleted);
  EXPECT_NE(execs[1].node_id, first_node);
}

TEST(OrchestratorFlow, RestartedNodeReportsLostWorkAtOnce) {
  auto config = InprocCluster::defaultConfig();
  config.nodes.disconnect_timeout = std::chrono::seconds(60);  // not what finds the loss
  InprocCluster c(1, config);
  std::string id = submit(c, noopJob(1, {{"Delay", "1500ms"}}));
  ASSERT_TRUE(waitFor([&] {
    auto execs = c.executions(id);
    return !execs.empty() && execs[0].compute_state.state_type == ExecutionStateType::kBidAccepted;
  }));
  // The node dies and comes back a second later with the same ID and none of its state.
  c.killCompute(0);
  c.advance(std::chrono::seconds(1));
  c.addCompute("n-compute-0");
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted, std::chrono::seconds(10)));
  auto execs = c.executions(id);
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].compute_state.state_type, ExecutionStateType::kFailed);
  EXPECT_NE(execs[0].compute_state.message.find("no longer has this execution"), std::string::npos);
}

TEST(OrchestratorFlow, RetryableFailureIsRetriedElsewhereAfterTheBackoff) {
  InprocCluster c(2);
  auto job = noopJob(1, {{"Error", "flaky"}});
  job.meta["cod.retry.limit"] = "1";
  std::string id = submit(c, job);
  auto history_has = [&](const std::string& text) {
    store::HistoryQuery hq;
    hq.job_id = id;
    auto history = c.store().getHistory(hq);
    if (!history.isOk()) return false;
    return std::any_of(history->items.begin(), history->items.end(), [&](const auto& h) {
      return h.event.message.find(text) != std::string::npos;
    });
  };
  // The scheduler saw the failure and set the retry ~1 s (± 20 %) out.
  ASSERT_TRUE(waitFor([&] { return history_has("Retry 1 of 1 in "); }));
  ASSERT_EQ(c.executions(id).size(), 1u);
  c.advance(std::chrono::milliseconds(700));
  EXPECT_EQ(c.executions(id).size(), 1u) << "retried before its backoff";
  c.advance(std::chrono::milliseconds(600));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kFailed));
  auto execs = c.executions(id);
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_NE(execs[1].node_id, execs[0].node_id);
  auto stored = c.store().getJob(id);
  EXPECT_NE(stored->state.message.find("after 1 retry"), std::string::npos)
      << stored->state.message;
  EXPECT_NE(stored->state.message.find("flaky"), std::string::npos) << stored->state.message;
}

TEST(OrchestratorFlow, QueuedJobRunsWhenANodeJoins) {
  InprocCluster c(0);
  auto job = noopJob(1);
  job.task().timeouts.queue_timeout = 30;
  std::string id = submit(c, job);
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kQueued));
  c.addCompute("n-late");
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted));
}

// Only housekeeping times out a running job (a queued one is re-checked by its own follow-ups),
// and it reads the unfinished jobs a page (256) at a time: every job of a larger backlog is timed
// out, not only the first page's.
TEST(OrchestratorFlow, EveryRunningJobPastItsTimeoutFailsWhateverTheBacklog) {
  InprocCluster c(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    auto job = noopJob(1, {{"Delay", "1h"}});
    job.task().resources.cpu = "1m";
    job.task().resources.memory = "1Mi";
    job.task().timeouts.total_timeout = 60;
    ids.push_back(submit(c, job));
  }
  for (const auto& id : ids) ASSERT_TRUE(c.waitForJobState(id, JobStateType::kRunning)) << id;
  c.advance(std::chrono::seconds(30));
  EXPECT_EQ(c.jobState(ids.back()), JobStateType::kRunning) << "not yet past its timeout";
  // Housekeeping runs every 10 s, so the timeout is found at the first pass past it.
  c.advance(std::chrono::seconds(45));
  for (const auto& id : ids) {
    ASSERT_TRUE(c.waitForJobState(id, JobStateType::kFailed, std::chrono::seconds(30))) << id;
  }
  auto job = c.store().getJob(ids.back());
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->state.message, "Job timed out. Job took longer than 1m0s");
}

TEST(OrchestratorFlow, LostMessagesAreRepairedByReconciliation) {
  InprocCluster c(1);
  // Every message to and from the node is dropped for a while: the AskForBid never arrives.
  c.setPartitioned("n-compute-0", true);
  std::string id = submit(c, noopJob(1));
  ASSERT_TRUE(waitFor([&] { return c.executions(id).size() == 1; }));
  c.setPartitioned("n-compute-0", false);
  // Reconciliation (every 500 ms) notices the execution the node never heard of once it is older
  // than the orchestrator's 5 s grace for reports that crossed a message, and asks again.
  c.advance(std::chrono::milliseconds(5500));
  ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted, std::chrono::seconds(15)));
}

// Job retention: a job that ended longer ago than the retention goes, with its executions and
// history; one still running, or that ended since, stays.
TEST(OrchestratorFlow, FinishedJobsAreRemovedOnceTheirRetentionIsUp) {
  auto config = InprocCluster::defaultConfig();
  config.job_retention = std::chrono::seconds(2);
  InprocCluster c(1, config);
  models::Job named = noopJob(1);
  named.name = "nightly";
  std::string old_done = submit(c, named);
  ASSERT_TRUE(c.waitForJobState(old_done, JobStateType::kCompleted));
  std::string running = submit(c, noopJob(1, {{"Delay", "60s"}}));
  ASSERT_TRUE(c.waitForJobState(running, JobStateType::kRunning));

  c.advance(std::chrono::milliseconds(1500));
  std::string recent = submit(c, noopJob(1));
  ASSERT_TRUE(c.waitForJobState(recent, JobStateType::kCompleted));
  EXPECT_EQ(c.jobState(old_done), JobStateType::kCompleted) << "not yet past the retention";

  c.advance(std::chrono::milliseconds(1500));
  ASSERT_TRUE(waitFor([&] { return c.jobState(old_done) == JobStateType::kUndefined; }));
  EXPECT_TRUE(c.executions(old_done).empty());
  store::HistoryQuery hq;
  hq.job_id = old_done;
  EXPECT_EQ(c.store().getHistory(hq).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.jobState(running), JobStateType::kRunning);
  EXPECT_EQ(c.jobState(recent), JobStateType::kCompleted);
  // The name is free for a new job.
  std::string again = submit(c, named);
  EXPECT_NE(again, old_done);
  ASSERT_TRUE(c.waitForJobState(again, JobStateType::kCompleted));
}

TEST(OrchestratorFlow, ManyJobsAllComplete) {
  InprocCluster c(3);
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(submit(c, noopJob(1)));
  for (const auto& id : ids) {
    ASSERT_TRUE(c.waitForJobState(id, JobStateType::kCompleted)) << id;
  }
}

}  // namespace
}  // namespace cod::testing
