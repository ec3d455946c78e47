// The wire form of the models: exact JSON text for the reference's examples (§5.17), Go's
// omitempty rules, and what decoding accepts and rejects.

#include "models/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace cod::models {
namespace {

namespace bj = boost::json;

Time timeOf(const std::string& text) {
  Time t;
  EXPECT_TRUE(parseRfc3339(text, &t)) << text;
  return t;
}

bj::value parse(std::string_view text) {
  auto v = parseJson(text);
  EXPECT_TRUE(v.isOk()) << v.status().toString();
  return v.isOk() ? *v : bj::value();
}

Status jobError(std::string_view text, DecodeOptions opts = {}) {
  return jobFromJson(parse(text), opts).status();
}

// ---- text in and out ----------------------------------------------------------------------------

TEST(JsonTextTest, NumbersAreWrittenLikeGo) {
  EXPECT_EQ(serialize(bj::value(0.5)), "0.5");
  EXPECT_EQ(serialize(bj::value(6.4)), "6.4");
  EXPECT_EQ(serialize(bj::value(2.0)), "2");
  EXPECT_EQ(serialize(bj::value(1e-7)), "1e-7");
  EXPECT_EQ(serialize(bj::value(1e21)), "1e+21");
  EXPECT_EQ(serialize(bj::value(uint64_t{13000000000})), "13000000000");
  EXPECT_EQ(serialize(bj::value(int64_t{-3})), "-3");
}

TEST(JsonTextTest, CompactKeepsKeyOrderAndEscapes) {
  bj::object obj;
  obj["b"] = "line\n\"quoted\"";
  obj["a"] = bj::array{1, nullptr, true};
  obj["c"] = bj::object{};
  EXPECT_EQ(serialize(obj), R"({"b":"line\n\"quoted\"","a":[1,null,true],"c":{}})");
}

TEST(JsonTextTest, PrettyIndentsByTwo) {
  bj::object obj;
  obj["a"] = bj::array{1, 2};
  obj["b"] = bj::object{};
  obj["c"] = bj::array{};
  EXPECT_EQ(serializePretty(obj),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}");
}

// Records cod stored itself read back whatever bytes they hold, in keys too (env names, labels and
// details are maps): the repaired value serializes to what it reads back as.
TEST(JsonTextTest, RepairReplacesBadBytesInStringsAndKeys) {
  std::string text = "{\"env\":{\"A\xFF\":\"v\xFE\",\"ok\":[\"x\xC0\"]}}";
  EXPECT_FALSE(parseJson(text).isOk());
  auto repaired = parseJson(text, InvalidUtf8::kRepair);
  ASSERT_TRUE(repaired.isOk()) << repaired.status().toString();
  EXPECT_EQ(serialize(*repaired),
            "{\"env\":{\"A\xEF\xBF\xBD\":\"v\xEF\xBF\xBD\",\"ok\":[\"x\xEF\xBF\xBD\"]}}");
  auto again = parseJson(serialize(*repaired));
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(*again, *repaired);
}

// 1e400 parses as infinity; a node that reported it as its CPU would be stored with a capacity
// that the text form writes as null.
TEST(JsonTextTest, ANumberPastADoublesRangeIsRefusedWhereANumberIsRead) {
  auto v = parseJson(R"({"CPU":1e400,"Memory":1})");
  ASSERT_TRUE(v.isOk()) << v.status().toString();
  auto r = resourcesFromJson(*v);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("CPU: the number is out of range"));
  auto fine = resourcesFromJson(*parseJson(R"({"CPU":1e300})"));
  ASSERT_TRUE(fine.isOk()) << fine.status().toString();
}

TEST(JsonTextTest, ParseErrorsGiveLineAndColumn) {
  auto bad = parseJson("{\n  \"a\": 1,,\n}");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("invalid JSON at line 2, column 10: ", 0), 0u)
      << bad.status().message();

  auto truncated = parseJson("{\"a\": 1");
  ASSERT_FALSE(truncated.isOk());
  EXPECT_EQ(truncated.status().message().rfind("invalid JSON at line 1, column 8", 0), 0u)
      << truncated.status().message();

  auto trailing = parseJson("{} x");
  ASSERT_FALSE(trailing.isOk());
  EXPECT_EQ(trailing.status().message(),
            "invalid JSON at line 1, column 4: unexpected text after the end of the JSON value");

  EXPECT_TRUE(parseJson("  {\"a\": [1, 2.5, \"x\"]}\n").isOk());
}

