// The stored record encoding (record_codec.h). testdata/records-v2/ holds one record of each kind
// as format version 2 writes it: those files are the format. If one of these tests fails after a
// change to a model or to the codec, what is stored has changed: that needs a new format version
// and a migration (sqlite_queries.cc, sqlite_execution_store.cc), not new files.

#include "store/record_codec.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "models/json.h"
#include "models/testing/full_records.h"

namespace cod::store::records {
namespace {

namespace bj = boost::json;
namespace m = models;
using m::fixtures::at;

// The fixtures leave a few fields at their defaults (the API has fixed values for them); here
// every field is set, so that the golden files fix every stored name.
m::Execution fullExecution() {
  m::Execution e = m::fixtures::fullExecution();
  e.name = "e-name";
  e.retryable = true;
  return e;
}

m::Evaluation fullEvaluation() {
  return {"v-1",
          "team-a",
          "j-1",
          m::kEvalTriggerJobQueue,
          50,
          "batch",
          m::kEvalStatusPending,
          "waiting for nodes",
          at(1724099060, 500),
          1724099000000000000,
          1724099001000000000};
}

m::JobHistory fullHistory() {
  m::JobHistory h;
  h.seq_num = 12;
  h.type = m::JobHistoryType::kExecutionLevel;
  h.job_id = "j-1";
  h.job_version = 2;
  h.execution_id = "e-1";
  h.event = {"Execution timed out",
             m::kTopicExecTimeout,
             at(1724099000, 1),
             {{m::kDetailIsError, "true"}, {m::kDetailHint, "Increase the task timeout"}}};
  h.time = at(1724099000, 100);
  return h;
}

m::NodeState fullNode() {
  m::NodeState n = m::fixtures::fullNodeState();
  n.info.compute_node_info.input_cache = {1 << 30, 4096, 2, 7, 3, {"s3://data/set1/"}};
  n.info.bacalhau_version.goos = "darwin";
  n.connection_state.disconnected_since = at(1724089000);
  return n;
}

LocalExecution fullLocalExecution() {
  LocalExecution e;
  e.execution = fullExecution();
  e.resources = m::fixtures::fullResources();
  e.bid_reason = "not enough memory";
  e.result = {"out", false, "err", true, 1, "exit status 1"};
  e.published_result.type = "local";
  e.published_result.params["URL"] = "http://10.0.0.5:6001/e-7f0c.tar.gz";
  e.error = "the task failed";
  e.error_code = "ExecutionFailed";
  e.hint = "see its stderr";
  e.retryable = false;
  e.updated = at(1724099005, 5);
  return e;
}

std::string golden(const std::string& name) {
  std::ifstream in(std::string(COD_STORE_TESTDATA) + "/records-v2/" + name + ".json");
  EXPECT_TRUE(in.good()) << "missing golden file " << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bj::value parsed(std::string_view text) {
  auto v = m::parseJson(text);
  EXPECT_TRUE(v.isOk()) << v.status().toString();
  return v.isOk() ? *v : bj::value();
}

// The record is written as the golden file says, and the file reads back as the record.
template <typename T, typename Decode>
void expectGolden(const std::string& name, const T& record, Decode decode) {
  std::string text = golden(name);
  EXPECT_EQ(parsed(encode(record)), parsed(text)) << name << " is now stored as\n"
                                                  << m::serializePretty(parsed(encode(record)));
  auto back = decode(text);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_TRUE(*back == record) << name;
}

TEST(RecordCodecTest, EachKindIsStoredAsItsFormatSays) {
  m::Execution without_job = fullExecution();
  without_job.job = nullptr;
  expectGolden("job", m::fixtures::fullJob(), decodeJob);
  expectGolden("execution", without_job, decodeExecution);
  expectGolden("evaluation", fullEvaluation(), decodeEvaluation);
  expectGolden("history", fullHistory(), decodeHistory);
  expectGolden("node", fullNode(), decodeNode);
  expectGolden("local_execution", fullLocalExecution(), decodeLocalExecution);
}

TEST(RecordCodecTest, TheJobStoreLeavesTheJobSnapshotOut) {
  std::string text = encode(fullExecution());
  EXPECT_EQ(text.find("my-job"), std::string::npos) << text;
  auto back = decodeExecution(text);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->job, nullptr);
  EXPECT_EQ(back->id, "e-7f0c");
}

TEST(RecordCodecTest, ItIsNotTheApiJson) {
  // The API's names (PascalCase, Go zero values) are never what is stored.
  for (const std::string& text :
       {encode(m::fixtures::fullJob()), encode(fullExecution()), encode(fullNode())}) {
    EXPECT_EQ(text.find("\"ID\""), std::string::npos) << text;
    EXPECT_EQ(text.find("\"Namespace\""), std::string::npos) << text;
  }
}

TEST(RecordCodecTest, DefaultsAreLeftOutAndReadBack) {
  EXPECT_EQ(encode(m::Job{}), "{}");
  EXPECT_EQ(encode(m::NodeState{}), "{}");    // membership APPROVED, status DISCONNECTED
  EXPECT_EQ(encode(LocalExecution{}), "{}");  // retryable is true by default
  m::NodeState node;
  node.membership = "";
  EXPECT_EQ(encode(node), R"({"membership":""})");
  auto back = decodeNode(encode(node));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->membership, "");
  EXPECT_EQ(back->connection_state.status, m::kConnectionDisconnected);
  auto empty = decodeLocalExecution("{}");
  ASSERT_TRUE(empty.isOk()) << empty.status().toString();
  EXPECT_TRUE(empty->retryable);
}

TEST(RecordCodecTest, UnknownFieldsAndNullsAreIgnored) {
  // A later release of the same format may add fields; this one reads past them.
  auto job = decodeJob(R"({"id":"j-1","added_later":{"x":[1,2]},"name":null,"count":3})");
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->id, "j-1");
  EXPECT_EQ(job->name, "");
  EXPECT_EQ(job->count, 3);
}

