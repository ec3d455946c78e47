// The conformance suite, part 1: the fixture, model builders, jobs and transactions.
// Part 2 (executions, evaluations, history, nodes) is in job_store_conformance_records.cc.

#include "store/job_store_conformance.h"

#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "models/label_selector.h"

namespace cod::store::conformance {

using models::Job;
using models::JobStateType;
using ::testing::HasSubstr;

std::string storeFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

std::string makeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cod-store-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  COD_CHECK(made != nullptr) << "mkdtemp failed for " << pattern;
  return pattern;
}

Time testTime(int64_t seconds) {
  // 2024-03-01T12:00:00Z plus a few nanoseconds, to catch precision loss.
  return fromUnixNanos(1709294400'000000123 + seconds * 1'000'000'000);
}

Job testJob(const std::string& id, int64_t create_time, const std::string& ns) {
  Job job;
  job.id = id;
  job.name = "name-" + id;
  job.ns = ns;
  job.type = models::kJobTypeBatch;
  job.priority = 10;
  job.count = 1;
  job.meta = {{"bacalhau.org/requester.id", "n-requester"}};
  job.labels = {{"env", "test"}};
  job.constraints = {{"zone", "in", {"a", "b"}}};
  models::Task task;
  task.name = "main";
  task.engine.type = "docker";
  task.engine.params["Image"] = "busybox:1.37.0";
  task.engine.params["Entrypoint"] = boost::json::array{"echo", "hi"};
  task.publisher.type = "local";
  task.env = {{"GREETING", "hello"}};
  task.resources.cpu = "500m";
  task.resources.memory = "64mb";
  task.timeouts.execution_timeout = 600;
  job.tasks.push_back(std::move(task));
  job.state.state_type = JobStateType::kPending;
  job.state.message = "submitted";
  job.version = 1;
  job.create_time = create_time;
  job.modify_time = create_time;
  return job;
}

models::Execution testExecution(const std::string& id, const std::string& job_id,
                                const std::string& node_id, uint64_t job_version,
                                int64_t create_time, models::ExecutionStateType state) {
  models::Execution e;
  e.id = id;
  e.ns = models::kDefaultNamespace;
  e.job_id = job_id;
  e.eval_id = "eval-for-" + id;
  e.node_id = node_id;
  e.job_version = job_version;
  e.allocated_resources.tasks["main"].cpu = 0.5;
  e.allocated_resources.tasks["main"].memory = 64'000'000;
  e.desired_state.state_type = models::ExecutionDesiredStateType::kRunning;
  e.compute_state.state_type = state;
  e.compute_state.message = "state message";
  e.partition_index = 0;
  e.create_time = create_time;
  e.modify_time = create_time + 5;
  return e;
}

models::Evaluation testEvaluation(const std::string& id, const std::string& job_id,
                                  const std::string& status) {
  models::Evaluation eval;
  eval.id = id;
  eval.ns = models::kDefaultNamespace;
  eval.job_id = job_id;
  eval.triggered_by = models::kEvalTriggerJobRegister;
  eval.priority = 10;
  eval.type = models::kJobTypeBatch;
  eval.status = status;
  eval.comment = "comment";
  eval.wait_until = testTime(30);
  eval.create_time = 100;
  eval.modify_time = 200;
  return eval;
}

models::JobHistory testHistory(const std::string& job_id, uint64_t job_version,
                               const std::string& execution_id, Time time) {
  models::JobHistory h;
  h.type = execution_id.empty() ? models::JobHistoryType::kJobLevel
                                : models::JobHistoryType::kExecutionLevel;
  h.job_id = job_id;
  h.job_version = job_version;
  h.execution_id = execution_id;
  h.event.message = "event at " + formatRfc3339(time);
  h.event.topic = models::kTopicStateUpdate;
  h.event.timestamp = time;
  h.event.details = {{models::kDetailNewState, "Running"}};
  h.time = time;
  return h;
}

models::NodeState testNode(const std::string& id) {
  models::NodeState node;
  node.info.node_id = id;
  node.info.node_type = models::kNodeTypeCompute;
  node.info.labels = {{"os_type", "linux"}};
  node.info.supported_protocols = {"ncl/v1"};
  node.info.compute_node_info.execution_engines = {"docker"};
  node.info.compute_node_info.max_capacity.cpu = 4;
  node.info.bacalhau_version.git_version = "v1.5.0";
  node.info.bacalhau_version.build_date = testTime(0);
  node.connection_state.status = models::kConnectionConnected;
  node.connection_state.last_heartbeat = testTime(1);
  node.connection_state.connected_since = testTime(0);
  node.connection_state.disconnected_since = testTime(0);
  return node;
}

