#include "orchestrator/scheduler/batch_scheduler.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "orchestrator/scheduler/scheduler_testing.h"

namespace cod::orchestrator {
namespace {

using testing::batchJob;
using testing::computeNode;

using namespace std::chrono_literals;
using models::ExecutionDesiredStateType;
using models::ExecutionStateType;
using models::JobStateType;

class BatchSchedulerTest : public ::testing::Test {
 protected:
  SchedulerInput input(const models::Job& job) {
    SchedulerInput in;
    in.eval.id = "ev-1";
    in.eval.job_id = job.id;
    in.eval.triggered_by = models::kEvalTriggerJobRegister;
    in.job = job;
    in.nodes = nodes_;
    in.now = clock_.now();
    in.executions = executions_;
    return in;
  }

  Plan run(const models::Job& job) { return scheduler_.process(input(job)); }

  // Applies a plan's execution changes to the local "store".
  void apply(const Plan& plan) {
    for (const auto& e : plan.new_executions) executions_.push_back(e);
    for (const auto& u : plan.updated_executions) {
      for (auto& e : executions_) {
        if (e.id == u.id) e = u;
      }
    }
  }

  void setState(const std::string& id, ExecutionStateType s) {
    for (auto& e : executions_) {
      if (e.id == id) e.compute_state.state_type = s;
    }
  }

  ManualClock clock_;
  SeededRandom random_{42};
  selection::NodeSelector selector_;
  BatchScheduler scheduler_{SchedulerDeps{&selector_, &random_, SchedulerConfig{}}};
  std::vector<models::NodeState> nodes_{computeNode("n-1"), computeNode("n-2"), computeNode("n-3")};
  std::vector<models::Execution> executions_;
};

TEST_F(BatchSchedulerTest, CountThreePlacesOneExecutionPerPartitionOnDistinctNodes) {
  Plan plan = run(batchJob(3));
  ASSERT_EQ(plan.new_executions.size(), 3u);
  std::set<std::string> nodes;
  std::set<int64_t> partitions;
  for (const auto& e : plan.new_executions) {
    nodes.insert(e.node_id);
    partitions.insert(e.partition_index);
    EXPECT_EQ(e.compute_state.state_type, ExecutionStateType::kNew);
    EXPECT_EQ(e.desired_state.state_type, ExecutionDesiredStateType::kPending);
    EXPECT_DOUBLE_EQ(e.allocated_resources.total().cpu, 0.5);
  }
  EXPECT_EQ(nodes.size(), 3u);
  EXPECT_EQ(partitions, (std::set<int64_t>{0, 1, 2}));
  ASSERT_EQ(plan.messages.size(), 3u);
  for (const auto& [node, msg] : plan.messages) {
    ASSERT_TRUE(std::holds_alternative<transport::AskForBid>(msg));
    EXPECT_TRUE(std::get<transport::AskForBid>(msg).execution.job);
  }
  EXPECT_FALSE(plan.new_job_state) << "the job stays Pending until a bid is approved";
  EXPECT_EQ(plan.events.size(), 3u);
  EXPECT_EQ(plan.events[0].event.message.rfind("Requested execution on n-", 0), 0u);
}

TEST_F(BatchSchedulerTest, ApprovesTheFirstAcceptedBidAndRejectsTheSurplus) {
  auto job = batchJob(1);
  apply(run(job));
  ASSERT_EQ(executions_.size(), 1u);
  // A second execution for the same partition (e.g. a retry raced the first bid).
  models::Execution extra = executions_[0];
  extra.id = "e-extra";
  extra.node_id = "n-2";
  extra.create_time += 1;
  executions_.push_back(extra);
  setState(executions_[0].id, ExecutionStateType::kAskForBidAccepted);
  setState("e-extra", ExecutionStateType::kAskForBidAccepted);

  Plan plan = run(job);
  ASSERT_EQ(plan.updated_executions.size(), 2u);
  const auto& approved = plan.updated_executions[0];
  EXPECT_EQ(approved.id, executions_[0].id);
  EXPECT_EQ(approved.compute_state.state_type, ExecutionStateType::kBidAccepted);
  EXPECT_EQ(approved.desired_state.state_type, ExecutionDesiredStateType::kRunning);
  EXPECT_EQ(plan.updated_executions[1].compute_state.state_type, ExecutionStateType::kBidRejected);
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kRunning);
  bool accepted_msg = false, rejected_msg = false;
  for (const auto& [node, msg] : plan.messages) {
    accepted_msg |= std::holds_alternative<transport::BidAccepted>(msg);
    rejected_msg |= std::holds_alternative<transport::BidRejected>(msg);
  }
  EXPECT_TRUE(accepted_msg);
  EXPECT_TRUE(rejected_msg);
}

TEST_F(BatchSchedulerTest, CompletesWhenEveryPartitionCompleted) {
  auto job = batchJob(2);
  job.state.state_type = JobStateType::kRunning;
  apply(run(job));
  setState(executions_[0].id, ExecutionStateType::kCompleted);
  Plan partial = run(job);
  EXPECT_FALSE(partial.new_job_state);
  setState(executions_[1].id, ExecutionStateType::kCompleted);
  Plan done = run(job);
  ASSERT_TRUE(done.new_job_state);
  EXPECT_EQ(done.new_job_state->state_type, JobStateType::kCompleted);
  EXPECT_TRUE(done.new_executions.empty());
}

TEST_F(BatchSchedulerTest, CountZeroCompletesAtOnce) {
  Plan plan = run(batchJob(0));
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kCompleted);
}

