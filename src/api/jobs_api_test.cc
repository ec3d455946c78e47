// The job endpoints over a real socket (reference/bacalhau-api.md §2 rows 1–9).

#include <set>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_test_fixture.h"
#include "common/ids.h"
#include "common/strings.h"

namespace cod::api {
namespace {

using testing::ApiFixture;
using testing::TestHttpClient;
using testing::TestResponse;
using testing::urlEncode;

namespace json = boost::json;

constexpr const char* kJobs = "/api/v1/orchestrator/jobs";

std::string str(const json::value& v) { return std::string(v.as_string()); }

void expectError(const TestResponse& res, int status, const std::string& code,
                 const std::string& message_part) {
  EXPECT_EQ(res.status, status) << res.body;
  json::value body = res.json();
  ASSERT_TRUE(body.is_object()) << res.body;
  EXPECT_EQ(body.at("Status").as_int64(), status);
  EXPECT_EQ(str(body.at("Code")), code) << res.body;
  EXPECT_NE(str(body.at("Message")).find(message_part), std::string::npos) << res.body;
  EXPECT_TRUE(body.as_object().contains("Component"));
  EXPECT_TRUE(body.as_object().contains("RequestID"));
}

class JobsApiTest : public ApiFixture {
 protected:
  std::vector<std::string> listIds(const std::string& query, std::string* next = nullptr) {
    TestResponse res = client_->get(std::string(kJobs) + query);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> ids;
    json::value body = res.json();
    if (!body.is_object()) return ids;
    for (const auto& item : body.at("Items").as_array()) ids.push_back(str(item.at("Name")));
    if (next) *next = str(body.at("NextToken"));
    return ids;
  }

  // Reads the history from `token` on, returning the items' SeqNums and the new token.
  std::vector<int64_t> readHistory(const std::string& id, const std::string& query,
                                   std::string* token) {
    std::string target = std::string(kJobs) + "/" + id + "/history?" + query;
    if (!token->empty()) target += "&next_token=" + *token;
    TestResponse res = client_->get(target);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<int64_t> seqs;
    json::value body = res.json();
    if (!body.is_object()) return seqs;
    for (const auto& item : body.at("Items").as_array()) {
      seqs.push_back(item.at("SeqNum").to_number<int64_t>());
    }
    *token = str(body.at("NextToken"));
    return seqs;
  }
};

TEST_F(JobsApiTest, SubmitReturnsIdsAndRecordsClientMeta) {
  TestResponse res = client_->request(
      "PUT", kJobs, jobBody("hello"),
      {{"X-Bacalhau-InstallationID", "inst-1"}, {"X-Bacalhau-InstanceID", "run-9"}});
  ASSERT_EQ(res.status, 200) << res.body;
  json::value body = res.json();
  std::string id = str(body.at("JobID"));
  EXPECT_TRUE(startsWith(id, "j-"));
  EXPECT_FALSE(str(body.at("EvaluationID")).empty());
  EXPECT_TRUE(body.at("Warnings").is_null());

  TestResponse got = client_->get(std::string(kJobs) + "/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  json::value job = got.json().at("Job");
  EXPECT_EQ(str(job.at("Name")), "hello");
  EXPECT_EQ(str(job.at("State").at("StateType")), "Pending");
  EXPECT_EQ(str(job.at("Meta").at("bacalhau.org/client.installation.id")), "inst-1");
  EXPECT_EQ(str(job.at("Meta").at("bacalhau.org/client.instance.id")), "run-9");
  EXPECT_FALSE(got.json().as_object().contains("History"));
  EXPECT_FALSE(got.json().as_object().contains("Executions"));
}

TEST_F(JobsApiTest, PostSubmitsAndKeysAreCaseInsensitive) {
  std::string body = R"({"job":{"name":"lower","type":"batch","tasks":[{"name":"main",)"
                     R"("engine":{"type":"docker","params":{"Image":"busybox"}}}]},"force":false,)"
                     R"("Namespace":"","Credential":null,"IdempotencyToken":""})";
  TestResponse res = client_->post(kJobs, body);
  ASSERT_EQ(res.status, 200) << res.body;
}

TEST_F(JobsApiTest, SubmitWarningsAreAnArray) {
  std::string body =
      R"({"Job":{"Name":"w","Type":"batch","State":{"StateType":"Running"},)"
      R"("Tasks":[{"Name":"main","Engine":{"Type":"docker","Params":{"Image":"b"}}}]}})";
  TestResponse res = client_->put(kJobs, body);
  ASSERT_EQ(res.status, 200) << res.body;
  ASSERT_TRUE(res.json().at("Warnings").is_array());
  EXPECT_FALSE(res.json().at("Warnings").as_array().empty());
}

TEST_F(JobsApiTest, MalformedBodiesAre400) {
  expectError(client_->put(kJobs, R"({"Job": {"Type": "batch",)"), 400, "BadRequest", "line");
  expectError(client_->put(kJobs, "[1,2]"), 400, "BadRequest", "JSON object");
  expectError(client_->put(kJobs, "{}"), 400, "BadRequest", "missing Job");
  expectError(client_->put(kJobs, R"({"Job":null})"), 400, "BadRequest", "missing Job");
  expectError(client_->put(kJobs, R"({"Job":{},"Force":"yes"})"), 400, "BadRequest", "Force");
}

// A body under the size limit can still be a huge tree ("[0,0,…]" is ~8 times its text in
// memory): reading it stops at kMaxBodyJsonMemory with a 413, and a body of the same size that is
// mostly one string (inline data) is read.
TEST_F(JobsApiTest, ABodyWhoseTreeWouldTakeTooMuchMemoryIs413) {
  std::string many = R"({"Job":{"Type":"batch","Meta":{"x":[)";
  while (many.size() < size_t{9} * 1024 * 1024) many += "0,";
  many += R"(0]}}})";
  expectError(client_->put(kJobs, many), 413, "ResourceExhausted", "of memory to hold");

  std::string one = R"({"Job":{"Type":"batch","Meta":{"x":")" +
                    std::string(size_t{9} * 1024 * 1024, 'a') + R"("}}})";
  TestResponse res = client_->put(kJobs, one);
  EXPECT_NE(res.status, 413) << res.body.substr(0, 300);
  EXPECT_EQ(res.body.find("of memory to hold"), std::string::npos) << res.body.substr(0, 300);
}

