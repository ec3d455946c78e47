// The conformance suite, part 2: executions, evaluations, history and nodes.

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "common/ids.h"
#include "store/job_store_conformance.h"

namespace cod::store::conformance {
namespace {

using models::Execution;
using models::ExecutionStateType;
using models::Job;
using models::JobHistory;
using models::JobStateType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> executionIds(const std::vector<Execution>& executions) {
  std::vector<std::string> out;
  for (const Execution& e : executions) out.push_back(e.id);
  return out;
}

std::vector<uint64_t> seqs(const HistoryPage& page) {
  std::vector<uint64_t> out;
  for (const JobHistory& h : page.items) out.push_back(h.seq_num);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Executions

TEST_P(JobStoreConformanceTest, ExecutionIsStoredWithoutTheJobSnapshot) {
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  Execution e = testExecution("e-1", "j-1", "n-1", 1, 10);
  e.job = std::make_shared<const Job>(job);
  e.revision = 4;
  STORE_ASSERT_OK(createExecution(e));
  EXPECT_EQ(e.revision, 1u);
  EXPECT_NE(e.job, nullptr);  // the caller's copy is left alone

  STORE_ASSERT_OK_AND_ASSIGN(Execution got, store().getExecution("e-1"));
  EXPECT_EQ(got.job, nullptr);
  e.job = nullptr;
  EXPECT_EQ(got, e);

  Status dup = createExecution(e);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.message(), HasSubstr("e-1"));
  EXPECT_EQ(store().getExecution("e-none").status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, UpdateExecutionChecksAndBumpsRevision) {
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  Execution e = testExecution("e-1", "j-1", "n-1", 1, 10);
  STORE_ASSERT_OK(createExecution(e));
  Execution stale = e;

  e.compute_state.state_type = ExecutionStateType::kRunning;
  e.run_output.stdout_text = "hi\n";
  STORE_ASSERT_OK(updateExecution(e));
  EXPECT_EQ(e.revision, 2u);
  STORE_ASSERT_OK_AND_ASSIGN(Execution got, store().getExecution("e-1"));
  EXPECT_EQ(got, e);

  Status s = updateExecution(stale);
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_THAT(s.message(), HasSubstr("revision conflict: expected 1, stored 2"));
  Execution missing = testExecution("e-none", "j-1", "n-1", 1, 10);
  EXPECT_EQ(updateExecution(missing).code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, GetExecutionsOrdersAndFiltersByVersion) {
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  Job other = testJob("j-2", 2);
  STORE_ASSERT_OK(createJob(other));
  std::vector<Execution> executions = {
      testExecution("e-c", "j-1", "n-1", 1, 30), testExecution("e-a", "j-1", "n-1", 1, 10),
      testExecution("e-b", "j-1", "n-2", 1, 30), testExecution("e-d", "j-1", "n-2", 2, 5),
      testExecution("e-x", "j-2", "n-1", 1, 1)};
  for (Execution& e : executions) STORE_ASSERT_OK(createExecution(e));

  STORE_ASSERT_OK_AND_ASSIGN(auto v1, store().getExecutions({.job_id = "j-1"}));
  EXPECT_THAT(executionIds(v1), ElementsAre("e-a", "e-b", "e-c"));

  job.version = 2;
  STORE_ASSERT_OK(updateJob(job));
  STORE_ASSERT_OK_AND_ASSIGN(auto latest, store().getExecutions({.job_id = "j-1"}));
  EXPECT_THAT(executionIds(latest), ElementsAre("e-d"));
  STORE_ASSERT_OK_AND_ASSIGN(auto explicit_v1,
                             store().getExecutions({.job_id = "j-1", .job_version = 1}));
  EXPECT_THAT(executionIds(explicit_v1), ElementsAre("e-a", "e-b", "e-c"));
  STORE_ASSERT_OK_AND_ASSIGN(auto all,
                             store().getExecutions({.job_id = "j-1", .all_versions = true}));
  EXPECT_THAT(executionIds(all), ElementsAre("e-d", "e-a", "e-b", "e-c"));
  STORE_ASSERT_OK_AND_ASSIGN(auto none, store().getExecutions({.job_id = "j-1", .job_version = 7}));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(store().getExecutions({.job_id = "j-none"}).status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, ActiveExecutionsOnNodeExcludeTerminalOnes) {
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  Execution running = testExecution("e-1", "j-1", "n-1", 1, 20, ExecutionStateType::kRunning);
  Execution asked = testExecution("e-2", "j-1", "n-1", 1, 10, ExecutionStateType::kAskForBid);
  Execution done = testExecution("e-3", "j-1", "n-1", 1, 5, ExecutionStateType::kCompleted);
  Execution rejected = testExecution("e-4", "j-1", "n-1", 1, 6, ExecutionStateType::kBidRejected);
  Execution elsewhere = testExecution("e-5", "j-1", "n-2", 1, 7, ExecutionStateType::kRunning);
  for (Execution* e : {&running, &asked, &done, &rejected, &elsewhere}) {
    STORE_ASSERT_OK(createExecution(*e));
  }
  STORE_ASSERT_OK_AND_ASSIGN(auto active, store().getActiveExecutionsOnNode("n-1"));
  EXPECT_THAT(executionIds(active), ElementsAre("e-2", "e-1"));

  running.compute_state.state_type = ExecutionStateType::kFailed;
  STORE_ASSERT_OK(updateExecution(running));
  elsewhere.node_id = "n-1";
  STORE_ASSERT_OK(updateExecution(elsewhere));
  STORE_ASSERT_OK_AND_ASSIGN(active, store().getActiveExecutionsOnNode("n-1"));
  EXPECT_THAT(executionIds(active), ElementsAre("e-5", "e-2"));
  STORE_ASSERT_OK_AND_ASSIGN(active, store().getActiveExecutionsOnNode("n-2"));
  EXPECT_TRUE(active.empty());
}

// ---------------------------------------------------------------------------------------------
// Evaluations

TEST_P(JobStoreConformanceTest, EvaluationsCreateUpdateAndPending) {
  models::Evaluation b = testEvaluation("ev-b", "j-1", models::kEvalStatusPending);
  models::Evaluation a = testEvaluation("ev-a", "j-1", models::kEvalStatusPending);
  models::Evaluation c = testEvaluation("ev-c", "j-1", models::kEvalStatusBlocked);
  for (const auto* eval : {&b, &a, &c}) STORE_ASSERT_OK(createEvaluation(*eval));
  STORE_ASSERT_OK_AND_ASSIGN(models::Evaluation got, store().getEvaluation("ev-b"));
  EXPECT_EQ(got, b);
  EXPECT_EQ(createEvaluation(b).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store().getEvaluation("ev-none").status().code(), StatusCode::kNotFound);

  STORE_ASSERT_OK_AND_ASSIGN(auto pending, store().getPendingEvaluations());
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0], a);
  EXPECT_EQ(pending[1], b);

  a.status = models::kEvalStatusComplete;
  c.status = models::kEvalStatusPending;
  Status s = store().update([&](Txn& txn) -> Status {
    COD_RETURN_IF_ERROR(txn.updateEvaluation(a));
    return txn.updateEvaluation(c);
  });
  STORE_ASSERT_OK(s);
  STORE_ASSERT_OK_AND_ASSIGN(got, store().getEvaluation("ev-a"));
  EXPECT_EQ(got, a);
  STORE_ASSERT_OK_AND_ASSIGN(pending, store().getPendingEvaluations());
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, "ev-b");
  EXPECT_EQ(pending[1].id, "ev-c");
  Status missing = store().update(
      [&](Txn& txn) { return txn.updateEvaluation(testEvaluation("ev-none", "j-1", "pending")); });
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// History

// j-1 at version 2 with history:
//   1 job v1 t0 | 2 exec e-aa1 v1 t1 | 3 exec e-ab2 v1 t2 | 4 job v2 t3 | 5 exec e-aa1 v2 t4
//   6 exec e-b v2 t5 | 7 job v2 t6
void addSampleHistory(JobStore& store) {
  Status s = store.update([](Txn& txn) -> Status {
    Job job = testJob("j-1", 1);
    COD_RETURN_IF_ERROR(txn.createJob(job));
    job.version = 2;
    COD_RETURN_IF_ERROR(txn.updateJob(job));
    std::vector<JobHistory> items = {
        testHistory("j-1", 1, "", testTime(0)),      testHistory("j-1", 1, "e-aa1", testTime(1)),
        testHistory("j-1", 1, "e-ab2", testTime(2)), testHistory("j-1", 2, "", testTime(3)),
        testHistory("j-1", 2, "e-aa1", testTime(4)), testHistory("j-1", 2, "e-b", testTime(5)),
        testHistory("j-1", 2, "", testTime(6))};
    for (JobHistory& h : items) COD_RETURN_IF_ERROR(txn.addHistory(h));
    return Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
}

TEST_P(JobStoreConformanceTest, AddHistoryNumbersEachJobFromOne) {
  std::vector<uint64_t> got;
  for (const char* job_id : {"j-1", "j-2", "j-1", "j-1", "j-2"}) {
    JobHistory h = testHistory(job_id, 1, "", testTime(0));
    STORE_ASSERT_OK(addHistory(h));
    got.push_back(h.seq_num);
  }
  EXPECT_THAT(got, ElementsAre(1, 1, 2, 3, 2));
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage page, store().getHistory({.job_id = "j-1"}));
  ASSERT_EQ(page.items.size(), 3u);
  JobHistory expected = testHistory("j-1", 1, "", testTime(0));
  expected.seq_num = 3;
  EXPECT_EQ(page.items[2], expected);
}

TEST_P(JobStoreConformanceTest, HistoryDefaultsToTheLatestVersion) {
  ASSERT_NO_FATAL_FAILURE(addSampleHistory(store()));
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage page, store().getHistory({.job_id = "j-1"}));
  EXPECT_THAT(seqs(page), ElementsAre(4, 5, 6, 7));
  EXPECT_EQ(page.next_offset, 8u);
  EXPECT_FALSE(page.has_more);
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory({.job_id = "j-1", .job_version = 1}));
  EXPECT_THAT(seqs(page), ElementsAre(1, 2, 3));
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory({.job_id = "j-1", .all_versions = true}));
  EXPECT_THAT(seqs(page), ElementsAre(1, 2, 3, 4, 5, 6, 7));
}

TEST_P(JobStoreConformanceTest, HistoryFiltersByEventTypeExecutionPrefixAndTime) {
  ASSERT_NO_FATAL_FAILURE(addSampleHistory(store()));
  STORE_ASSERT_OK_AND_ASSIGN(
      HistoryPage page,
      store().getHistory(
          {.job_id = "j-1", .event_type = HistoryEventType::kJob, .all_versions = true}));
  EXPECT_THAT(seqs(page), ElementsAre(1, 4, 7));
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory({.job_id = "j-1",
                                                       .event_type = HistoryEventType::kExecution,
                                                       .all_versions = true}));
  EXPECT_THAT(seqs(page), ElementsAre(2, 3, 5, 6));
  STORE_ASSERT_OK_AND_ASSIGN(
      page,
      store().getHistory({.job_id = "j-1", .execution_id_prefix = "e-a", .all_versions = true}));
  EXPECT_THAT(seqs(page), ElementsAre(2, 3, 5));
  STORE_ASSERT_OK_AND_ASSIGN(page,
                             store().getHistory({.job_id = "j-1", .execution_id_prefix = "e-aa1"}));
  EXPECT_THAT(seqs(page), ElementsAre(5));
  STORE_ASSERT_OK_AND_ASSIGN(
      page, store().getHistory({.job_id = "j-1", .all_versions = true, .since = testTime(2)}));
  EXPECT_THAT(seqs(page), ElementsAre(3, 4, 5, 6, 7));
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory({.job_id = "j-1",
                                                       .event_type = HistoryEventType::kJob,
                                                       .all_versions = true,
                                                       .since = testTime(4)}));
  EXPECT_THAT(seqs(page), ElementsAre(7));
}