TEST(RecordCodecTest, ABadRecordNamesTheFieldThatIsWrong) {
  struct Case {
    std::string text;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"tasks":[{"name":"a"},{"engine":{"type":5}}]})",
            "stored Job is unreadable at tasks[1].engine.type: expected a string"},
           {R"({"count":1.5})", "stored Job is unreadable at count: expected an integer"},
           {R"({"version":-1})", "stored Job is unreadable at version: expected an integer ≥ 0"},
           {R"({"tasks":{}})", "stored Job is unreadable at tasks: expected an array"},
           {R"({"state":{"state":7}})",
            "stored Job is unreadable at state.state: 7 is not a known value"},
           {R"({"state":{"state":-1}})",
            "stored Job is unreadable at state.state: -1 is not a known value"},
           {R"({"tasks":[{"env":{"A":1}}]})",
            "stored Job is unreadable at tasks[0].env[A]: expected a string"},
           {R"([])", "stored Job is unreadable: expected an object"},
           {R"({"id":)", "stored Job is unreadable: "},
       }) {
    auto job = decodeJob(c.text);
    ASSERT_FALSE(job.isOk()) << c.text;
    EXPECT_EQ(job.status().code(), StatusCode::kInternal) << c.text;
    EXPECT_EQ(job.status().message().substr(0, c.message.size()), c.message) << c.text;
  }
  auto e = decodeLocalExecution(R"({"job":{"tasks":[{"timeouts":{"total":"x"}}]}})");
  ASSERT_FALSE(e.isOk());
  EXPECT_EQ(e.status().message(),
            "stored execution is unreadable at job.tasks[0].timeouts.total: expected an integer");
}

TEST(RecordCodecTest, StringsThatAreNotUtf8AreRepairedNotRefused) {
  // Task output is arbitrary bytes; one bad byte must never make a record unreadable.
  m::Execution e;
  e.id = "e-1";
  e.run_output.stdout_text = "a" + std::string(3, '\xFF');
  auto back = decodeExecution(encode(e));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->run_output.stdout_text, "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  auto raw =
      decodeExecution(R"({"id":"e-2","run_output":{"stdout":"b)" + std::string(2, '\xFE') + "\"}}");
  ASSERT_TRUE(raw.isOk()) << raw.status().toString();
  EXPECT_EQ(raw->run_output.stdout_text, "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

// JSON has one kind of number: in free-form params a whole double is written like Go writes it
// ("100") and read back as that integer, so what is written reads back equal. A number that
// overflowed to infinity is refused (it would be written as null).
TEST(RecordCodecTest, NumbersInParamsReadBackAsTheyAreWritten) {
  auto job = decodeJob(
      R"({"tasks":[{"engine":{"params":{"a":1e2,"b":-0.0,"c":0.25,"d":[1.0,1e19,1e30]}}}]})");
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  const auto& params = job->tasks[0].engine.params;
  EXPECT_TRUE(params.at("a").is_int64());
  EXPECT_TRUE(params.at("b").is_int64());
  EXPECT_EQ(params.at("c").as_double(), 0.25);
  EXPECT_TRUE(params.at("d").as_array()[1].is_uint64());
  EXPECT_TRUE(params.at("d").as_array()[2].is_double());
  auto again = decodeJob(encode(*job));
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_TRUE(*again == *job) << encode(*job);

  auto inf = decodeJob(R"({"tasks":[{"engine":{"params":{"x":{"y":[0,1e400]}}}}]})");
  ASSERT_FALSE(inf.isOk());
  EXPECT_EQ(inf.status().message(),
            "stored Job is unreadable at tasks[0].engine.params[x][y][1]: a number out of range");
  auto cpu = decodeLocalExecution(R"({"resources":{"cpu":-1e999}})");
  ASSERT_FALSE(cpu.isOk());
  EXPECT_EQ(cpu.status().message(),
            "stored execution is unreadable at resources.cpu: a number out of range");
}

TEST(RecordCodecTest, NumbersKeepTheirFullRange) {
  m::Job job;
  job.version = UINT64_MAX;
  job.create_time = INT64_MIN;
  job.priority = -1;
  m::Resources r;
  r.cpu = 1e-7;
  r.memory = UINT64_MAX;
  job.tasks.resize(1);
  auto back = decodeJob(encode(job));
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_TRUE(*back == job);
  LocalExecution le;
  le.resources = r;
  auto le_back = decodeLocalExecution(encode(le));
  ASSERT_TRUE(le_back.isOk()) << le_back.status().toString();
  EXPECT_EQ(le_back->resources, r);
}

}  // namespace
}  // namespace cod::store::records