void JobStoreConformanceTest::SetUp() {
  dir_ = makeTempDir();
  store_ = GetParam().make(dir_);
  ASSERT_NE(store_, nullptr);
}

void JobStoreConformanceTest::TearDown() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status JobStoreConformanceTest::createJob(Job& job) {
  return store_->update([&](Txn& txn) { return txn.createJob(job); });
}
Status JobStoreConformanceTest::updateJob(Job& job) {
  return store_->update([&](Txn& txn) { return txn.updateJob(job); });
}
void JobStoreConformanceTest::createFiveJobsOutOfOrder() {
  // A tie on create time, broken by ID.
  for (auto [id, t] : std::vector<std::pair<std::string, int64_t>>{
           {"j-c", 300}, {"j-a", 100}, {"j-e", 200}, {"j-d", 200}, {"j-b", 400}}) {
    Job job = testJob(id, t);
    job.modify_time = 1000 - t;
    STORE_ASSERT_OK(createJob(job));
  }
}
Status JobStoreConformanceTest::createExecution(models::Execution& execution) {
  return store_->update([&](Txn& txn) { return txn.createExecution(execution); });
}
Status JobStoreConformanceTest::updateExecution(models::Execution& execution) {
  return store_->update([&](Txn& txn) { return txn.updateExecution(execution); });
}
Status JobStoreConformanceTest::createEvaluation(const models::Evaluation& eval) {
  return store_->update([&](Txn& txn) { return txn.createEvaluation(eval); });
}
Status JobStoreConformanceTest::addHistory(models::JobHistory& entry) {
  return store_->update([&](Txn& txn) { return txn.addHistory(entry); });
}
Status JobStoreConformanceTest::putNode(const models::NodeState& node) {
  return store_->update([&](Txn& txn) { return txn.putNode(node); });
}

namespace {

std::vector<std::string> ids(const std::vector<Job>& jobs) {
  std::vector<std::string> out;
  for (const Job& job : jobs) out.push_back(job.id);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Jobs

TEST_P(JobStoreConformanceTest, CreateJobStoresRevisionOneAndFirstVersion) {
  Job job = testJob("j-1", 1000);
  job.revision = 7;  // the store owns revisions
  STORE_ASSERT_OK(createJob(job));
  EXPECT_EQ(job.revision, 1u);

  STORE_ASSERT_OK_AND_ASSIGN(Job got, store().getJob("j-1"));
  EXPECT_EQ(got, job);
  STORE_ASSERT_OK_AND_ASSIGN(Job v1, store().getJobVersion("j-1", 1));
  EXPECT_EQ(v1, job);
  STORE_ASSERT_OK_AND_ASSIGN(auto versions, store().getJobVersions("j-1"));
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0], job);
}