TEST_F(JobsApiTest, WrongTypesAndInvalidSpecsName400TheField) {
  expectError(client_->put(kJobs, R"({"Job":{"Type":"batch","Count":"three"}})"), 400, "BadRequest",
              "Count");
  std::string lots = R"({"Job":{"Type":"batch","Tasks":[{"Name":"main","Engine":{"Type":"docker",)"
                     R"("Params":{"Image":"b"}},"Resources":{"CPU":"lots"}}]}})";
  TestResponse res = client_->put(kJobs, lots);
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_NE(res.body.find("CPU"), std::string::npos) << res.body;
  TestResponse empty = client_->put(kJobs, R"({"Job":{}})");
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.json().at("Status").as_int64(), 400);
}

TEST_F(JobsApiTest, GpuCountsThatAreNotSmallWholeNumbersAre400NamingResourcesGpu) {
  for (const char* gpu : {R"("-1")", R"("1.5")", R"("lots")", R"("100000")",
                          R"("99999999999999999999999")", R"(-3)", R"([1])"}) {
    std::string body =
        std::string(R"({"Job":{"Type":"batch","Tasks":[{"Name":"main","Engine":{"Type":"docker",)"
                    R"("Params":{"Image":"b"}},"Resources":{"GPU":)") +
        gpu + "}}]}}";
    TestResponse res = client_->put(kJobs, body);
    EXPECT_EQ(res.status, 400) << gpu << ": " << res.body;
    EXPECT_NE(res.body.find("Resources.GPU"), std::string::npos) << gpu << ": " << res.body;
  }
}

TEST_F(JobsApiTest, ResubmittingTheSameSpecIsAConflictUnlessForced) {
  std::string id = submit("same");
  TestResponse again = client_->put(kJobs, jobBody("same"));
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("no changes detected"), std::string::npos);
  std::string forced = jobBody("same");
  forced.insert(forced.size() - 1, R"(,"Force":true)");
  TestResponse res = client_->put(kJobs, forced);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(str(res.json().at("JobID")), id);
}