TEST(JsonTextTest, ATreeOverTheMemoryBoundIsResourceExhaustedAndOneUnderItIsUsable) {
  std::string zeros = "[";
  for (int i = 0; i < 200000; ++i) zeros += "0,";
  zeros += "0]";  // 400 KB of text, 3+ MB as a tree
  auto bounded = parseJson(zeros, InvalidUtf8::kReject, size_t{1} << 20);
  ASSERT_FALSE(bounded.isOk());
  EXPECT_EQ(bounded.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(bounded.status().message().find("1.0 MB of memory"), std::string::npos)
      << bounded.status().message();
  ASSERT_TRUE(parseJson(zeros).isOk()) << "no bound by default";

  auto small = parseJson(R"({"a":[1,2,3],"s":"text"})", InvalidUtf8::kReject, size_t{1} << 20);
  ASSERT_TRUE(small.isOk()) << small.status().toString();
  // After the parse the bound is lifted: the tree can grow and be copied like any other.
  boost::json::value copy = *small;
  for (int i = 0; i < 200000; ++i) copy.as_object()["a"].as_array().push_back(i);
  EXPECT_EQ(copy.at("a").as_array().size(), 200003u);
}

TEST(JsonTextTest, FindKeyPrefersExactMatchThenIgnoresCase) {
  bj::object obj;
  obj["name"] = "lower";
  obj["Name"] = "exact";
  obj["TYPE"] = "upper";
  ASSERT_NE(findKey(obj, "Name"), nullptr);
  EXPECT_EQ(findKey(obj, "Name")->as_string(), "exact");
  EXPECT_EQ(findKey(obj, "name")->as_string(), "lower");
  EXPECT_EQ(findKey(obj, "Type")->as_string(), "upper");
  EXPECT_EQ(findKey(obj, "Missing"), nullptr);
}

// ---- encoding: the reference's examples ---------------------------------------------------------

Job completedJob() {
  Job job;
  job.id = "j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3";
  job.name = job.id;
  job.ns = "default";
  job.type = "batch";
  job.count = 1;
  job.meta = {{"bacalhau.org/requester.id", "n-1a"}};
  Task task;
  task.name = "main";
  task.engine.type = "docker";
  task.engine.params["Image"] = "busybox:1.37.0";
  task.engine.params["Parameters"] = bj::array{"echo", "hi"};
  task.engine.params["Entrypoint"] = nullptr;
  task.engine.params["EnvironmentVariables"] = nullptr;
  task.engine.params["WorkingDirectory"] = "";
  task.resources.cpu = "500m";
  task.resources.memory = "512mb";
  job.tasks.push_back(task);
  job.state.state_type = JobStateType::kCompleted;
  job.version = 1;
  job.revision = 3;
  job.create_time = 1724099000000000000;
  job.modify_time = 1724099004000000000;
  return job;
}

TEST(JsonEncodeTest, JobMatchesTheReferenceExample) {
  EXPECT_EQ(
      serialize(toJson(completedJob())),
      R"({"ID":"j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3","Name":"j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3",)"
      R"("Namespace":"default","Type":"batch","Priority":0,"Count":1,"Constraints":[],)"
      R"("Meta":{"bacalhau.org/requester.id":"n-1a"},"Labels":{},)"
      R"("Tasks":[{"Name":"main","Engine":{"Type":"docker","Params":{"Image":"busybox:1.37.0",)"
      R"("Parameters":["echo","hi"],"Entrypoint":null,"EnvironmentVariables":null,)"
      R"("WorkingDirectory":""}},"Publisher":{"Type":""},"Resources":{"CPU":"500m",)"
      R"("Memory":"512mb"},"Network":{"Type":"Default"},"Timeouts":{}}],)"
      R"("State":{"StateType":"Completed"},"Version":1,"Revision":3,)"
      R"("CreateTime":1724099000000000000,"ModifyTime":1724099004000000000})");
}

TEST(JsonEncodeTest, TaskOmitsEmptyCollectionsAndKeepsConfigObjects) {
  Task task;
  task.name = "main";
  task.engine.type = "noop";
  EXPECT_EQ(serialize(toJson(task)),
            R"({"Name":"main","Engine":{"Type":"noop"},"Publisher":{"Type":""},"Resources":{},)"
            R"("Network":{"Type":"Default"},"Timeouts":{}})");

  task.env = {{"A", "1"}};
  task.meta = {{"k", "v"}};
  task.input_sources.push_back({{"s3", {{"Bucket", "b"}}}, "in", "/in"});
  task.result_paths.push_back({"out", "/out"});
  task.network.type = NetworkType::kHttp;
  task.network.domains = {"example.com"};
  task.network.ports.push_back({"WEB", 8080, 0, ""});
  task.timeouts.total_timeout = 60;
  EXPECT_EQ(serialize(toJson(task)),
            R"({"Name":"main","Engine":{"Type":"noop"},"Publisher":{"Type":""},"Env":{"A":"1"},)"
            R"("Meta":{"k":"v"},"InputSources":[{"Source":{"Type":"s3","Params":{"Bucket":"b"}},)"
            R"("Alias":"in","Target":"/in"}],"ResultPaths":[{"Name":"out","Path":"/out"}],)"
            R"("Resources":{},"Network":{"Type":"HTTP","Domains":["example.com"],)"
            R"("Ports":[{"Name":"WEB","Static":8080}]},"Timeouts":{"TotalTimeout":60}})");
}

TEST(JsonEncodeTest, ExecutionMatchesTheReferenceExample) {
  Execution e;
  e.id = "e-7f";
  e.ns = "default";
  e.eval_id = "9b1c";
  e.node_id = "n-2c";
  e.job_id = "j-3514";
  e.job_version = 1;
  Resources r;
  r.cpu = 0.5;
  r.memory = 512000000;
  e.allocated_resources.tasks["main"] = r;
  e.desired_state = {ExecutionDesiredStateType::kStopped, "execution completed", {}};
  e.compute_state.state_type = ExecutionStateType::kCompleted;
  e.run_output.stdout_text = "hi\n";
  e.revision = 4;
  e.create_time = 1724099000100000000;
  e.modify_time = 1724099003900000000;
  EXPECT_EQ(serialize(toJson(e)),
            R"({"ID":"e-7f","Namespace":"default","EvalID":"9b1c","Name":"","NodeID":"n-2c",)"
            R"("JobID":"j-3514","JobVersion":1,)"
            R"("AllocatedResources":{"Tasks":{"main":{"CPU":0.5,"Memory":512000000}}},)"
            R"("DesiredState":{"StateType":2,"Message":"execution completed"},)"
            R"("ComputeState":{"StateType":9},"PublishedResult":{"Type":""},)"
            R"("RunOutput":{"Stdout":"hi\n","StdoutTruncated":false,"stderr":"",)"
            R"("StderrTruncated":false,"ExitCode":0,"ErrorMsg":""},)"
            R"("PreviousExecution":"","NextExecution":"","FollowupEvalID":"","Revision":4,)"
            R"("CreateTime":1724099000100000000,"ModifyTime":1724099003900000000})");

  e.partition_index = 2;
  e.job = std::make_shared<Job>(completedJob());
  bj::object obj = toJson(e).as_object();
  EXPECT_EQ(obj.at("PartitionIndex"), 2);
  EXPECT_EQ(obj.at("Job").at("State").at("StateType"), "Completed");
}

TEST(JsonEncodeTest, HistoryItemMatchesTheReferenceExample) {
  JobHistory h;
  h.seq_num = 3;
  h.type = JobHistoryType::kExecutionLevel;
  h.job_id = "j-3514";
  h.job_version = 1;
  h.execution_id = "e-7f";
  h.event = {"Requested execution on n-2c4d5e6f",
             "Scheduling",
             timeOf("2024-08-19T20:40:26.1Z"),
             {{"NodeID", "n-2c"}}};
  h.time = timeOf("2024-08-19T20:40:26.1Z");
  EXPECT_EQ(serialize(toJson(h)),
            R"({"SeqNum":3,"Type":"ExecutionLevel","JobID":"j-3514","JobVersion":1,)"
            R"("ExecutionID":"e-7f","Event":{"Message":"Requested execution on n-2c4d5e6f",)"
            R"("Topic":"Scheduling","Timestamp":"2024-08-19T20:40:26.1Z",)"
            R"("Details":{"NodeID":"n-2c"}},"Time":"2024-08-19T20:40:26.1Z"})");

  JobHistory job_level;
  job_level.job_id = "j-1";
  EXPECT_EQ(serialize(toJson(job_level)),
            R"({"SeqNum":0,"Type":"JobLevel","JobID":"j-1","JobVersion":0,)"
            R"("Event":{"Message":"","Topic":"","Timestamp":"0001-01-01T00:00:00Z"},)"
            R"("Time":"0001-01-01T00:00:00Z"})");
}

TEST(JsonEncodeTest, NodeStateMatchesTheReferenceExample) {
  NodeState n;
  n.info.node_id = "n-2c";
  n.info.node_type = kNodeTypeCompute;
  n.info.labels = {{"os_type", "linux"}};
  n.info.supported_protocols = {"bprotocol/v2", "ncl/v1"};
  n.info.compute_node_info.execution_engines = {"docker", "wasm"};
  n.info.compute_node_info.max_capacity.cpu = 6.4;
  n.info.compute_node_info.max_capacity.memory = 13000000000;
  n.info.compute_node_info.address = "10.0.0.5";
  n.info.bacalhau_version.git_version = "v1.7.0";
  n.info.bacalhau_version.goarch = "amd64";
  n.info.bacalhau_version.build_date = timeOf("2024-08-01T10:00:00Z");
  n.membership = kMembershipApproved;
  n.connection_state.status = kConnectionConnected;
  n.connection_state.last_heartbeat = timeOf("2024-08-19T20:40:26Z");
  n.connection_state.connected_since = timeOf("2024-08-19T20:00:00Z");
  EXPECT_EQ(
      serialize(toJson(n)),
      R"({"Info":{"NodeID":"n-2c","NodeType":"Compute","Labels":{"os_type":"linux"},)"
      R"("SupportedProtocols":["bprotocol/v2","ncl/v1"],)"
      R"("ComputeNodeInfo":{"ExecutionEngines":["docker","wasm"],"Publishers":[],)"
      R"("StorageSources":[],"MaxCapacity":{"CPU":6.4,"Memory":13000000000},)"
      R"("QueueCapacity":{},"AvailableCapacity":{},"MaxJobRequirements":{},)"
      R"("RunningExecutions":0,"EnqueuedExecutions":0,"address":"10.0.0.5"},)"
      R"("BacalhauVersion":{"GitVersion":"v1.7.0","GitCommit":"",)"
      R"("BuildDate":"2024-08-01T10:00:00Z","GOOS":"linux","GOARCH":"amd64"}},)"
      R"("Membership":"APPROVED","Connection":"CONNECTED",)"
      R"("ConnectionState":{"Status":"CONNECTED","LastHeartbeat":"2024-08-19T20:40:26Z",)"
      R"("ConnectedSince":"2024-08-19T20:00:00Z","DisconnectedSince":"0001-01-01T00:00:00Z"}})");
}

TEST(JsonEncodeTest, UndefinedNodeTypeAndVersionParts) {
  NodeInfo info;
  EXPECT_EQ(toJson(info).at("NodeType"), "nodeTypeUndefined");
  BuildVersionInfo v;
  v.major = "1";
  v.minor = "7";
  bj::object obj = toJson(v).as_object();
  EXPECT_EQ(obj.at("Major"), "1");
  EXPECT_EQ(obj.at("Minor"), "7");
  EXPECT_FALSE(toJson(BuildVersionInfo{}).as_object().contains("Major"));
}

TEST(JsonEncodeTest, EvaluationTimes) {
  Evaluation e;
  e.id = "v-1";
  e.create_time = 5;
  EXPECT_EQ(serialize(toJson(e)),
            R"({"ID":"v-1","Namespace":"","JobID":"","TriggeredBy":"","Priority":0,"Type":"",)"
            R"("Status":"","Comment":"","WaitUntil":"0001-01-01T00:00:00Z","CreateTime":5,)"
            R"("ModifyTime":0})");
  e.wait_until = timeOf("2024-01-01T00:00:01.5Z");
  EXPECT_EQ(toJson(e).at("WaitUntil"), "2024-01-01T00:00:01.5Z");
}

TEST(JsonEncodeTest, ResourcesOmitZeroAndRequirementsOmitEmptyValues) {
  EXPECT_EQ(serialize(toJson(Resources{})), "{}");
  Resources r;
  r.gpu = 1;
  r.gpus.push_back({0, "Tesla T4", "NVIDIA", 15360, "0000:00:1e.0"});
  EXPECT_EQ(serialize(toJson(r)),
            R"({"GPU":1,"GPUs":[{"Index":0,"Name":"Tesla T4","Vendor":"NVIDIA","Memory":15360,)"
            R"("PCIAddress":"0000:00:1e.0"}]})");
  EXPECT_EQ(serialize(toJson(LabelSelectorRequirement{"gpu", "exists", {}})),
            R"({"Key":"gpu","Operator":"exists"})");
  EXPECT_EQ(serialize(toJson(LabelSelectorRequirement{"zone", "in", {"a", "b"}})),
            R"({"Key":"zone","Operator":"in","Values":["a","b"]})");
}

// ---- decoding -----------------------------------------------------------------------------------

TEST(JsonDecodeTest, GoCliSubmitBodyDecodes) {
  bj::value body = parse(
      R"({"Namespace":"","Credential":null,"IdempotencyToken":"","Force":false,
      "Job":{"ID":"","Name":"","Namespace":"default","Type":"batch","Priority":0,"Count":1,
      "Constraints":null,"Meta":null,"Labels":{},"State":{"StateType":"Undefined"},"Version":0,
      "Revision":0,"CreateTime":0,"ModifyTime":0,
      "Tasks":[{"Name":"main","Engine":{"Type":"docker","Params":{"Image":"busybox:1.37.0",
      "Entrypoint":null,"Parameters":["echo","hi"],"EnvironmentVariables":null,
      "WorkingDirectory":""}},"Publisher":null,"Resources":{},"Timeouts":{}}]}})");
  auto job = jobFromJson(body.at("Job"));
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->type, "batch");
  EXPECT_EQ(job->ns, "default");
  EXPECT_EQ(job->count, 1);
  EXPECT_TRUE(job->constraints.empty());
  ASSERT_EQ(job->tasks.size(), 1u);
  EXPECT_EQ(job->task().engine.type, "docker");
  EXPECT_EQ(job->task().engine.params.at("Image"), "busybox:1.37.0");
  EXPECT_TRUE(job->task().engine.params.at("Entrypoint").is_null());
  EXPECT_TRUE(job->task().publisher.isEmpty());
  EXPECT_EQ(job->state.state_type, JobStateType::kUndefined);
}