TEST_P(JobStoreConformanceTest, HistoryPagesBySeqNum) {
  ASSERT_NO_FATAL_FAILURE(addSampleHistory(store()));
  HistoryQuery q{.job_id = "j-1", .limit = 3, .all_versions = true};
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage page, store().getHistory(q));
  EXPECT_THAT(seqs(page), ElementsAre(1, 2, 3));
  EXPECT_EQ(page.next_offset, 4u);
  EXPECT_TRUE(page.has_more);

  q.offset = page.next_offset;
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory(q));
  EXPECT_THAT(seqs(page), ElementsAre(4, 5, 6));
  EXPECT_TRUE(page.has_more);

  q.offset = page.next_offset;
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory(q));
  EXPECT_THAT(seqs(page), ElementsAre(7));
  EXPECT_EQ(page.next_offset, 8u);
  EXPECT_FALSE(page.has_more);

  // Past the end: nothing, and the same offset to poll again.
  q.offset = 8;
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory(q));
  EXPECT_TRUE(page.items.empty());
  EXPECT_EQ(page.next_offset, 8u);
  EXPECT_FALSE(page.has_more);

  // has_more counts only items that match the filters.
  STORE_ASSERT_OK_AND_ASSIGN(page, store().getHistory({.job_id = "j-1",
                                                       .limit = 2,
                                                       .event_type = HistoryEventType::kJob,
                                                       .all_versions = true,
                                                       .since = testTime(1)}));
  EXPECT_THAT(seqs(page), ElementsAre(4, 7));
  EXPECT_EQ(page.next_offset, 8u);
  EXPECT_FALSE(page.has_more);
  STORE_ASSERT_OK_AND_ASSIGN(
      page, store().getHistory({.job_id = "j-1", .offset = 2, .limit = 1, .job_version = 1}));
  EXPECT_THAT(seqs(page), ElementsAre(2));
  EXPECT_TRUE(page.has_more);
}