TEST_F(JobsApiTest, FindsJobsByIdPrefixAndName) {
  std::string id = submit("by-name");
  submit("other");
  EXPECT_EQ(client_->get(std::string(kJobs) + "/" + id).status, 200);
  EXPECT_EQ(client_->get(std::string(kJobs) + "/" + shortId(id)).status, 200);
  TestResponse by_name = client_->get(std::string(kJobs) + "/by-name");
  ASSERT_EQ(by_name.status, 200);
  EXPECT_EQ(str(by_name.json().at("Job").at("ID")), id);
}

TEST_F(JobsApiTest, UnknownJobIs404AndAmbiguousPrefixIs409) {
  std::string a = submit("a");
  std::string b = submit("b");
  expectError(client_->get(std::string(kJobs) + "/j-does-not-exist"), 404, "NotFound",
              "j-does-not-exist");
  expectError(client_->del(std::string(kJobs) + "/j-does-not-exist"), 404, "NotFound", "");
  expectError(client_->get(std::string(kJobs) + "/j-does-not-exist/history"), 404, "NotFound", "");
  TestResponse res = client_->get(std::string(kJobs) + "/j-");
  expectError(res, 409, "MultipleJobsFound", "");
  EXPECT_NE(res.body.find(a), std::string::npos);
  EXPECT_NE(res.body.find(b), std::string::npos);
}

TEST_F(JobsApiTest, ListPagesWithLimitAndNextToken) {
  for (int i = 0; i < 5; ++i) submit("job-" + std::to_string(i));
  std::string next;
  EXPECT_EQ(listIds("?limit=2", &next), (std::vector<std::string>{"job-0", "job-1"}));
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(listIds("?next_token=" + next, &next), (std::vector<std::string>{"job-2", "job-3"}));
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(listIds("?next_token=" + next, &next), (std::vector<std::string>{"job-4"}));
  EXPECT_EQ(next, "");

  // The token carries order and direction; later parameters do not change them.
  EXPECT_EQ(listIds("?limit=3&reverse=true", &next),
            (std::vector<std::string>{"job-4", "job-3", "job-2"}));
  EXPECT_EQ(listIds("?next_token=" + next + "&reverse=false&limit=1", &next),
            (std::vector<std::string>{"job-1", "job-0"}));
  EXPECT_EQ(next, "");

  // No limit: everything (up to the page cap), no token.
  EXPECT_EQ(listIds("", &next).size(), 5u);
  EXPECT_EQ(next, "");
}

// No limit, or one over the page cap, returns at most 1,000 jobs and a NextToken for the rest:
// no request encodes the whole store on an I/O thread.
TEST_F(JobsApiTest, ListPagesAreCappedAtAThousandJobs) {
  for (int i = 0; i < 1001; ++i) submit("job-" + std::to_string(i));
  for (const char* query : {"", "?limit=0", "?limit=100000000"}) {
    std::string next;
    std::vector<std::string> page = listIds(query, &next);
    EXPECT_EQ(page.size(), 1000u) << query;
    ASSERT_FALSE(next.empty()) << query;
    EXPECT_EQ(listIds("?next_token=" + next, &next), std::vector<std::string>{"job-1000"});
    EXPECT_EQ(next, "");
  }
}

// However many executions a job has, one answer holds at most 1,000 (a Count of 10,000 makes as
// many), with a token for the rest.
TEST_F(JobsApiTest, ExecutionPagesAreCappedAtAThousand) {
  std::string id = submit("wide");
  auto job = store_.getJob(id);
  ASSERT_TRUE(job.isOk());
  ASSERT_TRUE(store_
                  .update([&](store::Txn& tx) -> Status {
                    for (int i = 0; i < 1001; ++i) {
                      models::Execution e;
                      e.id = newExecutionId(random_);
                      e.ns = job->ns;
                      e.job_id = id;
                      e.job_version = job->version;
                      e.node_id = "n-1";
                      e.create_time = i;
                      COD_RETURN_IF_ERROR(tx.createExecution(e));
                    }
                    return Status::ok();
                  })
                  .isOk());
  for (const char* query : {"", "?limit=0", "?limit=5000"}) {
    TestResponse first = client_->get(std::string(kJobs) + "/" + id + "/executions" + query);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.json().at("Items").as_array().size(), 1000u) << query;
    std::string next = str(first.json().at("NextToken"));
    ASSERT_FALSE(next.empty()) << query;
    TestResponse rest =
        client_->get(std::string(kJobs) + "/" + id + "/executions?next_token=" + next);
    EXPECT_EQ(rest.json().at("Items").as_array().size(), 1u);
    EXPECT_EQ(str(rest.json().at("NextToken")), "");
  }
}