TEST(JsonDecodeTest, KeysAreCaseInsensitiveAndUnknownKeysIgnored) {
  auto job = jobFromJson(parse(
      R"({"name":"hello","TYPE":"batch","count":2,"whatever":{"x":1},
          "tasks":[{"name":"main","engine":{"type":"docker","params":{"image":"busybox"}},
                    "resources":{"cpu":"1","memory":"1gb"},"network":{"type":"none"}}]})"));
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->name, "hello");
  EXPECT_EQ(job->count, 2);
  EXPECT_EQ(job->task().engine.type, "docker");
  EXPECT_EQ(job->task().engine.params.at("image"), "busybox");  // params are kept as written
  EXPECT_EQ(job->task().resources.memory, "1gb");
  EXPECT_EQ(job->task().network.type, NetworkType::kNone);
}

TEST(JsonDecodeTest, CountDefaultsToOneOnlyWhenAbsent) {
  EXPECT_EQ(jobFromJson(parse(R"({"Type":"batch"})"))->count, 1);
  EXPECT_EQ(jobFromJson(parse(R"({"Type":"batch","Count":null})"))->count, 1);
  EXPECT_EQ(jobFromJson(parse(R"({"Type":"batch","Count":0})"))->count, 0);
  EXPECT_EQ(jobFromJson(parse(R"({"Type":"batch","Count":3})"))->count, 3);
}

