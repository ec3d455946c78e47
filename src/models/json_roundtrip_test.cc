// For every model: decode(encode(x)) == x, both on the JSON value and through the text form, with
// every field set to something other than its default.

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "models/json.h"
#include "models/testing/full_records.h"

namespace cod::models {
namespace {

namespace bj = boost::json;
using fixtures::at;
using fixtures::fullExecution;
using fixtures::fullJob;
using fixtures::fullNodeState;
using fixtures::fullResources;

template <typename T, typename Decode>
void expectRoundTrip(const T& original, Decode decode) {
  bj::value encoded = toJson(original);
  auto decoded = decode(encoded, DecodeOptions{});
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  EXPECT_TRUE(*decoded == original) << serialize(encoded) << "\n" << serialize(toJson(*decoded));

  // Through text, compact and pretty.
  for (const std::string& text : {serialize(encoded), serializePretty(encoded)}) {
    auto reparsed = parseJson(text);
    ASSERT_TRUE(reparsed.isOk()) << reparsed.status().toString();
    auto again = decode(*reparsed, DecodeOptions{});
    ASSERT_TRUE(again.isOk()) << again.status().toString();
    EXPECT_TRUE(*again == original) << text;
  }
}

TEST(JsonRoundTripTest, Job) {
  expectRoundTrip(fullJob(), jobFromJson);
  expectRoundTrip(Job{}, [](const bj::value& v, const DecodeOptions& o) {
    auto job = jobFromJson(v, o);
    EXPECT_EQ(job->count, 0);  // an explicit Count survives, even 0
    return job;
  });
}

TEST(JsonRoundTripTest, TaskSpecConfigAndRequirement) {
  expectRoundTrip(fullJob().tasks[0], taskFromJson);
  expectRoundTrip(fullJob().tasks[1], taskFromJson);
  expectRoundTrip(fullJob().tasks[0].engine, specConfigFromJson);
  expectRoundTrip(SpecConfig{}, specConfigFromJson);
  expectRoundTrip(LabelSelectorRequirement{"zone", "notin", {"a", "b"}},
                  labelSelectorRequirementFromJson);
}

TEST(JsonRoundTripTest, EveryJobState) {
  for (int i = 0; i <= static_cast<int>(JobStateType::kStopped); ++i) {
    Job job;
    job.state.state_type = static_cast<JobStateType>(i);
    expectRoundTrip(job, jobFromJson);
  }
}

TEST(JsonRoundTripTest, EveryNetworkType) {
  for (int i = 0; i <= static_cast<int>(NetworkType::kBridge); ++i) {
    Task task;
    task.network.type = static_cast<NetworkType>(i);
    expectRoundTrip(task, taskFromJson);
  }
}

TEST(JsonRoundTripTest, Resources) {
  expectRoundTrip(fullResources(), resourcesFromJson);
  expectRoundTrip(Resources{}, resourcesFromJson);
  Resources tiny;
  tiny.cpu = 1e-7;
  expectRoundTrip(tiny, resourcesFromJson);
}

TEST(JsonRoundTripTest, Execution) {
  expectRoundTrip(fullExecution(), executionFromJson);
  expectRoundTrip(Execution{}, executionFromJson);
  for (int i = 0; i <= static_cast<int>(ExecutionStateType::kCancelled); ++i) {
    Execution e;
    e.compute_state.state_type = static_cast<ExecutionStateType>(i);
    e.desired_state.state_type = static_cast<ExecutionDesiredStateType>(i % 3);
    expectRoundTrip(e, executionFromJson);
  }
}

TEST(JsonRoundTripTest, RunCommandResult) {
  expectRoundTrip(fullExecution().run_output, runCommandResultFromJson);
}

TEST(JsonRoundTripTest, Evaluation) {
  Evaluation e{"v-1",
               "team-a",
               "j-1",
               kEvalTriggerJobQueue,
               50,
               "batch",
               kEvalStatusPending,
               "waiting for nodes",
               at(1724099060, 500),
               1724099000000000000,
               1724099001000000000};
  expectRoundTrip(e, evaluationFromJson);
  expectRoundTrip(Evaluation{}, evaluationFromJson);
}

TEST(JsonRoundTripTest, JobHistoryAndEvent) {
  JobHistory h;
  h.seq_num = 12;
  h.type = JobHistoryType::kExecutionLevel;
  h.job_id = "j-1";
  h.job_version = 2;
  h.execution_id = "e-1";
  h.event = {"Execution timed out",
             kTopicExecTimeout,
             at(1724099000, 1),
             {{kDetailIsError, "true"}, {kDetailHint, "Increase the task timeout"}}};
  h.time = at(1724099000, 100);
  expectRoundTrip(h, jobHistoryFromJson);
  expectRoundTrip(JobHistory{}, jobHistoryFromJson);
  expectRoundTrip(h.event, eventFromJson);
}

TEST(JsonRoundTripTest, Nodes) {
  expectRoundTrip(fullNodeState(), nodeStateFromJson);
  expectRoundTrip(NodeState{}, nodeStateFromJson);
  expectRoundTrip(fullNodeState().info, nodeInfoFromJson);
  expectRoundTrip(NodeInfo{}, nodeInfoFromJson);
  expectRoundTrip(fullNodeState().info.bacalhau_version, buildVersionInfoFromJson);
  expectRoundTrip(BuildVersionInfo{}, buildVersionInfoFromJson);
}

}  // namespace
}  // namespace cod::models
