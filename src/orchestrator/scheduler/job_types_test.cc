// The service, ops and daemon schedulers and the retry policy, on a manual clock.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "models/execution_errors.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/scheduler/scheduler_testing.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator {
namespace {

using namespace std::chrono_literals;
using models::ExecutionDesiredStateType;
using models::ExecutionStateType;
using models::JobStateType;
using testing::batchJob;
using testing::computeNode;

models::Job jobOfType(const char* type, int64_t count) {
  models::Job j = batchJob(count);
  j.type = type;
  return j;
}

class JobTypesTest : public ::testing::Test {
 protected:
  Plan run(const models::Job& job, const std::string& trigger = models::kEvalTriggerJobRegister) {
    SchedulerInput in;
    in.eval.id = "ev-" + std::to_string(++evals_);
    in.eval.job_id = job.id;
    in.eval.triggered_by = trigger;
    in.job = job;
    in.nodes = nodes_;
    in.now = clock_.now();
    in.executions = executions_;
    return table_.forType(job.jobType()).process(in);
  }

  // Applies a plan's execution changes (and job state) to the local "store".
  void apply(const Plan& plan, models::Job* job = nullptr) {
    for (const auto& e : plan.new_executions) executions_.push_back(e);
    for (const auto& u : plan.updated_executions) {
      for (auto& e : executions_) {
        if (e.id == u.id) e = u;
      }
    }
    if (job && plan.new_job_state) job->state = *plan.new_job_state;
  }

  // What a compute node's report does to an execution (ExecutionUpdater).
  void report(models::Execution& e, ExecutionStateType state, const std::string& message = "",
              bool retryable = true) {
    e.compute_state = {state, message, {}};
    if (models::isTerminal(state)) e.desired_state.state_type = ExecutionDesiredStateType::kStopped;
    e.retryable = state == ExecutionStateType::kFailed && retryable;
    e.modify_time = toUnixNanos(clock_.now());
  }

  size_t live() const {
    size_t n = 0;
    for (const auto& e : executions_) n += e.isTerminal() ? 0 : 1;
    return n;
  }