TEST(JsonDecodeTest, NullIsTheSameAsAbsent) {
  auto job = jobFromJson(parse(
      R"({"Type":null,"Meta":null,"Tasks":[null,{"Name":"t","Engine":null,"Env":null,
          "InputSources":null,"Network":null,"Timeouts":{"TotalTimeout":null}}]})"));
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->type, "");
  ASSERT_EQ(job->tasks.size(), 1u);
  EXPECT_EQ(job->task().name, "t");
  EXPECT_EQ(job->task().timeouts.total_timeout, 0);
}

TEST(JsonDecodeTest, WrongTypesNameTheFieldPath) {
  EXPECT_EQ(jobError(R"({"Tasks":[{"Resources":{"CPU":2}}]})").message(),
            "Job.Tasks[0].Resources.CPU: expected a string, got a number");
  EXPECT_EQ(jobError(R"({"Count":"3"})").message(), "Job.Count: expected a number, got a string");
  EXPECT_EQ(jobError(R"({"Tasks":{"Name":"main"}})").message(),
            "Job.Tasks: expected an array, got an object");
  EXPECT_EQ(jobError(R"({"Labels":{"a":["x"]}})").message(),
            "Job.Labels[\"a\"]: expected a string, got an array");
  EXPECT_EQ(jobError(R"({"Tasks":[{},{"Engine":{"Params":[1]}}]})").message(),
            "Job.Tasks[1].Engine.Params: expected an object, got an array");
  EXPECT_EQ(jobError(R"({"Count":1.5})").message(), "Job.Count: expected a whole number, got 1.5");
  EXPECT_EQ(jobError(R"({"Version":-1})").message(), "Job.Version: must not be negative, got -1");
  EXPECT_EQ(jobError("[1]").message(), "Job: expected an object, got an array");
  EXPECT_EQ(jobError(R"({"Tasks":[{"Timeouts":{"QueueTimeout":true}}]})").code(),
            StatusCode::kInvalidArgument);

  DecodeOptions opts;
  opts.path = "Request.Job";
  EXPECT_EQ(jobError(R"({"Type":7})", opts).message(),
            "Request.Job.Type: expected a string, got a number");
}