TEST_P(JobStoreConformanceTest, CreateJobRejectsTakenIdOrName) {
  Job job = testJob("j-1", 1000);
  STORE_ASSERT_OK(createJob(job));

  Job same_id = testJob("j-1", 2000);
  same_id.name = "other";
  Status s = createJob(same_id);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.toString();
  EXPECT_THAT(s.message(), HasSubstr("j-1"));

  Job same_name = testJob("j-2", 2000);
  same_name.name = job.name;
  s = createJob(same_name);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.toString();
  EXPECT_THAT(s.message(), HasSubstr(job.name));
  EXPECT_EQ(s.component(), "JobStore");

  // The same name in another namespace is a different job.
  Job other_ns = testJob("j-3", 3000, "team-b");
  other_ns.name = job.name;
  STORE_EXPECT_OK(createJob(other_ns));
  EXPECT_EQ(store().getJob("j-2").status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, UnknownJobIsNotFound) {
  Status s = store().getJob("j-missing").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("j-missing"));
  EXPECT_EQ(store().getJobVersion("j-missing", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getJobVersions("j-missing").status().code(), StatusCode::kNotFound);
  Job job = testJob("j-missing", 1);
  job.revision = 1;
  EXPECT_EQ(updateJob(job).code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, UpdateJobChecksAndBumpsRevision) {
  Job job = testJob("j-1", 1000);
  STORE_ASSERT_OK(createJob(job));
  Job stale = job;

  job.state.state_type = JobStateType::kRunning;
  job.modify_time = 2000;
  STORE_ASSERT_OK(updateJob(job));
  EXPECT_EQ(job.revision, 2u);
  STORE_ASSERT_OK_AND_ASSIGN(Job got, store().getJob("j-1"));
  EXPECT_EQ(got, job);

  stale.state.state_type = JobStateType::kFailed;
  Status s = updateJob(stale);
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.toString();
  EXPECT_THAT(s.message(), HasSubstr("revision conflict: expected 1, stored 2"));
  EXPECT_EQ(stale.revision, 1u);
  STORE_ASSERT_OK_AND_ASSIGN(got, store().getJob("j-1"));
  EXPECT_EQ(got.state.state_type, JobStateType::kRunning);

  // The version did not change, so no new snapshot.
  STORE_ASSERT_OK_AND_ASSIGN(auto versions, store().getJobVersions("j-1"));
  EXPECT_EQ(versions.size(), 1u);
}

TEST_P(JobStoreConformanceTest, UpdateJobWithNewVersionRecordsIt) {
  Job job = testJob("j-1", 1000);
  STORE_ASSERT_OK(createJob(job));
  Job v1 = job;

  job.version = 2;
  job.task().engine.params["Image"] = "alpine:3";
  STORE_ASSERT_OK(updateJob(job));

  STORE_ASSERT_OK_AND_ASSIGN(auto versions, store().getJobVersions("j-1"));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0], v1);
  EXPECT_EQ(versions[1], job);
  STORE_ASSERT_OK_AND_ASSIGN(Job got_v1, store().getJobVersion("j-1", 1));
  EXPECT_EQ(got_v1.task().engine.params.at("Image"), "busybox:1.37.0");
  STORE_ASSERT_OK_AND_ASSIGN(Job got_v2, store().getJobVersion("j-1", 2));
  EXPECT_EQ(got_v2, job);
  EXPECT_EQ(store().getJobVersion("j-1", 3).status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, UpdateJobCannotTakeAnotherJobsName) {
  Job a = testJob("j-a", 1);
  Job b = testJob("j-b", 2);
  STORE_ASSERT_OK(createJob(a));
  STORE_ASSERT_OK(createJob(b));
  b.name = a.name;
  EXPECT_EQ(updateJob(b).code(), StatusCode::kAlreadyExists);
  b.name = "renamed";
  b.revision = 1;
  STORE_ASSERT_OK(updateJob(b));
  STORE_ASSERT_OK_AND_ASSIGN(Job got, store().resolveJob("renamed", ""));
  EXPECT_EQ(got.id, "j-b");
  EXPECT_EQ(store().resolveJob("name-j-b", "").status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, ResolveJobByIdNameOrUniquePrefix) {
  Job a = testJob("j-aaa111", 1);
  Job b = testJob("j-aab222", 2, "team-b");
  b.name = "nightly";
  Job c = testJob("j-bbb333", 3);
  c.name = "nightly";
  for (Job* job : {&a, &b, &c}) STORE_ASSERT_OK(createJob(*job));

  STORE_ASSERT_OK_AND_ASSIGN(Job got, store().resolveJob("j-aaa111", "team-b"));
  EXPECT_EQ(got.id, "j-aaa111");  // a full ID wins in any namespace
  STORE_ASSERT_OK_AND_ASSIGN(got, store().resolveJob("nightly", ""));
  EXPECT_EQ(got.id, "j-bbb333");  // "" = default namespace for names
  STORE_ASSERT_OK_AND_ASSIGN(got, store().resolveJob("nightly", "team-b"));
  EXPECT_EQ(got.id, "j-aab222");
  STORE_ASSERT_OK_AND_ASSIGN(got, store().resolveJob("j-aaa", ""));
  EXPECT_EQ(got.id, "j-aaa111");
  STORE_ASSERT_OK_AND_ASSIGN(got, store().resolveJob("j-b", ""));
  EXPECT_EQ(got.id, "j-bbb333");
  // Prefixes are scoped to the namespace when one is given.
  STORE_ASSERT_OK_AND_ASSIGN(got, store().resolveJob("j-aa", "team-b"));
  EXPECT_EQ(got.id, "j-aab222");
  EXPECT_EQ(store().resolveJob("j-b", "team-b").status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformanceTest, ResolveJobAmbiguousPrefixNamesTheMatches) {
  Job a = testJob("j-aaa111", 1);
  Job b = testJob("j-aab222", 2, "team-b");
  STORE_ASSERT_OK(createJob(a));
  STORE_ASSERT_OK(createJob(b));
  Status s = store().resolveJob("j-aa", "").status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.toString();
  EXPECT_EQ(s.errorCode(), "MultipleJobsFound");
  EXPECT_THAT(s.message(), HasSubstr("j-aaa111"));
  EXPECT_THAT(s.message(), HasSubstr("j-aab222"));
}

TEST_P(JobStoreConformanceTest, ResolveJobUnknownOrEmpty) {
  Job a = testJob("j-aaa111", 1);
  STORE_ASSERT_OK(createJob(a));
  Status s = store().resolveJob("j-zzz", "").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "job not found: j-zzz");
  StatusCode empty = store().resolveJob("", "").status().code();
  EXPECT_TRUE(empty == StatusCode::kNotFound || empty == StatusCode::kInvalidArgument);
}

TEST_P(JobStoreConformanceTest, ListJobsOrdersByCreateTimeThenId) {
  ASSERT_NO_FATAL_FAILURE(createFiveJobsOutOfOrder());
  for (const char* order : {"", "created_at", "create_time"}) {
    STORE_ASSERT_OK_AND_ASSIGN(JobList list, store().listJobs({.order_by = order}));
    EXPECT_THAT(ids(list.items), ::testing::ElementsAre("j-a", "j-d", "j-e", "j-c", "j-b"))
        << order;
    EXPECT_FALSE(list.has_more);
  }
  STORE_ASSERT_OK_AND_ASSIGN(JobList reversed, store().listJobs({.reverse = true}));
  EXPECT_THAT(ids(reversed.items), ::testing::ElementsAre("j-b", "j-c", "j-e", "j-d", "j-a"));
  for (const char* order : {"modified_at", "modify_time"}) {
    STORE_ASSERT_OK_AND_ASSIGN(JobList list, store().listJobs({.order_by = order}));
    EXPECT_THAT(ids(list.items), ::testing::ElementsAre("j-b", "j-c", "j-d", "j-e", "j-a"))
        << order;
  }
}

TEST_P(JobStoreConformanceTest, ListJobsStartsAfterACursor) {
  ASSERT_NO_FATAL_FAILURE(createFiveJobsOutOfOrder());
  // Order j-a(100) j-d(200) j-e(200) j-c(300) j-b(400): the ID breaks the tie at the cursor too.
  STORE_ASSERT_OK_AND_ASSIGN(JobList after_d, store().listJobs({.after = {{200, "j-d"}}}));
  EXPECT_THAT(ids(after_d.items), ::testing::ElementsAre("j-e", "j-c", "j-b"));
  STORE_ASSERT_OK_AND_ASSIGN(JobList before_e,
                             store().listJobs({.reverse = true, .after = {{200, "j-e"}}}));
  EXPECT_THAT(ids(before_e.items), ::testing::ElementsAre("j-d", "j-a"));
  // A cursor need not be a stored job; by modify time it compares modify times.
  STORE_ASSERT_OK_AND_ASSIGN(JobList by_modify,
                             store().listJobs({.order_by = "modified_at", .after = {{750, ""}}}));
  EXPECT_THAT(ids(by_modify.items), ::testing::ElementsAre("j-d", "j-e", "j-a"));
  STORE_ASSERT_OK_AND_ASSIGN(JobList paged,
                             store().listJobs({.after = {{100, "j-a"}}, .offset = 1, .limit = 2}));
  EXPECT_THAT(ids(paged.items), ::testing::ElementsAre("j-e", "j-c"));
  EXPECT_TRUE(paged.has_more);
}

// What the orchestrator's housekeeping, recovery and node joins use to read every unfinished job
// without holding them all.
TEST_P(JobStoreConformanceTest, ForEachJobWalksEveryMatchPageByPage) {
  std::vector<std::string> unfinished;
  for (int i = 0; i < 11; ++i) {
    char id[16];
    snprintf(id, sizeof(id), "j-%02d", i);
    // Create-time ties across page boundaries, and finished jobs between unfinished ones.
    Job job = testJob(id, 100 + i / 2);
    job.state.state_type = i % 3 == 0 ? JobStateType::kCompleted : JobStateType::kQueued;
    if (i % 3 != 0) unfinished.emplace_back(id);
    STORE_ASSERT_OK(createJob(job));
  }
  for (size_t page : {1u, 2u, 3u, 100u}) {
    std::vector<std::string> seen;
    STORE_ASSERT_OK(
        forEachJob(store(), {.states = {JobStateType::kQueued}}, page, [&](const Job& job) {
          seen.push_back(job.id);
          return Status::ok();
        }));
    EXPECT_EQ(seen, unfinished) << "page " << page;
  }
  // The callback's first error ends the walk and is returned.
  int calls = 0;
  Status stopped = forEachJob(store(), {}, 2, [&](const Job&) {
    return ++calls == 3 ? cancelled("enough") : Status::ok();
  });
  EXPECT_EQ(stopped.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);
}

TEST_P(JobStoreConformanceTest, ListJobsRejectsUnknownOrder) {
  Status s = store().listJobs({.order_by = "id"}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid order_by \"id\": use created_at or modified_at");
}

TEST_P(JobStoreConformanceTest, ListJobsFiltersByNamespace) {
  Job a = testJob("j-a", 1);
  Job b = testJob("j-b", 2, "team-b");
  STORE_ASSERT_OK(createJob(a));
  STORE_ASSERT_OK(createJob(b));
  for (const char* ns : {"", "*"}) {
    STORE_ASSERT_OK_AND_ASSIGN(JobList all, store().listJobs({.ns = ns}));
    EXPECT_THAT(ids(all.items), ::testing::ElementsAre("j-a", "j-b")) << ns;
  }
  STORE_ASSERT_OK_AND_ASSIGN(JobList only_b, store().listJobs({.ns = "team-b"}));
  EXPECT_THAT(ids(only_b.items), ::testing::ElementsAre("j-b"));
  STORE_ASSERT_OK_AND_ASSIGN(JobList none, store().listJobs({.ns = "nobody"}));
  EXPECT_TRUE(none.items.empty());
  EXPECT_FALSE(none.has_more);
}

TEST_P(JobStoreConformanceTest, ListJobsPagesOver25Jobs) {
  for (int i = 0; i < 25; ++i) {
    char id[16];
    snprintf(id, sizeof(id), "j-%02d", i);
    Job job = testJob(id, 1000 + i);
    STORE_ASSERT_OK(createJob(job));
  }
  std::vector<std::string> seen;
  uint64_t offset = 0;
  std::vector<bool> has_more;
  while (true) {
    STORE_ASSERT_OK_AND_ASSIGN(JobList page, store().listJobs({.offset = offset, .limit = 10}));
    for (const Job& job : page.items) seen.push_back(job.id);
    has_more.push_back(page.has_more);
    offset += page.items.size();
    if (!page.has_more) break;
    ASSERT_LT(has_more.size(), 5u);
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_THAT(has_more, ::testing::ElementsAre(true, true, false));

  STORE_ASSERT_OK_AND_ASSIGN(JobList exact, store().listJobs({.offset = 15, .limit = 10}));
  EXPECT_EQ(exact.items.size(), 10u);
  EXPECT_FALSE(exact.has_more);
  STORE_ASSERT_OK_AND_ASSIGN(JobList past, store().listJobs({.offset = 40, .limit = 10}));
  EXPECT_TRUE(past.items.empty());
  EXPECT_FALSE(past.has_more);
  STORE_ASSERT_OK_AND_ASSIGN(JobList last, store().listJobs({.reverse = true, .limit = 1}));
  EXPECT_THAT(ids(last.items), ::testing::ElementsAre("j-24"));
  EXPECT_TRUE(last.has_more);
}

TEST_P(JobStoreConformanceTest, ListJobsFiltersLabelsAndStatesBeforePaging) {
  for (int i = 0; i < 10; ++i) {
    Job job = testJob("j-" + std::to_string(i), 100 + i);
    job.labels = {{"tier", i % 2 == 0 ? "web" : "db"}};
    if (i == 4) job.labels["bacalhau_canary"] = "true";
    job.state.state_type = i < 6 ? JobStateType::kRunning : JobStateType::kCompleted;
    STORE_ASSERT_OK(createJob(job));
  }
  auto selector = models::LabelSelector::parse("tier=web,bacalhau_canary!=true");
  ASSERT_TRUE(selector.isOk()) << selector.status().toString();
  STORE_ASSERT_OK_AND_ASSIGN(JobList web, store().listJobs({.selector = *selector}));
  EXPECT_THAT(ids(web.items), ::testing::ElementsAre("j-0", "j-2", "j-6", "j-8"));

  STORE_ASSERT_OK_AND_ASSIGN(JobList page,
                             store().listJobs({.selector = *selector, .offset = 1, .limit = 2}));
  EXPECT_THAT(ids(page.items), ::testing::ElementsAre("j-2", "j-6"));
  EXPECT_TRUE(page.has_more);

  STORE_ASSERT_OK_AND_ASSIGN(
      JobList running,
      store().listJobs({.selector = *selector, .states = {JobStateType::kRunning}}));
  EXPECT_THAT(ids(running.items), ::testing::ElementsAre("j-0", "j-2"));
  STORE_ASSERT_OK_AND_ASSIGN(
      JobList done,
      store().listJobs({.states = {JobStateType::kCompleted, JobStateType::kFailed}, .limit = 3}));
  EXPECT_THAT(ids(done.items), ::testing::ElementsAre("j-6", "j-7", "j-8"));
  EXPECT_TRUE(done.has_more);
  auto by_key = models::LabelSelector::fromRequirements({{"tier", "in", {"db"}}});
  STORE_ASSERT_OK_AND_ASSIGN(JobList db,
                             store().listJobs({.reverse = true, .selector = by_key, .limit = 2}));
  EXPECT_THAT(ids(db.items), ::testing::ElementsAre("j-9", "j-7"));
}

// ---------------------------------------------------------------------------------------------
// Transactions

TEST_P(JobStoreConformanceTest, FailedTransactionWritesNothing) {
  Status s = store().update([&](Txn& txn) -> Status {
    Job job = testJob("j-1", 1);
    COD_RETURN_IF_ERROR(txn.createJob(job));
    models::Execution e = testExecution("e-1", "j-1", "n-1", 1, 1);
    COD_RETURN_IF_ERROR(txn.createExecution(e));
    COD_RETURN_IF_ERROR(txn.createEvaluation(testEvaluation("ev-1", "j-1", "pending")));
    models::JobHistory h = testHistory("j-1", 1, "", testTime(0));
    COD_RETURN_IF_ERROR(txn.addHistory(h));
    COD_RETURN_IF_ERROR(txn.putNode(testNode("n-1")));
    return failedPrecondition("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "changed my mind");

  EXPECT_EQ(store().getJob("j-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().resolveJob("name-j-1", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getJobVersions("j-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getExecution("e-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getEvaluation("ev-1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().getNode("n-1").status().code(), StatusCode::kNotFound);
  STORE_ASSERT_OK_AND_ASSIGN(auto active, store().getActiveExecutionsOnNode("n-1"));
  EXPECT_TRUE(active.empty());
  STORE_ASSERT_OK_AND_ASSIGN(auto pending, store().getPendingEvaluations());
  EXPECT_TRUE(pending.empty());
  STORE_ASSERT_OK_AND_ASSIGN(JobList list, store().listJobs({}));
  EXPECT_TRUE(list.items.empty());

  // The same writes succeed afterwards, and history numbering starts again at 1.
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  models::JobHistory h = testHistory("j-1", 1, "", testTime(0));
  STORE_ASSERT_OK(addHistory(h));
  EXPECT_EQ(h.seq_num, 1u);
}

TEST_P(JobStoreConformanceTest, FailedTransactionUndoesUpdatesAndDeletes) {
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  models::Execution e = testExecution("e-1", "j-1", "n-1", 1, 1);
  STORE_ASSERT_OK(createExecution(e));
  models::Evaluation eval = testEvaluation("ev-1", "j-1", models::kEvalStatusPending);
  STORE_ASSERT_OK(createEvaluation(eval));
  models::NodeState node = testNode("n-1");
  STORE_ASSERT_OK(putNode(node));
  models::JobHistory h1 = testHistory("j-1", 1, "", testTime(0));
  STORE_ASSERT_OK(addHistory(h1));

  Status s = store().update([&](Txn& txn) -> Status {
    Job changed = job;
    changed.version = 2;
    changed.name = "renamed";
    changed.state.state_type = JobStateType::kFailed;
    COD_RETURN_IF_ERROR(txn.updateJob(changed));
    models::Execution done = e;
    done.compute_state.state_type = models::ExecutionStateType::kCompleted;
    done.node_id = "n-2";
    COD_RETURN_IF_ERROR(txn.updateExecution(done));
    models::Evaluation complete = eval;
    complete.status = models::kEvalStatusComplete;
    COD_RETURN_IF_ERROR(txn.updateEvaluation(complete));
    COD_RETURN_IF_ERROR(txn.deleteNode("n-1"));
    COD_RETURN_IF_ERROR(txn.putNode(testNode("n-2")));
    models::JobHistory h2 = testHistory("j-1", 2, "e-1", testTime(1));
    COD_RETURN_IF_ERROR(txn.addHistory(h2));
    return aborted("lost a race");
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);

  STORE_ASSERT_OK_AND_ASSIGN(Job got, store().getJob("j-1"));
  EXPECT_EQ(got, job);
  STORE_ASSERT_OK_AND_ASSIGN(got, store().resolveJob("name-j-1", ""));
  EXPECT_EQ(got.id, "j-1");
  STORE_ASSERT_OK_AND_ASSIGN(auto versions, store().getJobVersions("j-1"));
  EXPECT_EQ(versions.size(), 1u);
  STORE_ASSERT_OK_AND_ASSIGN(models::Execution got_e, store().getExecution("e-1"));
  EXPECT_EQ(got_e, e);
  STORE_ASSERT_OK_AND_ASSIGN(auto active, store().getActiveExecutionsOnNode("n-1"));
  EXPECT_EQ(active.size(), 1u);
  STORE_ASSERT_OK_AND_ASSIGN(models::Evaluation got_eval, store().getEvaluation("ev-1"));
  EXPECT_EQ(got_eval, eval);
  STORE_ASSERT_OK_AND_ASSIGN(auto pending, store().getPendingEvaluations());
  EXPECT_EQ(pending.size(), 1u);
  STORE_ASSERT_OK_AND_ASSIGN(auto nodes, store().listNodes());
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0], node);
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage history,
                             store().getHistory({.job_id = "j-1", .all_versions = true}));
  EXPECT_EQ(history.items.size(), 1u);
  models::JobHistory h3 = testHistory("j-1", 1, "", testTime(2));
  STORE_ASSERT_OK(addHistory(h3));
  EXPECT_EQ(h3.seq_num, 2u);
}

TEST_P(JobStoreConformanceTest, TransactionReadsItsOwnWrites) {
  Status s = store().update([&](Txn& txn) -> Status {
    Job job = testJob("j-1", 1);
    COD_RETURN_IF_ERROR(txn.createJob(job));
    COD_ASSIGN_OR_RETURN(Job read, txn.getJob("j-1"));
    EXPECT_EQ(read, job);
    COD_ASSIGN_OR_RETURN(Job by_name, txn.getJobByName("default", "name-j-1"));
    EXPECT_EQ(by_name.id, "j-1");
    EXPECT_EQ(txn.getJobByName("team-b", "name-j-1").status().code(), StatusCode::kNotFound);

    job.version = 2;
    COD_RETURN_IF_ERROR(txn.updateJob(job));
    COD_ASSIGN_OR_RETURN(read, txn.getJob("j-1"));
    EXPECT_EQ(read.revision, 2u);
    EXPECT_EQ(read.version, 2u);

    models::Execution e1 = testExecution("e-1", "j-1", "n-1", 1, 10);
    models::Execution e2 = testExecution("e-2", "j-1", "n-1", 2, 20);
    COD_RETURN_IF_ERROR(txn.createExecution(e1));
    COD_RETURN_IF_ERROR(txn.createExecution(e2));
    e2.compute_state.state_type = models::ExecutionStateType::kRunning;
    COD_RETURN_IF_ERROR(txn.updateExecution(e2));
    COD_ASSIGN_OR_RETURN(models::Execution read_e, txn.getExecution("e-2"));
    EXPECT_EQ(read_e, e2);
    COD_ASSIGN_OR_RETURN(auto latest, txn.getExecutions({.job_id = "j-1"}));
    EXPECT_EQ(latest.size(), 1u);
    COD_ASSIGN_OR_RETURN(auto all, txn.getExecutions({.job_id = "j-1", .all_versions = true}));
    EXPECT_EQ(all.size(), 2u);

    models::Evaluation eval = testEvaluation("ev-1", "j-1", models::kEvalStatusPending);
    COD_RETURN_IF_ERROR(txn.createEvaluation(eval));
    eval.status = models::kEvalStatusComplete;
    COD_RETURN_IF_ERROR(txn.updateEvaluation(eval));
    COD_ASSIGN_OR_RETURN(models::Evaluation read_eval, txn.getEvaluation("ev-1"));
    EXPECT_EQ(read_eval, eval);

    models::JobHistory h1 = testHistory("j-1", 2, "", testTime(0));
    models::JobHistory h2 = testHistory("j-1", 2, "e-2", testTime(1));
    COD_RETURN_IF_ERROR(txn.addHistory(h1));
    COD_RETURN_IF_ERROR(txn.addHistory(h2));
    EXPECT_EQ(h1.seq_num, 1u);
    EXPECT_EQ(h2.seq_num, 2u);
    return Status::ok();
  });
  STORE_ASSERT_OK(s);
  STORE_ASSERT_OK_AND_ASSIGN(Job job, store().getJob("j-1"));
  EXPECT_EQ(job.revision, 2u);
}

TEST_P(JobStoreConformanceTest, FailedWriteInsideCommittedTransactionChangesNothing) {
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(createJob(job));
  Status s = store().update([&](Txn& txn) -> Status {
    Job dup = testJob("j-1", 5);
    dup.name = "dup";
    EXPECT_EQ(txn.createJob(dup).code(), StatusCode::kAlreadyExists);
    Job stale = job;
    stale.revision = 9;
    stale.name = "stale";
    EXPECT_EQ(txn.updateJob(stale).code(), StatusCode::kAborted);
    EXPECT_EQ(txn.deleteNode("n-none").code(), StatusCode::kNotFound);
    EXPECT_EQ(txn.updateEvaluation(testEvaluation("ev-none", "j-1", "pending")).code(),
              StatusCode::kNotFound);
    Job other = testJob("j-2", 2);
    return txn.createJob(other);
  });
  STORE_ASSERT_OK(s);
  STORE_ASSERT_OK_AND_ASSIGN(Job got, store().getJob("j-1"));
  EXPECT_EQ(got, job);
  EXPECT_EQ(store().resolveJob("dup", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().resolveJob("stale", "").status().code(), StatusCode::kNotFound);
  STORE_EXPECT_OK(store().getJob("j-2"));
}

// Readers running beside a writer see whole transactions: never a job without the execution
// committed with it, never fewer jobs than before.
TEST_P(JobStoreConformanceTest, ConcurrentReadersSeeWholeTransactions) {
  constexpr int kJobs = 100;
  std::atomic<bool> writer_done{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 0; i < kJobs; ++i) {
      Status s = store().update([&](Txn& txn) -> Status {
        Job job = testJob(fmt::format("j-{:04}", i), i);
        COD_RETURN_IF_ERROR(txn.createJob(job));
        models::Execution e = testExecution("e-" + job.id, job.id, "n-1", 1, i);
        return txn.createExecution(e);
      });
      if (!s.isOk()) ++failures;
    }
    writer_done = true;
  });
  auto reader = [&] {
    size_t seen = 0;
    bool last_round = false;
    while (!last_round) {
      last_round = writer_done.load();
      auto list = store().listJobs({});
      if (!list.isOk() || list->items.size() < seen) {
        ++failures;
        return;
      }
      seen = list->items.size();
      if (seen == 0) continue;
      auto executions = store().getExecutions({.job_id = list->items.back().id});
      if (!executions.isOk() || executions->size() != 1) {
        ++failures;
        return;
      }
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader);
  writer.join();
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  STORE_ASSERT_OK_AND_ASSIGN(JobList list, store().listJobs({}));
  EXPECT_EQ(list.items.size(), static_cast<size_t>(kJobs));
}

}  // namespace
}  // namespace cod::store::conformance