  static bool hasEvent(const Plan& plan, const std::string& prefix) {
    for (const auto& h : plan.events) {
      if (h.event.message.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }

  ManualClock clock_{fromUnixNanos(1'700'000'000'000'000'000)};
  SeededRandom random_{7};
  selection::NodeSelector selector_;
  SchedulerConfig config_;
  SchedulerTable table_{SchedulerDeps{&selector_, &random_, config_}};
  std::vector<models::NodeState> nodes_{computeNode("n-1"), computeNode("n-2"), computeNode("n-3")};
  std::vector<models::Execution> executions_;
  int evals_ = 0;
};

// ---- retries ----

TEST_F(JobTypesTest, ARetryWaitsOutItsBackoffOnAnotherNodeAndIsRecordedOnce) {
  auto job = batchJob(1);
  apply(run(job));
  ASSERT_EQ(executions_.size(), 1u);
  std::string first_node = executions_[0].node_id;
  report(executions_[0], ExecutionStateType::kFailed, "connection reset");

  Plan first = run(job, models::kEvalTriggerExecUpdate);
  EXPECT_TRUE(first.new_executions.empty()) << "retried before its backoff";
  ASSERT_EQ(first.new_evaluations.size(), 1u);
  Duration wait = first.new_evaluations[0].wait_until - clock_.now();
  EXPECT_GE(wait, 800ms);  // 1 s ± 20 %
  EXPECT_LE(wait, 1200ms);
  EXPECT_TRUE(hasEvent(first, "Retry 1 of 3 in ")) << first.events.size();
  EXPECT_TRUE(hasEvent(first, "Retry 1 of 3 in ") &&
              first.events[0].event.message.find("on another node (partition 0 failed: "
                                                 "connection reset)") != std::string::npos)
      << first.events[0].event.message;
  apply(first, &job);

  // Another look before it is due: waits again, says nothing new.
  clock_.advance(wait / 2);
  Plan early = run(job, models::kEvalTriggerExecUpdate);
  EXPECT_TRUE(early.new_executions.empty());
  EXPECT_TRUE(early.events.empty());
  ASSERT_EQ(early.new_evaluations.size(), 1u);
  EXPECT_EQ(early.new_evaluations[0].wait_until, first.new_evaluations[0].wait_until);

  clock_.advance(wait);
  Plan due = run(job, models::kEvalTriggerExecFailure);
  ASSERT_EQ(due.new_executions.size(), 1u);
  EXPECT_NE(due.new_executions[0].node_id, first_node) << "the retry went back to the same node";
}

TEST_F(JobTypesTest, BackoffGrowsAndTheLimitFailsTheJobSayingSo) {
  nodes_.clear();
  for (int i = 0; i < 6; ++i) nodes_.push_back(computeNode("n-" + std::to_string(i)));
  auto job = batchJob(1);
  apply(run(job));
  Duration previous{};
  for (int retry = 1; retry <= 3; ++retry) {
    report(executions_.back(), ExecutionStateType::kFailed, "flaky");
    Plan wait = run(job, models::kEvalTriggerExecUpdate);
    ASSERT_EQ(wait.new_evaluations.size(), 1u) << "retry " << retry;
    Duration d = wait.new_evaluations[0].wait_until - clock_.now();
    EXPECT_GT(d, previous) << "retry " << retry << " did not back off further";
    previous = d;
    EXPECT_TRUE(hasEvent(wait, "Retry " + std::to_string(retry) + " of 3 in "));
    apply(wait, &job);
    clock_.advance(d);
    Plan again = run(job, models::kEvalTriggerExecFailure);
    ASSERT_EQ(again.new_executions.size(), 1u) << "retry " << retry;
    apply(again, &job);
  }
  report(executions_.back(), ExecutionStateType::kFailed, "flaky");
  Plan last = run(job, models::kEvalTriggerExecUpdate);
  ASSERT_TRUE(last.new_job_state);
  EXPECT_EQ(last.new_job_state->state_type, JobStateType::kFailed);
  EXPECT_EQ(last.new_job_state->message,
            "Job failed because an execution failed after 3 retries (partition 0): flaky");
}

TEST_F(JobTypesTest, AnExecutionLostWithItsNodeIsRetriedAtOnce) {
  auto job = batchJob(1);
  apply(run(job));
  std::string lost = executions_[0].node_id;
  for (auto& n : nodes_) {
    if (n.info.node_id == lost) n.connection_state.status = models::kConnectionDisconnected;
  }
  Plan plan = run(job, models::kEvalTriggerNodeLeave);
  ASSERT_EQ(plan.new_executions.size(), 1u);
  EXPECT_NE(plan.new_executions[0].node_id, lost);
  EXPECT_TRUE(
      hasEvent(plan, "Retry now on another node (partition 0 failed: node has disappeared)"));
}

TEST_F(JobTypesTest, NodeLossesDoNotUseUpRetriesAndAHealthyRunResetsAServicesBackoff) {
  auto job = batchJob(1);
  job.meta[kMetaRetryLimit] = "1";
  apply(run(job));
  for (int lost = 0; lost < 3; ++lost) {
    std::string node = executions_.back().node_id;
    executions_.back().compute_state = {ExecutionStateType::kFailed,
                                        "node has disappeared",
                                        {{models::kDetailErrorCode, "Orchestrator:NodeLost"}}};
    executions_.back().retryable = true;
    Plan p = run(job, models::kEvalTriggerNodeLeave);
    ASSERT_FALSE(p.new_job_state) << "node loss " << lost << " failed the job";
    ASSERT_EQ(p.new_executions.size(), 1u);
    apply(p, &job);
  }

  // A service replica that crashes after running for an hour starts again after the first
  // delay, not after a backoff grown by every crash of the past.
  executions_.clear();
  auto svc = jobOfType(models::kJobTypeService, 1);
  apply(run(svc), &svc);
  for (int crash = 0; crash < 6; ++crash) {
    report(executions_.back(), ExecutionStateType::kFailed, "crash");
    Plan wait = run(svc, models::kEvalTriggerExecUpdate);
    ASSERT_EQ(wait.new_evaluations.size(), 1u);
    apply(wait, &svc);
    clock_.advance(wait.new_evaluations[0].wait_until - clock_.now());
    apply(run(svc, models::kEvalTriggerExecFailure), &svc);
  }
  clock_.advance(1h);  // the seventh replica runs for an hour, then crashes
  report(executions_.back(), ExecutionStateType::kFailed, "crash");
  Plan after = run(svc, models::kEvalTriggerExecUpdate);
  ASSERT_EQ(after.new_evaluations.size(), 1u);
  EXPECT_LE(after.new_evaluations[0].wait_until - clock_.now(), 1200ms);
}

// Compute nodes restarted (the crash soak kills them with SIGKILL) while they held the job: each
// restart reports the execution failed with Compute:NodeRestarted. That is the node's doing, so it
// uses up neither the job's retries nor the node, which may lose the job kMaxLostRuns times and
// still get it again; a job lost more often than that on every node (one that takes its node
// down) fails, saying why.
TEST_F(JobTypesTest, RestartsOfItsNodesUseUpNeitherRetriesNorTheNodes) {
  auto job = batchJob(1);
  job.meta[kMetaRetryLimit] = "1";
  apply(run(job), &job);
  const int restarts =
      (selection::PreviousExecutionsRanker::kMaxLostRuns + 1) * static_cast<int>(nodes_.size());
  std::map<std::string, int> placed;
  for (int restart = 1; restart <= restarts; ++restart) {
    placed[executions_.back().node_id]++;
    report(executions_.back(), ExecutionStateType::kFailed,
           "the compute node restarted while the execution was running");
    executions_.back().compute_state.details[models::kDetailErrorCode] =
        models::kErrorNodeRestarted;
    ASSERT_TRUE(models::lostWithNode(executions_.back()));
    Plan p = run(job, models::kEvalTriggerExecUpdate);
    if (restart == restarts) {
      ASSERT_TRUE(p.new_job_state);
      EXPECT_EQ(p.new_job_state->state_type, JobStateType::kFailed);
      EXPECT_NE(p.new_job_state->message.find(
                    "this node went away or restarted while it held this job 4 times"),
                std::string::npos)
          << p.new_job_state->message;
      break;
    }
    ASSERT_FALSE(p.new_job_state) << "restart " << restart
                                  << " failed the job: " << p.new_job_state->message;
    ASSERT_EQ(p.new_executions.size(), 1u) << "restart " << restart;
    apply(p, &job);
  }
  for (const auto& n : nodes_) EXPECT_EQ(placed[n.info.node_id], 4) << n.info.node_id;

  // A failure of the task itself still uses up a retry.
  executions_.clear();
  auto other = batchJob(1);
  other.id = "j-other";
  apply(run(other), &other);
  report(executions_.back(), ExecutionStateType::kFailed, "exit 1");
  EXPECT_FALSE(models::lostWithNode(executions_.back()));
  Plan retry = run(other, models::kEvalTriggerExecUpdate);
  EXPECT_TRUE(hasEvent(retry, "Retry 1 of"))
      << (retry.events.empty() ? "" : retry.events[0].event.message);
}

TEST_F(JobTypesTest, MetaOverridesThePolicyAndABadValueNamesItsKey) {
  auto job = batchJob(1);
  job.meta[kMetaRetryLimit] = "0";
  apply(run(job));
  report(executions_[0], ExecutionStateType::kFailed, "flaky");
  Plan plan = run(job, models::kEvalTriggerExecUpdate);
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->message,
            "Job failed because an execution failed (partition 0): flaky");

  models::Job bad = batchJob(1);
  bad.meta[kMetaRetryDelay] = "soon";
  Status st = validateRetryMeta(bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("Job.Meta[\"cod.retry.delay\"]: \"soon\" is not a duration", 0), 0u)
      << st.message();
  bad.meta = {{kMetaRetryFactor, "0.5"}};
  EXPECT_FALSE(validateRetryMeta(bad).isOk());
  bad.meta = {{kMetaRetryLimit, "unlimited"}, {kMetaRetryDelay, "250ms"}};
  auto p = retryPolicyFor(bad, RetryPolicy{});
  ASSERT_TRUE(p.isOk());
  EXPECT_FALSE(p->limit.has_value());
  EXPECT_EQ(p->first_delay, 250ms);
}

// ---- service ----

TEST_F(JobTypesTest, AServiceReplacesAReplicaThatEndsAndNeverCompletes) {
  auto job = jobOfType(models::kJobTypeService, 2);
  job.task().timeouts.total_timeout = 1;  // services are exempt from timeouts
  apply(run(job), &job);
  ASSERT_EQ(executions_.size(), 2u);
  for (auto& e : executions_) report(e, ExecutionStateType::kAskForBidAccepted);
  apply(run(job, models::kEvalTriggerExecUpdate), &job);
  EXPECT_EQ(job.state.state_type, JobStateType::kRunning);
  clock_.advance(1h);
  EXPECT_FALSE(run(job, models::kEvalTriggerJobTimeout).new_job_state) << "a service timed out";

  // A replica's process ends: the updater records it as Failed, and it is replaced.
  report(executions_[0], ExecutionStateType::kFailed, "execution completed unexpectedly");
  Plan wait = run(job, models::kEvalTriggerExecUpdate);
  EXPECT_FALSE(wait.new_job_state);
  ASSERT_EQ(wait.new_evaluations.size(), 1u);
  EXPECT_TRUE(hasEvent(wait, "Retry 1 in ")) << "a service retries without a limit";
  apply(wait, &job);
  clock_.advance(2s);
  Plan replaced = run(job, models::kEvalTriggerExecFailure);
  ASSERT_EQ(replaced.new_executions.size(), 1u);
  EXPECT_EQ(replaced.new_executions[0].partition_index, executions_[0].partition_index);
  EXPECT_FALSE(replaced.new_job_state);
}

TEST_F(JobTypesTest, AServiceUpdateRollsReplicasOverOnlyAsNewOnesRun) {
  auto job = jobOfType(models::kJobTypeService, 2);
  apply(run(job), &job);
  for (auto& e : executions_) report(e, ExecutionStateType::kAskForBidAccepted);
  apply(run(job, models::kEvalTriggerExecUpdate), &job);
  ASSERT_EQ(live(), 2u);

  job.version = 2;
  Plan update = run(job, models::kEvalTriggerJobUpdate);
  EXPECT_EQ(update.new_executions.size(), 2u);
  for (const auto& u : update.updated_executions) {
    EXPECT_NE(u.compute_state.state_type, ExecutionStateType::kCancelled)
        << "an old replica stopped before a new one ran";
  }
  apply(update, &job);
  // One new replica runs: exactly one old one may stop.
  for (auto& e : executions_) {
    if (e.job_version == 2) {
      report(e, ExecutionStateType::kAskForBidAccepted);
      break;
    }
  }
  Plan one = run(job, models::kEvalTriggerExecUpdate);
  apply(one, &job);
  size_t old_live = 0;
  for (const auto& e : executions_) old_live += (e.job_version == 1 && !e.isTerminal()) ? 1 : 0;
  EXPECT_EQ(old_live, 1u);
  for (auto& e : executions_) {
    if (e.job_version == 2 && e.compute_state.state_type == ExecutionStateType::kNew) {
      report(e, ExecutionStateType::kAskForBidAccepted);
    }
  }
  apply(run(job, models::kEvalTriggerExecUpdate), &job);
  old_live = 0;
  for (const auto& e : executions_) old_live += (e.job_version == 1 && !e.isTerminal()) ? 1 : 0;
  EXPECT_EQ(old_live, 0u);
  EXPECT_EQ(live(), 2u);
}

// ---- ops ----

TEST_F(JobTypesTest, AnOpsJobRunsOnceOnEveryMatchingNodeWithoutApproval) {
  auto job = jobOfType(models::kJobTypeOps, 0);
  Plan plan = run(job);
  ASSERT_EQ(plan.new_executions.size(), 3u);
  std::set<std::string> nodes;
  for (const auto& e : plan.new_executions) {
    nodes.insert(e.node_id);
    EXPECT_EQ(e.desired_state.state_type, ExecutionDesiredStateType::kRunning);
  }
  EXPECT_EQ(nodes.size(), 3u);
  for (const auto& [node, msg] : plan.messages) {
    ASSERT_TRUE(std::holds_alternative<transport::AskForBid>(msg));
    EXPECT_TRUE(std::get<transport::AskForBid>(msg).run_directly);
  }
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kRunning);
  apply(plan, &job);