TEST(JsonDecodeTest, LenientScalarsConvertBetweenTextAndNumbers) {
  DecodeOptions lenient;
  lenient.lenient_scalars = true;
  auto job = jobFromJson(parse(
                             R"({"Count":"3","Priority":" 5 ","Labels":{"n":1,"b":true,"f":0.5},
          "Tasks":[{"Name":42,"Resources":{"CPU":2,"Memory":1024},
                    "Timeouts":{"TotalTimeout":"60"}}]})"),
                         lenient);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->count, 3);
  EXPECT_EQ(job->priority, 5);
  EXPECT_EQ(job->labels, (StringMap{{"n", "1"}, {"b", "true"}, {"f", "0.5"}}));
  EXPECT_EQ(job->task().name, "42");
  EXPECT_EQ(job->task().resources.cpu, "2");
  EXPECT_EQ(job->task().resources.memory, "1024");
  EXPECT_EQ(job->task().timeouts.total_timeout, 60);

  EXPECT_EQ(jobError(R"({"Count":"three"})", lenient).message(),
            "Job.Count: expected a whole number, got \"three\"");
}

TEST(JsonDecodeTest, JobStateAcceptsNamesAndNumbers) {
  auto state = [&](std::string_view json) {
    auto job = jobFromJson(parse(std::string(R"({"State":{"StateType":)") + std::string(json) +
                                 R"(,"Message":"m"}})"));
    EXPECT_TRUE(job.isOk()) << job.status().toString();
    return job.isOk() ? job->state.state_type : JobStateType::kUndefined;
  };
  EXPECT_EQ(state(R"("Completed")"), JobStateType::kCompleted);
  EXPECT_EQ(state(R"("running")"), JobStateType::kRunning);
  EXPECT_EQ(state("6"), JobStateType::kStopped);
  EXPECT_EQ(state(R"("Bogus")"), JobStateType::kUndefined);
  EXPECT_EQ(jobError(R"({"State":{"StateType":9}})").message(),
            "Job.State.StateType: unknown job state 9; valid values are 0 (Undefined) to 6 "
            "(Stopped)");
}