TEST_F(BatchSchedulerTest, UnknownEngineFailsWithEachNodesReason) {
  Plan plan = run(batchJob(1, "flibble"));
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kFailed);
  const auto& msg = plan.new_job_state->message;
  EXPECT_NE(msg.find("not enough nodes to run job. requested: 1, available: 3, suitable: 0."),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("n-1: does not support engine \"flibble\" (supports: noop)"),
            std::string::npos)
      << msg;
  EXPECT_TRUE(plan.new_executions.empty());
}

TEST_F(BatchSchedulerTest, MoreThanTheNodesFailsWithoutQueueTimeoutAndQueuesWithOne) {
  Plan failed = run(batchJob(4));
  ASSERT_TRUE(failed.new_job_state);
  EXPECT_EQ(failed.new_job_state->state_type, JobStateType::kFailed);

  auto job = batchJob(4);
  job.task().timeouts.queue_timeout = 60;
  job.create_time = toUnixNanos(clock_.now());
  Plan queued = run(job);
  ASSERT_TRUE(queued.new_job_state);
  EXPECT_EQ(queued.new_job_state->state_type, JobStateType::kQueued);
  ASSERT_EQ(queued.new_evaluations.size(), 1u);
  EXPECT_EQ(queued.new_evaluations[0].triggered_by, models::kEvalTriggerJobQueue);
  EXPECT_GT(queued.new_evaluations[0].wait_until, clock_.now());
  EXPECT_TRUE(queued.new_executions.empty()) << "placement is all or nothing";

  // Once the queue timeout has passed, the same evaluation fails the job.
  clock_.advance(61s);
  job.state.state_type = JobStateType::kQueued;
  Plan timed_out = run(job);
  ASSERT_TRUE(timed_out.new_job_state);
  EXPECT_EQ(timed_out.new_job_state->state_type, JobStateType::kFailed);
}

TEST_F(BatchSchedulerTest, BusyNodesQueueTheJobInsteadOfFailingIt) {
  for (auto& n : nodes_) n.info.compute_node_info.available_capacity = {};
  for (auto& n : nodes_) n.info.compute_node_info.queue_capacity.cpu = 4;
  Plan plan = run(batchJob(1));
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kQueued);
  EXPECT_NE(plan.new_job_state->message.find("node is busy"), std::string::npos);
}

TEST_F(BatchSchedulerTest, ConstraintsSelectMatchingNodes) {
  auto job = batchJob(1);
  job.constraints.push_back({"zone", "=", {"a"}});
  Plan plan = run(job);
  ASSERT_EQ(plan.new_executions.size(), 1u);
  EXPECT_EQ(plan.new_executions[0].node_id, "n-1");
}

