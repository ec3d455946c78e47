// Compute reports recorded by the ExecutionUpdater, alone and in batches, on an in-memory store.

#include "orchestrator/execution_updater.h"

#include <set>

#include <gtest/gtest.h>

#include "orchestrator/scheduler/scheduler_testing.h"
#include "store/memory/memory_job_store.h"

namespace cod::orchestrator {
namespace {

using models::ExecutionDesiredStateType;
using models::ExecutionStateType;

class ExecutionUpdaterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = store_.update([&](store::Txn& tx) -> Status {
      for (const char* id : {"j-1", "j-2"}) {
        models::Job job = testing::batchJob(2);
        job.id = job.name = id;
        COD_RETURN_IF_ERROR(tx.createJob(job));
      }
      for (auto [id, job] : {std::pair{"e-1", "j-1"}, {"e-2", "j-1"}, {"e-3", "j-2"}}) {
        models::Execution e;
        e.id = id;
        e.ns = models::kDefaultNamespace;
        e.job_id = job;
        e.node_id = "n-1";
        e.job_version = 1;
        e.desired_state.state_type = ExecutionDesiredStateType::kPending;
        e.compute_state.state_type = ExecutionStateType::kNew;
        COD_RETURN_IF_ERROR(tx.createExecution(e));
      }
      return Status::ok();
    });
    ASSERT_TRUE(st.isOk()) << st.toString();
  }

  ExecutionStateType stateOf(const std::string& id) {
    auto e = store_.getExecution(id);
    EXPECT_TRUE(e.isOk()) << e.status().toString();
    return e.isOk() ? e->compute_state.state_type : ExecutionStateType::kUndefined;
  }

  // The evaluations the broker holds, by job.
  std::multiset<std::string> evaluatedJobs() {
    std::multiset<std::string> jobs;
    while (auto d = broker_.tryDequeue()) jobs.insert(d->eval.job_id);
    return jobs;
  }

  static transport::BidResult bid(const std::string& execution, const std::string& job,
                                  const std::string& node = "n-1") {
    return {execution, job, node, true, "", {}};
  }

  store::MemoryJobStore store_;
  ManualClock clock_;
  SeededRandom random_{7};
  EvaluationBroker broker_{&clock_, BrokerConfig{}};
  ExecutionUpdater updater_{
      ExecutionUpdater::Deps{&store_, &broker_, nullptr, &clock_, &random_, nullptr}};
};

TEST_F(ExecutionUpdaterTest, AReportChangesItsExecutionAndEvaluatesItsJob) {
  ASSERT_TRUE(updater_.handle(bid("e-1", "j-1")).isOk());
  EXPECT_EQ(stateOf("e-1"), ExecutionStateType::kAskForBidAccepted);
  EXPECT_EQ(stateOf("e-2"), ExecutionStateType::kNew);
  EXPECT_EQ(evaluatedJobs(), std::multiset<std::string>{"j-1"});
}

TEST_F(ExecutionUpdaterTest, ABatchRecordsEveryReportAndEvaluatesEachJobOnce) {
  transport::RunResult done;
  done.execution_id = "e-3";
  done.job_id = "j-2";
  done.node_id = "n-1";
  transport::ComputeError unknown;
  unknown.execution_id = "e-gone";
  unknown.node_id = "n-1";
  unknown.message = "boom";
  std::vector<transport::ToOrchestratorMessage> batch = {
      bid("e-1", "j-1"),
      bid("e-2", "j-1", "n-other"),  // not where we placed it: ignored
      done,
      unknown,  // no such execution: ignored, and the others still count
      bid("e-2", "j-1"),
  };
  ASSERT_TRUE(updater_.handleBatch(batch).isOk());
  EXPECT_EQ(stateOf("e-1"), ExecutionStateType::kAskForBidAccepted);
  EXPECT_EQ(stateOf("e-2"), ExecutionStateType::kAskForBidAccepted);
  EXPECT_EQ(stateOf("e-3"), ExecutionStateType::kCompleted);
  // One evaluation per job the batch changed, not one per report.
  EXPECT_EQ(evaluatedJobs(), (std::multiset<std::string>{"j-1", "j-2"}));
  auto history = store_.getHistory({.job_id = "j-1"});
  ASSERT_TRUE(history.isOk());
  EXPECT_EQ(history->items.size(), 2u);
}

TEST_F(ExecutionUpdaterTest, LaterReportsInABatchSeeTheEarlierOnes) {
  // Bid, then its result, queued together: the result lands on the accepted execution.
  transport::RunResult done;
  done.execution_id = "e-1";
  done.job_id = "j-1";
  done.node_id = "n-1";
  ASSERT_TRUE(updater_.handleBatch({bid("e-1", "j-1"), done, bid("e-1", "j-1")}).isOk());
  EXPECT_EQ(stateOf("e-1"), ExecutionStateType::kCompleted);
  EXPECT_EQ(evaluatedJobs(), std::multiset<std::string>{"j-1"});
}

}  // namespace
}  // namespace cod::orchestrator