TEST(JsonDecodeTest, ExecutionStatesAreIntegersOrNames) {
  auto e = executionFromJson(
      parse(R"({"ComputeState":{"StateType":9},"DesiredState":{"StateType":"stopped"}})"));
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->compute_state.state_type, ExecutionStateType::kCompleted);
  EXPECT_EQ(e->desired_state.state_type, ExecutionDesiredStateType::kStopped);
  EXPECT_EQ(executionFromJson(parse(R"({"ComputeState":{"StateType":"BidAccepted"}})"))
                ->compute_state.state_type,
            ExecutionStateType::kBidAccepted);

  auto bad = executionFromJson(parse(R"({"ComputeState":{"StateType":12}})"));
  EXPECT_EQ(bad.status().message(),
            "Execution.ComputeState.StateType: unknown state 12; valid values are 0 (Undefined) "
            "to 11 (Cancelled)");
  auto bad_name = executionFromJson(parse(R"({"DesiredState":{"StateType":"Later"}})"));
  EXPECT_EQ(bad_name.status().message(),
            "Execution.DesiredState.StateType: unknown state \"Later\"; valid values are 0 "
            "(Pending) to 2 (Stopped)");
}

TEST(JsonDecodeTest, NetworkTypeByNameOrNumber) {
  auto net = [&](std::string_view type) {
    auto job = jobFromJson(
        parse(std::string(R"({"Tasks":[{"Network":{"Type":)") + std::string(type) + "}}]}"));
    EXPECT_TRUE(job.isOk()) << job.status().toString();
    return job.isOk() ? job->task().network.type : NetworkType::kDefault;
  };
  EXPECT_EQ(net(R"("HTTP")"), NetworkType::kHttp);
  EXPECT_EQ(net(R"("bridge")"), NetworkType::kBridge);
  EXPECT_EQ(net(R"("")"), NetworkType::kDefault);
  EXPECT_EQ(net("3"), NetworkType::kFull);
  EXPECT_EQ(jobError(R"({"Tasks":[{"Network":{"Type":"wifi"}}]})").message(),
            "Job.Tasks[0].Network.Type: unknown network type \"wifi\"; valid values are "
            "Default, None, Host, Full, HTTP, Bridge");
}