TEST_F(JobsApiTest, ListRejectsBadParameters) {
  submit("x");
  expectError(client_->get(std::string(kJobs) + "?next_token=%25%25%25"), 400, "BadRequest",
              "next_token");
  expectError(client_->get(std::string(kJobs) + "?next_token=" + base64UrlEncode("a:b")), 400,
              "BadRequest", "next_token");
  expectError(client_->get(std::string(kJobs) + "?limit=-1"), 400, "BadRequest", "limit");
  expectError(client_->get(std::string(kJobs) + "?reverse=maybe"), 400, "BadRequest", "reverse");
  TestResponse order = client_->get(std::string(kJobs) + "?order_by=id");
  EXPECT_EQ(order.status, 400) << order.body;
}

TEST_F(JobsApiTest, ListFiltersByLabelSelectors) {
  submit("prod-1", R"({"env":"prod","tier":"web"})");
  submit("dev-1", R"({"env":"dev"})");
  submit("canary", R"({"bacalhau_canary":"true"})");
  auto names = [&](const std::string& selector) {
    std::vector<std::string> ids = listIds("?labels=" + urlEncode(selector));
    return std::set<std::string>(ids.begin(), ids.end());
  };
  EXPECT_EQ(names("env=prod"), (std::set<std::string>{"prod-1"}));
  EXPECT_EQ(names("bacalhau_canary!=true"), (std::set<std::string>{"prod-1", "dev-1"}));
  EXPECT_EQ(names("env in (prod,dev)"), (std::set<std::string>{"prod-1", "dev-1"}));
  EXPECT_EQ(names("!env"), (std::set<std::string>{"canary"}));
  // Repeated `labels` parameters are ANDed.
  std::vector<std::string> both =
      listIds("?labels=" + urlEncode("env=prod") + "&labels=" + urlEncode("tier=web"));
  EXPECT_EQ(both, (std::vector<std::string>{"prod-1"}));
  expectError(client_->get(std::string(kJobs) + "?labels=" + urlEncode("env in (")), 400,
              "BadRequest", "labels");
}

TEST_F(JobsApiTest, ListFiltersByNamespace) {
  submit("in-default");
  std::string other =
      R"({"Job":{"Name":"in-team","Namespace":"team","Type":"batch",)"
      R"("Tasks":[{"Name":"main","Engine":{"Type":"docker","Params":{"Image":"b"}}}]}})";
  ASSERT_EQ(client_->put(kJobs, other).status, 200);
  EXPECT_EQ(listIds("?namespace=team"), (std::vector<std::string>{"in-team"}));
  EXPECT_EQ(listIds("").size(), 2u);
  EXPECT_EQ(listIds("?namespace=*").size(), 2u);
}