TEST_F(BatchSchedulerTest, LostNodeFailsItsExecutionAndTheWorkMovesElsewhere) {
  auto job = batchJob(1);
  job.state.state_type = JobStateType::kRunning;
  apply(run(job));
  std::string lost_node = executions_[0].node_id;
  setState(executions_[0].id, ExecutionStateType::kBidAccepted);
  executions_[0].desired_state.state_type = ExecutionDesiredStateType::kRunning;
  for (auto& n : nodes_) {
    if (n.info.node_id == lost_node) n.connection_state.status = models::kConnectionDisconnected;
  }
  Plan plan = run(job);
  ASSERT_EQ(plan.updated_executions.size(), 1u);
  EXPECT_EQ(plan.updated_executions[0].compute_state.state_type, ExecutionStateType::kFailed);
  EXPECT_EQ(plan.updated_executions[0].compute_state.message, "node has disappeared");
  ASSERT_EQ(plan.new_executions.size(), 1u);
  EXPECT_NE(plan.new_executions[0].node_id, lost_node);
  EXPECT_EQ(plan.new_executions[0].partition_index, 0);
}

TEST_F(BatchSchedulerTest, NonRetryableFailureFailsTheJobWithItsMessage) {
  auto job = batchJob(1);
  apply(run(job));
  executions_[0].compute_state = {ExecutionStateType::kFailed, "image not found: nope:latest", {}};
  Plan plan = run(job);
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kFailed);
  EXPECT_NE(plan.new_job_state->message.find("image not found: nope:latest"), std::string::npos);
  EXPECT_TRUE(plan.new_executions.empty());
}

TEST_F(BatchSchedulerTest, RetryableFailureIsRetriedAndANodeRunsAJobAtMostTwice) {
  nodes_ = {computeNode("n-1")};
  auto job = batchJob(1);
  apply(run(job));
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_EQ(executions_.size(), static_cast<size_t>(attempt));
    executions_.back().compute_state = {ExecutionStateType::kFailed, "daemon hiccup", {}};
    executions_.back().retryable = true;
    clock_.advance(1min);  // past the retry backoff
    Plan plan = run(job);
    if (attempt == 1) {
      ASSERT_EQ(plan.new_executions.size(), 1u) << "one retry on the same node";
      apply(plan);
    } else {
      ASSERT_TRUE(plan.new_job_state);
      EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kFailed);
      EXPECT_EQ(plan.new_job_state->message.rfind("daemon hiccup\n(no node left to retry on: ", 0),
                0u)
          << plan.new_job_state->message;
    }
  }
}

TEST_F(BatchSchedulerTest, StoppedJobCancelsLiveExecutionsAndTellsTheNodes) {
  auto job = batchJob(2);
  apply(run(job));
  job.state.state_type = JobStateType::kStopped;
  Plan plan = run(job);
  ASSERT_EQ(plan.updated_executions.size(), 2u);
  for (const auto& e : plan.updated_executions) {
    EXPECT_EQ(e.compute_state.state_type, ExecutionStateType::kCancelled);
    EXPECT_EQ(e.desired_state.state_type, ExecutionDesiredStateType::kStopped);
  }
  ASSERT_EQ(plan.messages.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<transport::CancelExecution>(plan.messages[0].second));
}

TEST_F(BatchSchedulerTest, CreatesAtMostTwentyExecutionsPerEvaluation) {
  nodes_.clear();
  for (int i = 0; i < 30; ++i) nodes_.push_back(computeNode("n-" + std::to_string(100 + i)));
  Plan plan = run(batchJob(25));
  EXPECT_EQ(plan.new_executions.size(), 20u);
  ASSERT_EQ(plan.new_evaluations.size(), 1u);
  EXPECT_EQ(plan.new_evaluations[0].triggered_by, models::kEvalTriggerExecLimit);
}

TEST_F(BatchSchedulerTest, UpdatedJobCancelsExecutionsOfTheOldVersion) {
  auto job = batchJob(1);
  apply(run(job));
  job.version = 2;
  Plan plan = run(job);
  ASSERT_EQ(plan.updated_executions.size(), 1u);
  EXPECT_EQ(plan.updated_executions[0].compute_state.state_type, ExecutionStateType::kCancelled);
  ASSERT_EQ(plan.new_executions.size(), 1u);
  EXPECT_EQ(plan.new_executions[0].job_version, 2u);
}