TEST(JsonDecodeTest, GoZeroTimeDecodesToTheZeroTime) {
  auto h = jobHistoryFromJson(parse(
      R"({"Type":"joblevel","Time":"0001-01-01T00:00:00Z",
          "Event":{"Timestamp":"2024-08-19T22:40:26.1+02:00"}})"));
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->time, Time{});
  EXPECT_EQ(h->type, JobHistoryType::kJobLevel);
  EXPECT_EQ(h->event.timestamp, timeOf("2024-08-19T20:40:26.1Z"));

  auto bad = jobHistoryFromJson(parse(R"({"Time":"yesterday"})"));
  EXPECT_EQ(bad.status().message(),
            "JobHistory.Time: invalid time \"yesterday\": expected RFC 3339 like "
            "\"2024-08-19T20:40:26Z\"");
  EXPECT_EQ(jobHistoryFromJson(parse(R"({"Time":"1500-01-01T00:00:00Z"})")).status().message(),
            "JobHistory.Time: time \"1500-01-01T00:00:00Z\" is out of range; use a year from 1678 "
            "to 2261");
  EXPECT_EQ(jobHistoryFromJson(parse(R"({"Time":"0001-01-01T00:00:00.000+00:00"})"))->time, Time{});
  EXPECT_EQ(jobHistoryFromJson(parse(R"({"Time":5})")).status().message(),
            "JobHistory.Time: expected an RFC 3339 time string, got a number");
  EXPECT_EQ(jobHistoryFromJson(parse(R"({"Type":"Nope"})")).status().message(),
            "JobHistory.Type: unknown history type \"Nope\"; valid values are JobLevel and "
            "ExecutionLevel");
}