  // A node joining later gets nothing: ops is one action on the nodes there were.
  clock_.advance(1s);
  nodes_.push_back(computeNode("n-4"));
  nodes_.back().connection_state.connected_since = clock_.now();
  EXPECT_TRUE(run(job, models::kEvalTriggerNodeJoin).new_executions.empty());

  for (size_t i = 0; i < executions_.size(); ++i) {
    report(executions_[i], ExecutionStateType::kCompleted);
    Plan p = run(job, models::kEvalTriggerExecUpdate);
    if (i + 1 < executions_.size()) {
      EXPECT_FALSE(p.new_job_state) << "completed with executions still running";
    } else {
      ASSERT_TRUE(p.new_job_state);
      EXPECT_EQ(p.new_job_state->state_type, JobStateType::kCompleted);
    }
  }
}

// More nodes than one evaluation places: the rest are placed by whatever evaluation comes next
// (the exec-limit follow-up may be superseded by a bid result's).
TEST_F(JobTypesTest, AnOpsJobOnManyNodesPlacesThemAllWhateverTheTrigger) {
  nodes_.clear();
  for (int i = 0; i < 45; ++i) nodes_.push_back(computeNode("n-" + std::to_string(100 + i)));
  auto job = jobOfType(models::kJobTypeOps, 0);
  Plan first = run(job);
  EXPECT_EQ(first.new_executions.size(), 20u);
  apply(first, &job);
  clock_.advance(50ms);
  report(executions_[0], ExecutionStateType::kBidAccepted);
  apply(run(job, models::kEvalTriggerExecUpdate), &job);
  apply(run(job, models::kEvalTriggerExecUpdate), &job);
  std::set<std::string> nodes;
  for (const auto& e : executions_) nodes.insert(e.node_id);
  EXPECT_EQ(nodes.size(), 45u);
  EXPECT_EQ(executions_.size(), 45u);
}

TEST_F(JobTypesTest, ADaemonDoesNotAskANodeThatDeclinedAgain) {
  auto job = jobOfType(models::kJobTypeDaemon, 0);
  apply(run(job), &job);
  ASSERT_EQ(executions_.size(), 3u);
  report(executions_[1], ExecutionStateType::kAskForBidRejected,
         "this node does not allow networked jobs");
  Plan again = run(job, models::kEvalTriggerExecUpdate);
  EXPECT_TRUE(again.new_executions.empty()) << "the node that declined was asked again";
}

TEST_F(JobTypesTest, AnOpsJobFailsWhenAnExecutionFailsOrNoNodeMatches) {
  auto job = jobOfType(models::kJobTypeOps, 0);
  apply(run(job), &job);
  report(executions_[1], ExecutionStateType::kFailed, "disk full", /*retryable=*/true);
  Plan failed = run(job, models::kEvalTriggerExecUpdate);
  ASSERT_TRUE(failed.new_job_state);
  EXPECT_EQ(failed.new_job_state->state_type, JobStateType::kFailed);
  EXPECT_NE(failed.new_job_state->message.find("failed: disk full"), std::string::npos);
  EXPECT_TRUE(failed.new_executions.empty()) << "an ops job retried";
  EXPECT_EQ(failed.updated_executions.size(), 2u) << "the others are cancelled";

  executions_.clear();
  auto wasm = jobOfType(models::kJobTypeOps, 0);
  wasm.task().engine.type = "wasm";
  Plan none = run(wasm);
  ASSERT_TRUE(none.new_job_state);
  EXPECT_EQ(none.new_job_state->state_type, JobStateType::kFailed);
  EXPECT_EQ(none.new_job_state->message.rfind("no node matches the job. available: 3", 0), 0u)
      << none.new_job_state->message;
  EXPECT_NE(none.new_job_state->message.find("wasm"), std::string::npos);
}

// ---- daemon ----

TEST_F(JobTypesTest, ADaemonRunsOnEveryNodeIncludingOnesThatJoinLater) {
  auto job = jobOfType(models::kJobTypeDaemon, 0);
  Plan plan = run(job);
  ASSERT_EQ(plan.new_executions.size(), 3u);
  apply(plan, &job);
  EXPECT_EQ(job.state.state_type, JobStateType::kRunning);
  EXPECT_TRUE(run(job, models::kEvalTriggerExecUpdate).new_executions.empty())
      << "a node got a second execution";

  nodes_.push_back(computeNode("n-4"));
  Plan joined = run(job, models::kEvalTriggerNodeJoin);
  ASSERT_EQ(joined.new_executions.size(), 1u);
  EXPECT_EQ(joined.new_executions[0].node_id, "n-4");
  apply(joined, &job);

  // n-2 goes away: its execution fails; when it comes back it gets one again at once.
  nodes_[1].connection_state.status = models::kConnectionDisconnected;
  Plan left = run(job, models::kEvalTriggerNodeLeave);
  EXPECT_TRUE(left.new_executions.empty());
  apply(left, &job);
  EXPECT_EQ(live(), 3u);
  nodes_[1].connection_state.status = models::kConnectionConnected;
  Plan back = run(job, models::kEvalTriggerNodeJoin);
  ASSERT_EQ(back.new_executions.size(), 1u);
  EXPECT_EQ(back.new_executions[0].node_id, "n-2");
  apply(back, &job);

  // Its process ends on n-3: replaced there after the backoff; the job never completes.
  for (auto& e : executions_) {
    if (e.node_id == "n-3" && !e.isTerminal()) report(e, ExecutionStateType::kFailed, "exit 1");
  }
  Plan wait = run(job, models::kEvalTriggerExecUpdate);
  EXPECT_TRUE(wait.new_executions.empty());
  EXPECT_FALSE(wait.new_job_state);
  apply(wait, &job);
  clock_.advance(2s);
  Plan again = run(job, models::kEvalTriggerExecFailure);
  ASSERT_EQ(again.new_executions.size(), 1u);
  EXPECT_EQ(again.new_executions[0].node_id, "n-3");
}

TEST_F(JobTypesTest, ADrainedNodeKeepsItsDaemonButGetsNoNewOne) {
  auto job = jobOfType(models::kJobTypeDaemon, 0);
  apply(run(job), &job);
  ASSERT_EQ(live(), 3u);
  nodes_[0].drain.draining = true;
  Plan drained = run(job, models::kEvalTriggerExecUpdate);
  EXPECT_TRUE(drained.updated_executions.empty()) << "draining stopped a daemon execution";
  nodes_.push_back(computeNode("n-4"));
  nodes_.back().drain.draining = true;
  EXPECT_TRUE(run(job, models::kEvalTriggerNodeJoin).new_executions.empty())
      << "a draining node got new work";

  auto ops = jobOfType(models::kJobTypeOps, 0);
  ops.id = "j-ops";
  executions_.clear();
  Plan plan = run(ops);
  EXPECT_EQ(plan.new_executions.size(), 2u) << "ops ran on a draining node";
}

TEST_F(JobTypesTest, ADaemonWithNoMatchingNodeIsQueuedUntilOneJoins) {
  nodes_.clear();
  auto job = jobOfType(models::kJobTypeDaemon, 0);
  Plan plan = run(job);
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kQueued);
  apply(plan, &job);
  nodes_.push_back(computeNode("n-9"));
  Plan joined = run(job, models::kEvalTriggerNodeJoin);
  ASSERT_EQ(joined.new_executions.size(), 1u);
  ASSERT_TRUE(joined.new_job_state);
  EXPECT_EQ(joined.new_job_state->state_type, JobStateType::kRunning);
}

TEST_F(JobTypesTest, TheTableHasOneSchedulerPerType) {
  for (models::JobType t : {models::JobType::kBatch, models::JobType::kService,
                            models::JobType::kOps, models::JobType::kDaemon}) {
    EXPECT_EQ(models::parseJobType(models::jobTypeName(t)), t);
  }
  EXPECT_FALSE(models::parseJobType("Batch").has_value());
  EXPECT_NE(&table_.forType(models::JobType::kOps), &table_.forType(models::JobType::kDaemon));
}

}  // namespace
}  // namespace cod::orchestrator