TEST_F(JobsApiTest, StopTakesReasonFromBodyOrQuery) {
  std::string a = submit("stop-a");
  std::string b = submit("stop-b");
  TestResponse res = client_->del(std::string(kJobs) + "/" + a, R"({"REASON":"from body"})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_FALSE(str(res.json().at("EvaluationID")).empty());
  TestResponse job = client_->get(std::string(kJobs) + "/" + a);
  EXPECT_EQ(str(job.json().at("Job").at("State").at("StateType")), "Stopped");
  EXPECT_NE(job.body.find("from body"), std::string::npos);

  ASSERT_EQ(
      client_->del(std::string(kJobs) + "/" + b + "?reason=" + urlEncode("User requested stop"))
          .status,
      200);
  EXPECT_NE(client_->get(std::string(kJobs) + "/" + b).body.find("User requested stop"),
            std::string::npos);

  // Stopping a stopped job is a no-op with an empty evaluation.
  TestResponse again = client_->del(std::string(kJobs) + "/" + a);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(str(again.json().at("EvaluationID")), "");
  expectError(client_->del(std::string(kJobs) + "/" + a, "{bad"), 400, "BadRequest", "JSON");
}

TEST_F(JobsApiTest, RerunCreatesANewVersion) {
  std::string id = submit("rerun-me");
  expectError(client_->put(std::string(kJobs) + "/" + id + "/rerun", "{}"), 409, "ConflictJobState",
              "");
  ASSERT_EQ(client_->del(std::string(kJobs) + "/" + id).status, 200);
  // The latest version is listed as the job is now, not as it was submitted.
  TestResponse stopped = client_->get(std::string(kJobs) + "/" + id + "/versions");
  ASSERT_EQ(stopped.status, 200);
  EXPECT_EQ(str(stopped.json().at("Items").as_array().at(0).at("State").at("StateType")), "Stopped")
      << stopped.body;
  TestResponse res = client_->put(std::string(kJobs) + "/" + id + "/rerun",
                                  R"({"JobVersion":0,"Reason":"again"})");
  ASSERT_EQ(res.status, 200) << res.body;
  json::value body = res.json();
  EXPECT_EQ(str(body.at("JobID")), id);
  EXPECT_EQ(body.at("JobVersion").to_number<int64_t>(), 2);
  EXPECT_FALSE(str(body.at("EvaluationID")).empty());
  expectError(client_->put(std::string(kJobs) + "/" + id + "/rerun", R"({"JobVersion":"x"})"), 400,
              "BadRequest", "JobVersion");

  TestResponse versions = client_->get(std::string(kJobs) + "/" + id + "/versions");
  ASSERT_EQ(versions.status, 200) << versions.body;
  EXPECT_EQ(versions.json().at("Items").as_array().size(), 2u);
  EXPECT_EQ(str(versions.json().at("NextToken")), "");
  TestResponse v1 = client_->get(std::string(kJobs) + "/" + id + "?job_version=1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_EQ(v1.json().at("Job").at("Version").to_number<int64_t>(), 1);
  expectError(client_->get(std::string(kJobs) + "/" + id + "?job_version=9"), 404, "NotFound", "");
}

TEST_F(JobsApiTest, DiffNeedsANameAndAnExistingJob) {
  submit("diffed");
  std::string changed = jobBody("diffed");
  size_t pos = changed.find("busybox");
  changed.replace(pos, 7, "alpine");
  TestResponse res = client_->put(std::string(kJobs) + "/diff", changed);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(str(res.json().at("Diff")).find("alpine"), std::string::npos) << res.body;
  EXPECT_EQ(client_->put(std::string(kJobs) + "/diff", jobBody("nobody")).status, 404);
  std::string unnamed = R"({"Job":{"Type":"batch","Tasks":[{"Name":"main","Engine":)"
                        R"({"Type":"docker","Params":{"Image":"b"}}}]}})";
  EXPECT_EQ(client_->put(std::string(kJobs) + "/diff", unnamed).status, 400);
}

TEST_F(JobsApiTest, IncludeAddsHistoryAndExecutions) {
  std::string id = submit("with-extras");
  TestResponse res = client_->get(std::string(kJobs) + "/" + id + "?include=executions,history");
  ASSERT_EQ(res.status, 200) << res.body;
  json::object body = res.json().as_object();
  ASSERT_TRUE(body.contains("History"));
  ASSERT_TRUE(body.contains("Executions"));
  EXPECT_EQ(str(body.at("History").at("NextToken")), "");
  EXPECT_FALSE(body.at("History").at("Items").as_array().empty());
  EXPECT_TRUE(body.at("Executions").at("Items").as_array().empty());
}

TEST_F(JobsApiTest, HistoryTokenStaysUntilTheJobIsTerminalAndRead) {
  std::string id = submit("watched");
  std::string token;
  std::vector<int64_t> first = readHistory(id, "limit=1", &token);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_FALSE(token.empty());
  // Drain: the job is Pending, so the token never becomes "" and repeats once nothing is new.
  std::vector<int64_t> all = first;
  for (int i = 0; i < 20; ++i) {
    std::string before = token;
    std::vector<int64_t> page = readHistory(id, "limit=1", &token);
    ASSERT_FALSE(token.empty());
    if (page.empty()) {
      EXPECT_EQ(token, before);  // same offset again
      break;
    }
    all.insert(all.end(), page.begin(), page.end());
  }
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i], all[i - 1]);

  ASSERT_EQ(client_->del(std::string(kJobs) + "/" + id).status, 200);
  // Now terminal: the new events come, then the token ends.
  std::vector<int64_t> rest;
  for (int i = 0; i < 20 && !token.empty(); ++i) {
    std::vector<int64_t> page = readHistory(id, "limit=1", &token);
    rest.insert(rest.end(), page.begin(), page.end());
  }
  EXPECT_EQ(token, "");
  ASSERT_FALSE(rest.empty());
  EXPECT_GT(rest.front(), all.back());

  // A fresh read of a terminal job returns everything and no token.
  std::string fresh;
  std::vector<int64_t> everything = readHistory(id, "", &fresh);
  EXPECT_EQ(everything.size(), all.size() + rest.size());
  EXPECT_EQ(fresh, "");
}