TEST(JsonDecodeTest, LowerCaseWireKeys) {
  auto out = runCommandResultFromJson(
      parse(R"({"Stdout":"o","stderr":"e","StderrTruncated":true,"ExitCode":3})"));
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->stdout_text, "o");
  EXPECT_EQ(out->stderr_text, "e");
  EXPECT_TRUE(out->stderr_truncated);
  EXPECT_EQ(out->exit_code, 3);

  auto info = nodeInfoFromJson(parse(
      R"({"NodeType":"compute","ComputeNodeInfo":{"address":"10.0.0.5",
          "QueueCapacity":{"CPU":1},"ExecutionEngines":null}})"));
  ASSERT_TRUE(info.isOk()) << info.status().toString();
  EXPECT_EQ(info->node_type, kNodeTypeCompute);
  EXPECT_EQ(info->compute_node_info.address, "10.0.0.5");
  EXPECT_EQ(info->compute_node_info.queue_capacity.cpu, 1.0);
  EXPECT_EQ(nodeInfoFromJson(parse(R"({"NodeType":"nodeTypeUndefined"})"))->node_type, "");
}

TEST(JsonDecodeTest, NodeStateFallsBackToTheDeprecatedConnectionKey) {
  auto n = nodeStateFromJson(parse(R"({"Membership":"pending","Connection":"connected"})"));
  ASSERT_TRUE(n.isOk()) << n.status().toString();
  EXPECT_EQ(n->membership, kMembershipPending);
  EXPECT_EQ(n->connection_state.status, kConnectionConnected);
  EXPECT_TRUE(n->isConnected());
}

TEST(JsonDecodeTest, NodeStateDrainIsCodsOwnKeyPresentOnlyWhileDraining) {
  auto n = nodeStateFromJson(parse(
      R"({"Membership":"APPROVED","Drain":{"Message":"disk swap","Since":"2024-08-19T20:00:00Z"}})"));
  ASSERT_TRUE(n.isOk()) << n.status().toString();
  EXPECT_TRUE(n->isDraining());
  EXPECT_EQ(n->drain.message, "disk swap");
  EXPECT_EQ(n->drain.since, timeOf("2024-08-19T20:00:00Z"));
  bj::value encoded = toJson(*n);
  EXPECT_EQ(serialize(encoded.at("Drain")),
            R"({"Message":"disk swap","Since":"2024-08-19T20:00:00Z"})");

  auto plain = nodeStateFromJson(parse(R"({"Membership":"APPROVED","Drain":null})"));
  ASSERT_TRUE(plain.isOk());
  EXPECT_FALSE(plain->isDraining());
  EXPECT_FALSE(toJson(*plain).as_object().contains("Drain"));
}

TEST(JsonDecodeTest, TopLevelNullIsAnError) {
  EXPECT_EQ(jobFromJson(bj::value()).status().message(), "Job: expected an object, got null");
  EXPECT_EQ(specConfigFromJson(bj::value("x")).status().message(),
            "SpecConfig: expected an object, got a string");
}

// Numbers from peers and job specs become int64 only when they are one exactly; nothing throws.
TEST(JsonTest, ExactInt64TakesWholeNumbersThatFit) {
  auto exact = [](const char* text) { return exactInt64(*parseJson(text)); };
  EXPECT_EQ(exact("42"), 42);
  EXPECT_EQ(exact("-7"), -7);
  EXPECT_EQ(exact("3.0"), 3);
  EXPECT_EQ(exact("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(exact("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(exact("1.5"), std::nullopt);
  EXPECT_EQ(exact("1e30"), std::nullopt);
  EXPECT_EQ(exact("9223372036854775808"), std::nullopt);  // 2^63, a uint64
  EXPECT_EQ(exact("17000000000000000000"), std::nullopt);
  EXPECT_EQ(exact("9.3e18"), std::nullopt);
  EXPECT_EQ(exact("\"5\""), std::nullopt);
  EXPECT_EQ(exact("null"), std::nullopt);
}

}  // namespace
}  // namespace cod::models