TEST_P(JobStoreConformanceTest, HistoryOfUnknownJobIsNotFound) {
  Status s = store().getHistory({.job_id = "j-none"}).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("j-none"));
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage page, store().getHistory({.job_id = "j-1", .offset = 3}));
  EXPECT_TRUE(page.items.empty());
  EXPECT_EQ(page.next_offset, 3u);
}

// ---------------------------------------------------------------------------------------------
// Nodes

TEST_P(JobStoreConformanceTest, NodesPutGetListDelete) {
  models::NodeState b = testNode("n-b");
  models::NodeState a = testNode("n-a");
  STORE_ASSERT_OK(putNode(b));
  STORE_ASSERT_OK(putNode(a));
  STORE_ASSERT_OK_AND_ASSIGN(models::NodeState got, store().getNode("n-a"));
  EXPECT_EQ(got, a);

  a.membership = models::kMembershipRejected;
  a.connection_state.status = models::kConnectionDisconnected;
  STORE_ASSERT_OK(putNode(a));  // upsert
  STORE_ASSERT_OK_AND_ASSIGN(auto nodes, store().listNodes());
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0], a);
  EXPECT_EQ(nodes[1], b);

  STORE_ASSERT_OK(store().update([](Txn& txn) { return txn.deleteNode("n-b"); }));
  EXPECT_EQ(store().getNode("n-b").status().code(), StatusCode::kNotFound);
  Status s = store().update([](Txn& txn) { return txn.deleteNode("n-b"); });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("n-b"));
  STORE_ASSERT_OK_AND_ASSIGN(nodes, store().listNodes());
  ASSERT_EQ(nodes.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Retention

// Deleting a job removes what was recorded under it, and nothing of another job; its name can be
// taken again. (Its evaluations go by age: deleteEvaluationsBefore.)
TEST_P(JobStoreConformanceTest, DeleteJobRemovesEverythingRecordedAboutIt) {
  for (const char* id : {"j-1", "j-2"}) {
    STORE_ASSERT_OK(store().update([&](Txn& txn) -> Status {
      Job job = testJob(id, 100);
      COD_RETURN_IF_ERROR(txn.createJob(job));
      job.version = 2;
      COD_RETURN_IF_ERROR(txn.updateJob(job));
      Execution e = testExecution(std::string("e-") + id, id, "n-1", 2, 100,
                                  ExecutionStateType::kBidAccepted);
      COD_RETURN_IF_ERROR(txn.createExecution(e));
      COD_RETURN_IF_ERROR(txn.createEvaluation(
          testEvaluation(std::string("ev-") + id, id, models::kEvalStatusPending)));
      JobHistory h = testHistory(id, 2, std::string("e-") + id, testTime(1));
      return txn.addHistory(h);
    }));
  }
  STORE_ASSERT_OK(store().update([](Txn& txn) { return txn.deleteJob("j-1"); }));

  EXPECT_EQ(store().getJob("j-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getJobVersions("j-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getExecution("e-j-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().resolveJob("name-j-1", "").status().code(), StatusCode::kNotFound);
  STORE_ASSERT_OK_AND_ASSIGN(auto active, store().getActiveExecutionsOnNode("n-1"));
  EXPECT_THAT(executionIds(active), ElementsAre("e-j-2"));
  // Evaluations stay (they go by age), the pending one included: the broker still holds it.
  STORE_EXPECT_OK(store().getEvaluation("ev-j-1"));
  STORE_ASSERT_OK_AND_ASSIGN(auto pending, store().getPendingEvaluations());
  EXPECT_EQ(pending.size(), 2u);
  // The other job is whole.
  STORE_EXPECT_OK(store().getJob("j-2"));
  STORE_ASSERT_OK_AND_ASSIGN(auto versions, store().getJobVersions("j-2"));
  EXPECT_EQ(versions.size(), 2u);
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage history,
                             store().getHistory(HistoryQuery{.job_id = "j-2"}));
  EXPECT_EQ(history.items.size(), 1u);

  // A new job may take the name, and starts a history of its own.
  STORE_ASSERT_OK(store().update([](Txn& txn) -> Status {
    Job again = testJob("j-3", 200);
    again.name = "name-j-1";
    return txn.createJob(again);
  }));
  STORE_ASSERT_OK_AND_ASSIGN(Job renamed, store().resolveJob("name-j-1", ""));
  EXPECT_EQ(renamed.id, "j-3");

  Status again = store().update([](Txn& txn) { return txn.deleteJob("j-1"); });
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("j-1"));
}

// A delete in a transaction that fails leaves the job as it was.
TEST_P(JobStoreConformanceTest, DeleteJobInAFailedTransactionIsUndone) {
  STORE_ASSERT_OK(store().update([](Txn& txn) -> Status {
    Job job = testJob("j-1", 100);
    COD_RETURN_IF_ERROR(txn.createJob(job));
    Execution e = testExecution("e-1", "j-1", "n-1", 1, 100, ExecutionStateType::kBidAccepted);
    COD_RETURN_IF_ERROR(txn.createExecution(e));
    COD_RETURN_IF_ERROR(
        txn.createEvaluation(testEvaluation("ev-1", "j-1", models::kEvalStatusPending)));
    JobHistory h = testHistory("j-1", 1, "e-1", testTime(1));
    return txn.addHistory(h);
  }));
  STORE_ASSERT_OK_AND_ASSIGN(Job before, store().getJob("j-1"));
  Status s = store().update([](Txn& txn) -> Status {
    COD_RETURN_IF_ERROR(txn.deleteJob("j-1"));
    return aborted("lost a race");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  STORE_ASSERT_OK_AND_ASSIGN(Job after, store().getJob("j-1"));
  EXPECT_EQ(after, before);
  STORE_ASSERT_OK_AND_ASSIGN(Job by_name, store().resolveJob("name-j-1", ""));
  EXPECT_EQ(by_name.id, "j-1");
  STORE_EXPECT_OK(store().getExecution("e-1"));
  STORE_ASSERT_OK_AND_ASSIGN(auto active, store().getActiveExecutionsOnNode("n-1"));
  EXPECT_THAT(executionIds(active), ElementsAre("e-1"));
  STORE_ASSERT_OK_AND_ASSIGN(auto pending, store().getPendingEvaluations());
  EXPECT_EQ(pending.size(), 1u);
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage history,
                             store().getHistory(HistoryQuery{.job_id = "j-1"}));
  EXPECT_EQ(history.items.size(), 1u);
  // And it can still be deleted.
  STORE_ASSERT_OK(store().update([](Txn& txn) { return txn.deleteJob("j-1"); }));
  EXPECT_EQ(store().getExecution("e-1").status().code(), StatusCode::kNotFound);
}

// Evaluations created before a time go, up to the limit at a time, unless still pending
// (the broker reloads those); one created at the time or later stays. A failed transaction puts
// them back.
TEST_P(JobStoreConformanceTest, EvaluationsBeforeACutOffAreDeletedUnlessPending) {
  SeededRandom random(5);
  Time cutoff = testTime(0);
  auto made = [&](Duration age, const char* status) {
    models::Evaluation e = testEvaluation(newEvaluationId(cutoff - age, random), "j-1", status);
    e.create_time = toUnixNanos(cutoff - age);
    return e;
  };
  models::Evaluation old_done = made(std::chrono::hours(3), models::kEvalStatusComplete);
  models::Evaluation old_pending = made(std::chrono::hours(3), models::kEvalStatusPending);
  models::Evaluation old_failed = made(std::chrono::hours(2), models::kEvalStatusFailed);
  models::Evaluation at_cutoff = made(Duration::zero(), models::kEvalStatusComplete);
  STORE_ASSERT_OK(store().update([&](Txn& txn) -> Status {
    for (const auto* e : {&old_done, &old_pending, &old_failed, &at_cutoff}) {
      COD_RETURN_IF_ERROR(txn.createEvaluation(*e));
    }
    return Status::ok();
  }));
  Status s = store().update([&](Txn& txn) -> Status {
    COD_RETURN_IF_ERROR(txn.deleteEvaluationsBefore(cutoff, 10).status());
    return aborted("lost a race");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  STORE_EXPECT_OK(store().getEvaluation(old_done.id));

  size_t first = 0, second = 0, third = 0;
  STORE_ASSERT_OK(store().update([&](Txn& txn) -> Status {
    COD_ASSIGN_OR_RETURN(first, txn.deleteEvaluationsBefore(cutoff, 1));
    COD_ASSIGN_OR_RETURN(second, txn.deleteEvaluationsBefore(cutoff, 10));
    COD_ASSIGN_OR_RETURN(third, txn.deleteEvaluationsBefore(cutoff, 10));
    return Status::ok();
  }));
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(second, 1u);
  EXPECT_EQ(third, 0u);
  EXPECT_EQ(store().getEvaluation(old_done.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getEvaluation(old_failed.id).status().code(), StatusCode::kNotFound);
  STORE_EXPECT_OK(store().getEvaluation(old_pending.id));
  STORE_EXPECT_OK(store().getEvaluation(at_cutoff.id));
}

// Retention's candidates: jobs that ended and were last modified before the cut-off, up to the
// limit; never one still pending or running.
TEST_P(JobStoreConformanceTest, FinishedJobsBeforeACutOffAreListed) {
  struct Made {
    const char* id;
    JobStateType state;
    int64_t modified;
  };
  const Made made[] = {
      {"j-done", JobStateType::kCompleted, 10},  {"j-failed", JobStateType::kFailed, 20},
      {"j-stopped", JobStateType::kStopped, 30}, {"j-running", JobStateType::kRunning, 10},
      {"j-pending", JobStateType::kPending, 10}, {"j-recent", JobStateType::kCompleted, 500}};
  STORE_ASSERT_OK(store().update([&](Txn& txn) -> Status {
    for (const Made& m : made) {
      Job job = testJob(m.id, 1);
      job.state.state_type = m.state;
      job.modify_time = m.modified;
      COD_RETURN_IF_ERROR(txn.createJob(job));
    }
    return Status::ok();
  }));
  STORE_ASSERT_OK_AND_ASSIGN(auto ids, store().listFinishedJobsBefore(fromUnixNanos(100), 10));
  std::sort(ids.begin(), ids.end());
  EXPECT_THAT(ids, ElementsAre("j-done", "j-failed", "j-stopped"));
  STORE_ASSERT_OK_AND_ASSIGN(ids, store().listFinishedJobsBefore(fromUnixNanos(100), 2));
  EXPECT_EQ(ids.size(), 2u);
  STORE_ASSERT_OK_AND_ASSIGN(ids, store().listFinishedJobsBefore(fromUnixNanos(10), 10));
  EXPECT_TRUE(ids.empty()) << "modified at the cut-off is not before it";
}

}  // namespace
}  // namespace cod::store::conformance