TEST_F(JobsApiTest, HistoryValidatesParameters) {
  std::string id = submit("h");
  std::string base = std::string(kJobs) + "/" + id + "/history";
  expectError(client_->get(base + "?event_type=banana"), 400, "BadRequest", "event_type");
  expectError(client_->get(base + "?since=yesterday"), 400, "BadRequest", "since");
  expectError(client_->get(base + "?next_token=nope!"), 400, "BadRequest", "next_token");
  TestResponse job_only = client_->get(base + "?event_type=job");
  ASSERT_EQ(job_only.status, 200);
  json::value job_items = job_only.json().at("Items");
  for (const auto& item : job_items.as_array()) {
    EXPECT_EQ(str(item.at("Type")), "JobLevel");
  }
  // Every event happened before the far future.
  TestResponse later = client_->get(base + "?since=4102444800");
  ASSERT_EQ(later.status, 200);
  EXPECT_TRUE(later.json().at("Items").as_array().empty());
  // Clients older than v1.5 get the legacy keys.
  TestResponse legacy = client_->get(base, {{"X-Bacalhau-Git-Version", "v1.4.2"}});
  ASSERT_EQ(legacy.status, 200);
  EXPECT_TRUE(legacy.json().at("Items").as_array().at(0).as_object().contains("JobState"));
  TestResponse current = client_->get(base, {{"X-Bacalhau-Git-Version", "v1.7.0"}});
  EXPECT_FALSE(current.json().at("Items").as_array().at(0).as_object().contains("JobState"));
}