TEST_F(BatchSchedulerTest, TotalTimeoutFailsTheJob) {
  auto job = batchJob(1);
  job.task().timeouts.total_timeout = 30;
  job.create_time = toUnixNanos(clock_.now());
  apply(run(job));
  clock_.advance(31s);
  Plan plan = run(job);
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kFailed);
  EXPECT_EQ(plan.new_job_state->message, "Job timed out. Job took longer than 30s");
  ASSERT_EQ(plan.updated_executions.size(), 1u);
  EXPECT_EQ(plan.updated_executions[0].compute_state.state_type, ExecutionStateType::kCancelled);
}

TEST_F(BatchSchedulerTest, RandomTieBreakSpreadsEqualNodes) {
  std::set<std::string> chosen;
  for (int i = 0; i < 30; ++i) {
    executions_.clear();
    Plan plan = run(batchJob(1));
    ASSERT_EQ(plan.new_executions.size(), 1u);
    chosen.insert(plan.new_executions[0].node_id);
  }
  EXPECT_EQ(chosen.size(), 3u);
}

// Peak resident memory of this process, in bytes.
int64_t peakRss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

// Count 1e9 grew the scheduler's memory by ~300 MB/s until the orchestrator died, and the stored
// job killed it again at every restart.
TEST_F(BatchSchedulerTest, MemoryDoesNotGrowWithCount) {
  SchedulerConfig config;
  config.max_count = int64_t{1} << 40;  // past what validation allows, as an older store may hold
  BatchScheduler unbounded(SchedulerDeps{&selector_, &random_, config});
  int64_t before = peakRss();
  for (int64_t count : {int64_t{20'000'000}, int64_t{1} << 31, int64_t{1'000'000'000'000}}) {
    Plan plan = unbounded.process(input(batchJob(count)));
    ASSERT_TRUE(plan.new_job_state);
    EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kFailed);
    EXPECT_NE(plan.new_job_state->message.find("requested: " + std::to_string(count)),
              std::string::npos)
        << plan.new_job_state->message;
    EXPECT_TRUE(plan.new_executions.empty());
  }
  EXPECT_LT(peakRss() - before, int64_t{64} << 20) << "the plans took memory that grows with Count";
}

TEST_F(BatchSchedulerTest, AStoredJobOverTheCountLimitFailsWithTheReason) {
  Plan plan = run(batchJob(models::kDefaultMaxJobCount + 1));
  ASSERT_TRUE(plan.new_job_state);
  EXPECT_EQ(plan.new_job_state->state_type, JobStateType::kFailed);
  EXPECT_EQ(plan.new_job_state->message,
            "Job.Count 10001 exceeds this orchestrator's limit of 10000 (--max-job-count); submit "
            "it again with a lower Count");
  EXPECT_TRUE(plan.new_executions.empty());
}

// Partitions are created in bounded batches, those without executions first in index order, and
// a partition whose execution failed (retryably) gets a new one alongside them.
TEST_F(BatchSchedulerTest, BoundedBatchesCoverEveryPartitionOnce) {
  nodes_.clear();
  for (int i = 0; i < 50; ++i) nodes_.push_back(computeNode("n-" + std::to_string(i)));
  auto job = batchJob(45);
  Plan first = run(job);
  ASSERT_EQ(first.new_executions.size(), 20u);
  EXPECT_EQ(first.new_evaluations.size(), 1u);  // a follow-up for the rest
  apply(first);
  executions_[3].compute_state = {ExecutionStateType::kFailed, "node went away", {}};
  executions_[3].retryable = true;
  clock_.advance(1min);  // past the retry backoff
  Plan second = run(job);
  ASSERT_EQ(second.new_executions.size(), 20u);
  EXPECT_EQ(second.new_executions[0].partition_index, 3);
  EXPECT_EQ(second.new_executions[1].partition_index, 20);
  apply(second);
  Plan third = run(job);
  ASSERT_EQ(third.new_executions.size(), 6u);
  EXPECT_TRUE(third.new_evaluations.empty());
  apply(third);
  std::set<int64_t> partitions;
  for (const auto& e : executions_) {
    if (e.compute_state.state_type != ExecutionStateType::kFailed) {
      EXPECT_TRUE(partitions.insert(e.partition_index).second) << e.partition_index;
    }
  }
  EXPECT_EQ(partitions.size(), 45u);
  EXPECT_EQ(*partitions.rbegin(), 44);
}

}  // namespace
}  // namespace cod::orchestrator