TEST_F(JobsApiTest, ExecutionsAreOrderedAndHaveNoJobSnapshot) {
  std::string id = submit("with-executions");
  auto job = store_.getJob(id);
  ASSERT_TRUE(job.isOk());
  std::vector<std::string> exec_ids;
  for (int i = 0; i < 3; ++i) {
    clock_.advance(std::chrono::seconds(1));
    models::Execution e;
    e.id = newExecutionId(random_);
    e.ns = job->ns;
    e.job_id = id;
    e.job_version = job->version;
    e.node_id = "n-1";
    e.job = std::make_shared<models::Job>(*job);
    e.create_time = toUnixNanos(clock_.now());
    e.modify_time = toUnixNanos(clock_.now()) + (3 - i) * 10'000'000'000LL;  // reverse order
    ASSERT_TRUE(store_.update([&](store::Txn& tx) { return tx.createExecution(e); }).isOk());
    exec_ids.push_back(e.id);
  }
  auto ids = [&](const std::string& query) {
    TestResponse res = client_->get(std::string(kJobs) + "/" + id + "/executions" + query);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> out;
    json::value items = res.json().at("Items");
    for (const auto& item : items.as_array()) {
      EXPECT_FALSE(item.as_object().contains("Job"));
      EXPECT_TRUE(item.at("ComputeState").at("StateType").is_number());
      out.push_back(str(item.at("ID")));
    }
    return out;
  };
  EXPECT_EQ(ids(""), exec_ids);
  EXPECT_EQ(ids("?order_by=created_at&reverse=true"),
            (std::vector<std::string>{exec_ids[2], exec_ids[1], exec_ids[0]}));
  EXPECT_EQ(ids("?order_by=modified_at"),
            (std::vector<std::string>{exec_ids[2], exec_ids[1], exec_ids[0]}));
  EXPECT_EQ(ids("?order_by=modify_time&limit=1"), (std::vector<std::string>{exec_ids[2]}));
  EXPECT_EQ(ids("?order_by=create_time&limit=2"),
            (std::vector<std::string>{exec_ids[0], exec_ids[1]}));
  // A page short of the rest names where the rest starts; the last page has no token.
  auto next_of = [&](const std::string& query) {
    return str(
        client_->get(std::string(kJobs) + "/" + id + "/executions" + query).json().at("NextToken"));
  };
  EXPECT_EQ(next_of(""), "");
  std::string next = next_of("?order_by=modified_at&limit=2");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(ids("?next_token=" + next), (std::vector<std::string>{exec_ids[0]}));
  EXPECT_EQ(next_of("?next_token=" + next), "");

  // History filtered to one execution ends with that execution, not with the job.
  models::Execution done = *store_.getExecution(exec_ids[0]);
  done.compute_state.state_type = models::ExecutionStateType::kCompleted;
  ASSERT_TRUE(store_.update([&](store::Txn& tx) { return tx.updateExecution(done); }).isOk());
  std::string token;
  readHistory(id, "execution_id=" + exec_ids[0], &token);
  EXPECT_EQ(token, "");
  readHistory(id, "execution_id=" + exec_ids[1], &token);
  EXPECT_FALSE(token.empty());
}

TEST_F(JobsApiTest, ResultsListPublishedResultsOfCompletedExecutions) {
  std::string id = submit("with-results");
  auto job = store_.getJob(id);
  ASSERT_TRUE(job.isOk());
  auto add = [&](models::ExecutionStateType state, const std::string& url) {
    models::Execution e;
    e.id = newExecutionId(random_);
    e.ns = job->ns;
    e.job_id = id;
    e.job_version = job->version;
    e.node_id = "n-1";
    e.compute_state.state_type = state;
    if (!url.empty()) {
      e.published_result.type = "urlDownload";
      e.published_result.params["URL"] = url;
    }
    ASSERT_TRUE(store_.update([&](store::Txn& tx) { return tx.createExecution(e); }).isOk());
  };
  add(models::ExecutionStateType::kCompleted, "http://127.0.0.1:6001/a.tar.gz");
  add(models::ExecutionStateType::kFailed, "http://127.0.0.1:6001/b.tar.gz");
  add(models::ExecutionStateType::kCompleted, "");
  TestResponse res = client_->get(std::string(kJobs) + "/" + id + "/results");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"NextToken":"","Items":[{"Type":"urlDownload","Params":)"
                      R"({"URL":"http://127.0.0.1:6001/a.tar.gz"}}]})");
  EXPECT_EQ(client_->get(std::string(kJobs) + "/j-nope/results").status, 404);
}

TEST_F(JobsApiTest, MissingMethodOnAJobPathIs405) {
  TestResponse res = client_->request("PATCH", std::string(kJobs) + "/j-1");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.json().at("Status").as_int64(), 405);
}

TEST(ComputeOnlyApiTest, OrchestratorRoutesSayThisIsNotAnOrchestrator) {
  ApiDeps deps;
  deps.version.git_version = "v1.7.0";
  ApiServer server(deps, testing::localApiConfig(1));
  ASSERT_TRUE(server.start().isOk());
  TestHttpClient client(server.port());
  TestResponse res = client.get(kJobs);
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("not an orchestrator"), std::string::npos) << res.body;
  EXPECT_EQ(client.get("/api/v1/orchestrator/nodes").status, 404);
  EXPECT_EQ(client.get("/api/v1/agent/alive").status, 200);
  server.stop();
}

}  // namespace
}  // namespace cod::api
