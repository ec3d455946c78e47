#include "models/job_validation.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "common/strings.h"
#include "models/json.h"
#include "models/wasm_params.h"

namespace cod::models {
namespace {

Job validJob() {
  Job job;
  job.type = "batch";
  job.count = 1;
  Task task;
  task.name = "main";
  task.engine.type = "docker";
  task.engine.params["Image"] = "busybox:1.37.0";
  job.tasks.push_back(task);
  return job;
}

// The failures of validateJob, one per line; empty when valid.
std::vector<std::string> failures(const Job& job) {
  Status s = validateJob(job);
  if (s.isOk()) return {};
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return split(s.message(), '\n');
}

std::string onlyFailure(const Job& job) {
  auto lines = failures(job);
  EXPECT_EQ(lines.size(), 1u) << join(lines, "\n");
  return lines.empty() ? "" : lines[0];
}

// ---- normalizeJob -------------------------------------------------------------------------------

TEST(NormalizeJobTest, FillsDefaultsAndTrims) {
  Job job = validJob();
  job.id = "j-1";
  job.type = "ops";
  job.count = 1;
  Task& t = job.task();
  t.engine.type = "  docker\n";
  t.publisher.type = " local ";
  t.input_sources.push_back({{" s3 ", {}}, " in ", " /inputs "});
  t.result_paths.push_back({" out ", " /out "});
  t.resources = {" 500M ", "512 MB", "1 Gi", " 1 "};
  t.network.domains = {" Example.COM "};
  normalizeJob(job);

  EXPECT_EQ(job.ns, "default");
  EXPECT_EQ(job.name, "j-1");
  EXPECT_EQ(job.count, 0);
  EXPECT_EQ(t.engine.type, "docker");
  EXPECT_EQ(t.publisher.type, "local");
  EXPECT_EQ(t.input_sources[0], (InputSource{{"s3", {}}, "in", "/inputs"}));
  EXPECT_EQ(t.result_paths[0], (ResultPath{"out", "/out"}));
  EXPECT_EQ(t.resources, (ResourcesConfig{"500m", "512mb", "1gi", "1"}));
  EXPECT_EQ(t.network.domains, std::vector<std::string>{"example.com"});

  Job again = job;
  normalizeJob(again);
  EXPECT_EQ(again, job);  // idempotent
}

TEST(NormalizeJobTest, KeepsExplicitNameNamespaceAndBatchCount) {
  Job job = validJob();
  job.name = "named";
  job.ns = "team";
  job.count = 0;
  normalizeJob(job);
  EXPECT_EQ(job.name, "named");
  EXPECT_EQ(job.ns, "team");
  EXPECT_EQ(job.count, 0);
  job.type = "daemon";
  job.count = 5;
  normalizeJob(job);
  EXPECT_EQ(job.count, 0);
}

// ---- sanitizeSubmittedJob -----------------------------------------------------------------------

TEST(SanitizeSubmittedJobTest, WarnsAboutEverythingTheServerOwns) {
  Job job = validJob();
  job.id = "j-client";
  job.state.state_type = JobStateType::kRunning;
  job.revision = 2;
  job.version = 3;
  job.create_time = 10;
  job.modify_time = 11;
  job.tasks.push_back(job.task());
  job.meta = {{"bacalhau.org/requester.id", "x"}, {"owner", "me"}};
  auto warnings = sanitizeSubmittedJob(job);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "job state is ignored when submitting a job",
                          "job revision is ignored when submitting a job",
                          "job version is ignored when submitting a job",
                          "job create time is ignored when submitting a job",
                          "job modify time is ignored when submitting a job",
                          "job ID is ignored when submitting a batch job",
                          "only one task is supported per job",
                          "job meta key \"bacalhau.org/requester.id\" is reserved and will be "
                          "ignored",
                      }));
  EXPECT_EQ(job.id, "");
  EXPECT_EQ(job.state, JobState{});
  EXPECT_EQ(job.revision, 0u);
  EXPECT_EQ(job.version, 0u);
  EXPECT_EQ(job.create_time, 0);
  EXPECT_EQ(job.modify_time, 0);
  EXPECT_EQ(job.tasks.size(), 1u);
  EXPECT_EQ(job.meta, (StringMap{{"owner", "me"}}));
  EXPECT_TRUE(sanitizeSubmittedJob(job).empty());
}

TEST(SanitizeSubmittedJobTest, KeepsTheIdOfServiceAndDaemonJobs) {
  for (const char* type : {"service", "daemon"}) {
    Job job = validJob();
    job.type = type;
    job.id = "j-mine";
    EXPECT_TRUE(sanitizeSubmittedJob(job).empty()) << type;
    EXPECT_EQ(job.id, "j-mine");
  }
  Job ops = validJob();
  ops.type = "ops";
  ops.id = "j-mine";
  EXPECT_EQ(sanitizeSubmittedJob(ops),
            std::vector<std::string>{"job ID is ignored when submitting a batch job"});
  EXPECT_EQ(ops.id, "");
}

TEST(SanitizeSubmittedJobTest, UndefinedStateFromTheGoCliIsNotAWarning) {
  Job job = validJob();
  job.state.state_type = JobStateType::kUndefined;
  EXPECT_TRUE(sanitizeSubmittedJob(job).empty());
}

// ---- validateJob --------------------------------------------------------------------------------

TEST(ValidateJobTest, AcceptsAValidJobOfEveryType) {
  for (const char* type : {"batch", "ops", "service", "daemon"}) {
    Job job = validJob();
    job.type = type;
    normalizeJob(job);
    EXPECT_TRUE(validateJob(job).isOk()) << type << ": " << validateJob(job).message();
  }
}

TEST(ValidateJobTest, JobLevelRules) {
  Job job = validJob();
  job.type = "";
  EXPECT_EQ(onlyFailure(job),
            "Job.Type: must not be blank; use one of batch, ops, service, daemon");
  job.type = "cron";
  EXPECT_EQ(onlyFailure(job), "Job.Type: must be one of batch, ops, service, daemon, got \"cron\"");

  job = validJob();
  job.count = -1;
  EXPECT_EQ(onlyFailure(job), "Job.Count: must not be negative, got -1");
  job.type = "daemon";
  job.count = 2;
  EXPECT_EQ(onlyFailure(job),
            "Job.Count: must be 0 or 1 for daemon jobs, which run once on every matching node; "
            "got 2");

  job = validJob();
  job.tasks.clear();
  EXPECT_EQ(onlyFailure(job), "Job.Tasks: must contain a task; add one with a Name and an Engine");
}

TEST(ValidateJobTest, Constraints) {
  Job job = validJob();
  job.constraints = {{"zone", "in", {}}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Constraints[0]: operator \"in\" on key \"zone\" needs at least one value, like "
            "\"(a,b)\"");
  job.constraints = {{"zone", "=", {"a"}}, {"cores", "gt", {"many"}}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Constraints[1]: operator \"gt\" on key \"cores\" needs a whole number to compare "
            "with, got \"many\"");
}

TEST(ValidateJobTest, TaskNameAndEngine) {
  Job job = validJob();
  job.task().name = " ";
  job.task().engine.type = "";
  EXPECT_EQ(failures(job), (std::vector<std::string>{
                               "Job.Tasks[0].Name: must not be blank; name the task (like "
                               "\"main\")",
                               "Job.Tasks[0].Engine.Type: must not be blank",
                           }));
  job = validJob();
  job.task().name = std::string("a\0b", 3);
  EXPECT_EQ(onlyFailure(job), "Job.Tasks[0].Name: must not contain a NUL character");
}

TEST(ValidateJobTest, EnvironmentVariables) {
  Job job = validJob();
  job.task().env = {{"GOOD_1", "x"}};
  EXPECT_TRUE(validateJob(job).isOk());
  job.task().env = {{"lower", "x"}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Env[\"lower\"]: invalid name: environment variable names start with an "
            "upper-case letter and contain only A-Z, 0-9 and _ (like \"MY_VAR\")");
  job.task().env = {{"BACALHAU_JOB_ID", "x"}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Env[\"BACALHAU_JOB_ID\"]: names starting with BACALHAU_ or COD_ are "
            "reserved for the system; choose another name");
  job.task().env = {{"COD_X", "x"}, {"EMPTY", ""}, {"1ST", "x"}};
  EXPECT_EQ(failures(job).size(), 3u);
  job.task().env = {{"EMPTY", ""}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Env[\"EMPTY\"]: value must not be empty; remove the variable or set it");
}

TEST(ValidateJobTest, Timeouts) {
  Job job = validJob();
  job.task().timeouts = {-1, 0, 0};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Timeouts.ExecutionTimeout: must not be negative, got -1 (use 0 for no "
            "timeout)");
  job.task().timeouts = {60, 100, 120};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Timeouts: ExecutionTimeout (60s) + QueueTimeout (100s) must not exceed "
            "TotalTimeout (120s); raise TotalTimeout or lower the others");
  job.task().timeouts = {60, 60, 120};
  EXPECT_TRUE(validateJob(job).isOk());
  job.task().timeouts = {600, 600, 0};  // no total timeout: no sum rule
  EXPECT_TRUE(validateJob(job).isOk());
}

TEST(ValidateJobTest, ResourcesMustParse) {
  Job job = validJob();
  job.task().resources = {"500m", "512mb", "1gb", "1"};
  EXPECT_TRUE(validateJob(job).isOk());
  job.task().resources.memory = "lots";
  std::string failure = onlyFailure(job);
  EXPECT_EQ(failure.rfind("Job.Tasks[0].Resources.Memory: invalid size \"lots\"", 0), 0u)
      << failure;
  job.task().resources = {"two", "", "", ""};
  EXPECT_EQ(onlyFailure(job).rfind("Job.Tasks[0].Resources.CPU: invalid CPU quantity", 0), 0u);
}

TEST(ValidateJobTest, InputsAndResults) {
  Job job = validJob();
  Task& t = job.task();
  t.input_sources = {{{"", {}}, "", ""}, {{"s3", {{"Bucket", "b"}}}, "a", "relative"}};
  EXPECT_EQ(
      failures(job),
      (std::vector<std::string>{
          "Job.Tasks[0].InputSources[0].Source.Type: must not be blank; say where the input "
          "comes from (s3, ipfs, urlDownload, inline, local)",
          "Job.Tasks[0].InputSources[0].Target: must not be blank; give the absolute path "
          "where the input appears inside the task (like \"/inputs\")",
          "Job.Tasks[0].InputSources[1].Target: must be an absolute path, got \"relative\" (only "
          "wasm and python tasks take paths relative to /)",
      }));

  t.input_sources = {
      {{"s3", {{"Bucket", "b"}}}, "a", "/in"},
      {{"ipfs", {{"CID", "QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa"}}}, "a", "/in"},
      {{"s3", {{"Bucket", "b"}}}, "", "/x"},
      {{"s3", {{"Bucket", "b"}}}, "", "/y"}};
  EXPECT_EQ(failures(job), (std::vector<std::string>{
                               "Job.Tasks[0].InputSources[1].Alias: duplicate alias \"a\" (also "
                               "used by [0]); each must be unique",
                               "Job.Tasks[0].InputSources[1].Target: duplicate target \"/in\" "
                               "(also used by [0]); each must be unique",
                           }));

  t.input_sources.clear();
  t.publisher.type = "local";
  t.result_paths = {{"", "out"}, {"out", "/out"}, {"out", "/out"}};
  EXPECT_EQ(
      failures(job),
      (std::vector<std::string>{
          "Job.Tasks[0].ResultPaths[0].Name: must not be blank; it names the folder of this "
          "result",
          "Job.Tasks[0].ResultPaths[0].Path: must be an absolute path, got \"out\" (only wasm and "
          "python tasks take paths relative to /)",
          "Job.Tasks[0].ResultPaths[2].Name: duplicate result name \"out\" (also used by "
          "[1]); each must be unique",
          "Job.Tasks[0].ResultPaths[2].Path: duplicate result path \"/out\" (also used by "
          "[1]); each must be unique",
      }));
}

TEST(ValidateJobTest, ResultPathsNeedAPublisher) {
  Job job = validJob();
  job.task().result_paths = {{"output_custom", "/output_custom"}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Publisher.Type: must be set when ResultPaths are given, otherwise the "
            "results have nowhere to go; add a publisher such as {\"Type\":\"local\"}");
  job.task().publisher.type = "local";
  EXPECT_TRUE(validateJob(job).isOk());
}

TEST(ValidateJobTest, Network) {
  Job job = validJob();
  NetworkConfig& net = job.task().network;
  net = {NetworkType::kFull, {"example.com"}, {}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Network.Domains: only allowed with network type HTTP, got Full; set "
            "Type to HTTP or remove the domains");
  net = {NetworkType::kHttp, {"example.com"}, {}};
  EXPECT_TRUE(validateJob(job).isOk());

  net = {NetworkType::kNone, {}, {{"WEB", 8080, 0, ""}}};
  EXPECT_EQ(onlyFailure(job),
            "Job.Tasks[0].Network.Ports: only allowed with network type Host, Bridge or Full, got "
            "None; change Type or remove the ports");
  for (auto type : {NetworkType::kHost, NetworkType::kBridge, NetworkType::kFull}) {
    net.type = type;
    EXPECT_TRUE(validateJob(job).isOk()) << networkTypeName(type);
  }

  net = {NetworkType::kBridge, {}, {{"WEB", 80, 70000, ""}, {"", 0, 0, ""}, {"WEB", 2000, 0, ""}}};
  EXPECT_EQ(failures(job),
            (std::vector<std::string>{
                "Job.Tasks[0].Network.Ports[0].Static: must be between 1024 and 65535, got 80 (0 "
                "picks a free port)",
                "Job.Tasks[0].Network.Ports[0].Target: must be between 0 and 65535, got 70000",
                "Job.Tasks[0].Network.Ports[1].Name: must not be blank; the port is exposed to the "
                "task as BACALHAU_PORT_<Name>",
                "Job.Tasks[0].Network.Ports[2].Name: duplicate port name \"WEB\" (also used by "
                "[0]); each must be unique",
            }));
}

TEST(ValidateJobTest, ReportsEveryFailureAtOnce) {
  Job job = validJob();
  job.type = "cron";
  job.count = -2;
  job.task().engine.type = "";
  job.task().timeouts.queue_timeout = -5;
  EXPECT_EQ(failures(job).size(), 4u);
}

// ---- sameSpec and diffSpecs ---------------------------------------------------------------------

TEST(SameSpecTest, IgnoresServerOwnedFieldsAndResourceCase) {
  Job a = validJob();
  a.task().resources.memory = "512mb";
  Job b = a;
  b.id = "j-other";
  b.state.state_type = JobStateType::kCompleted;
  b.version = 4;
  b.revision = 7;
  b.create_time = 1;
  b.modify_time = 2;
  b.meta["bacalhau.org/requester.id"] = "n-1";
  b.task().resources.memory = "512MB";
  EXPECT_TRUE(sameSpec(a, b));
  EXPECT_EQ(diffSpecs(a, b), "");

  b.meta["owner"] = "me";
  EXPECT_FALSE(sameSpec(a, b));
  Job c = a;
  c.count = 2;
  EXPECT_FALSE(sameSpec(a, c));
}

TEST(DiffSpecsTest, ShowsChangedLinesWithContext) {
  Job a = validJob();
  a.name = "job";
  Job b = a;
  b.count = 3;
  std::string diff = diffSpecs(a, b);
  EXPECT_NE(diff.find("- Count: 1\n+ Count: 3\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("  Type: batch\n"), std::string::npos) << diff;  // context
  EXPECT_EQ(diff.find("State"), std::string::npos) << diff;  // server-owned fields are left out
  EXPECT_EQ(diff.find("Image"), std::string::npos) << diff;  // far from the change

  b = a;
  b.task().engine.params["Image"] = "ubuntu:24.04";
  diff = diffSpecs(a, b);
  EXPECT_NE(diff.find("-         Image: busybox:1.37.0\n+         Image: ubuntu:24.04\n"),
            std::string::npos)
      << diff;
}

// ---- spec strings that become paths (hostile input) ---------------------------------------------

// A ResultPaths Name was joined into the host side of a bind mount: "/etc" mounted the host's /etc
// read-write into a root container.
TEST(ValidateJobTest, ResultNameIsOnePlainPathSegment) {
  for (const char* name : {"/etc", "/", "../../x", "..", ".", "a/b", "x\x01y", "a/../b"}) {
    Job job = validJob();
    job.task().publisher.type = "local";
    job.task().result_paths.push_back({name, "/hostetc"});
    std::string f = onlyFailure(job);
    EXPECT_TRUE(startsWith(f, "Job.Tasks[0].ResultPaths[0].Name: must be one plain folder name"))
        << name << ": " << f;
  }
  Job nul = validJob();
  nul.task().publisher.type = "local";
  nul.task().result_paths.push_back({std::string("out\0put", 7), "/out"});
  EXPECT_NE(onlyFailure(nul).find("NUL"), std::string::npos);
  Job long_name = validJob();
  long_name.task().publisher.type = "local";
  long_name.task().result_paths.push_back({std::string(256, 'a'), "/out"});
  EXPECT_NE(onlyFailure(long_name).find("longer than 255 bytes"), std::string::npos);

  Job ok = validJob();
  ok.task().publisher.type = "local";
  ok.task().result_paths.push_back({"outputs", "/outputs"});
  ok.task().result_paths.push_back({"my.results-2", "/out/deep"});
  EXPECT_TRUE(failures(ok).empty()) << join(failures(ok), "\n");
}

TEST(ValidateJobTest, ResultAndInputPathsAreCleanAndNotKernelFileSystems) {
  for (const char* path : {"/", "/proc", "/sys/", "/dev", "//proc", "/dev/shm", "/proc/self"}) {
    Job job = validJob();
    job.task().publisher.type = "local";
    job.task().result_paths.push_back({"out", path});
    std::string f = onlyFailure(job);
    EXPECT_TRUE(startsWith(f, "Job.Tasks[0].ResultPaths[0].Path: \"")) << path << ": " << f;
    EXPECT_NE(f.find("kernel file system"), std::string::npos) << f;
  }
  for (const char* path : {"/out/../etc", "/a/./b", "/x:/y", "/out,ro", "/out\nx"}) {
    Job job = validJob();
    job.task().publisher.type = "local";
    job.task().result_paths.push_back({"out", path});
    EXPECT_TRUE(startsWith(onlyFailure(job),
                           "Job.Tasks[0].ResultPaths[0].Path: must be a plain absolute path"))
        << path;
    Job in = validJob();
    in.task().input_sources.push_back({{"inline", {{"URL", "data:,x"}}}, "", path});
    EXPECT_TRUE(startsWith(onlyFailure(in),
                           "Job.Tasks[0].InputSources[0].Target: must be a plain absolute path"))
        << path;
  }
  Job alias = validJob();
  alias.task().input_sources.push_back({{"inline", {{"URL", "data:,x"}}}, "../x", "/inputs"});
  EXPECT_TRUE(startsWith(onlyFailure(alias), "Job.Tasks[0].InputSources[0].Alias: must be"));
}

// Service jobs keep the client's ID, and IDs name files on compute nodes.
TEST(ValidateJobTest, ClientIdsAreSafeIds) {
  for (const char* id : {"../../x", "/etc", "a/b", ".hidden", "-x", "a b", "x\x7f"}) {
    Job job = validJob();
    job.type = "service";
    job.id = id;
    EXPECT_TRUE(startsWith(onlyFailure(job), "Job.ID: must use only letters")) << id;
  }
  Job ok = validJob();
  ok.type = "service";
  ok.id = "my-service_2.v1";
  EXPECT_TRUE(failures(ok).empty());
}

TEST(ValidateJobTest, CountHasAConfigurableMaximum) {
  Job job = validJob();
  job.count = 1000000000;
  EXPECT_EQ(onlyFailure(job),
            "Job.Count: must be at most 10000, got 1000000000 (the orchestrator's "
            "--max-job-count; each partition needs a node of its own)");
  job.count = 50;
  EXPECT_TRUE(validateJob(job, JobLimits{50}).isOk());
  EXPECT_FALSE(validateJob(job, JobLimits{49}).isOk());
}

TEST(ValidateJobTest, TimeoutsThatWouldOverflowAreRefused) {
  Job job = validJob();
  job.task().timeouts.execution_timeout = INT64_MAX;
  job.task().timeouts.queue_timeout = INT64_MAX;
  auto lines = failures(job);
  ASSERT_EQ(lines.size(), 2u) << join(lines, "\n");
  EXPECT_TRUE(startsWith(lines[0], "Job.Tasks[0].Timeouts.ExecutionTimeout: must be at most"));
  EXPECT_TRUE(startsWith(lines[1], "Job.Tasks[0].Timeouts.QueueTimeout: must be at most"));
  job.task().timeouts = {};
  job.task().timeouts.total_timeout = kMaxTimeoutSeconds;
  job.task().timeouts.execution_timeout = kMaxTimeoutSeconds;
  EXPECT_TRUE(failures(job).empty());
}

TEST(UnsafePathReasonTest, TheComputeNodesOwnCheck) {
  Job job = validJob();
  job.id = "j-1";
  EXPECT_EQ(unsafePathReason(job, "e-1"), "");
  EXPECT_NE(unsafePathReason(job, "../e-1"), "");
  job.task().result_paths.push_back({"/etc", "/hostetc"});
  EXPECT_EQ(unsafePathReason(job, "e-1"),
            "Job.Tasks[0].ResultPaths[0].Name \"/etc\" has a '/' (it must be one path segment)");
  job.task().result_paths = {{"out", "/proc"}};
  EXPECT_NE(unsafePathReason(job, "e-1").find("kernel file system"), std::string::npos);
  job.task().result_paths = {};
  job.task().input_sources.push_back({{"inline", {{"URL", "data:,x"}}}, "", "/in/../../x"});
  EXPECT_NE(unsafePathReason(job, "e-1"), "");
  Job bad_id = validJob();
  bad_id.id = "../../x";
  EXPECT_NE(unsafePathReason(bad_id, "e-1"), "");
}

TEST(ValidateJobTest, KnownInputTypesNeedTheirParams) {
  Job job = validJob();
  job.task().input_sources = {
      {{"urlDownload", {{"URL", "file:///etc/passwd"}}}, "", "/a"},
      {{"inline", {{"URL", "http://x"}}}, "", "/b"},
      {{"local", {{"SourcePath", "relative"}}}, "", "/c"},
      {{"ipfs", {}}, "", "/d"},
      {{"s3", {{"Key", "k"}}}, "", "/e"},
      {{"s3", {{"Bucket", "b"}, {"Endpoint", "file:///etc"}}}, "", "/g"},
      {{"somethingNew", {}}, "", "/f"},  // a node may know it
      {{"ipfs", {{"CID", "QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa&arg=/etc"}}}, "", "/h"},
      {{"s3PreSigned", {{"PreSignedURL", "file:///etc/shadow"}}}, "", "/i"},
      {{"s3", {{"Bucket", "victim"}, {"Region", "x@attacker.example#"}}}, "", "/j"},
  };
  auto lines = failures(job);
  ASSERT_EQ(lines.size(), 9u) << join(lines, "\n");
  EXPECT_EQ(lines[8],
            "Job.Tasks[0].InputSources[9].Source.Params.Region: must be a region name like "
            "eu-west-1, got \"x@attacker.example#\"");
  EXPECT_EQ(lines[7],
            "Job.Tasks[0].InputSources[8].Source.Params.PreSignedURL: must be an http:// or "
            "https:// URL for s3PreSigned inputs");
  EXPECT_TRUE(startsWith(lines[0],
                         "Job.Tasks[0].InputSources[0].Source.Params.URL: must be an "
                         "http:// or https:// URL"));
  EXPECT_TRUE(startsWith(lines[1],
                         "Job.Tasks[0].InputSources[1].Source.Params.URL: must be a "
                         "data URL"));
  EXPECT_TRUE(startsWith(lines[2], "Job.Tasks[0].InputSources[2].Source.Params.SourcePath:"));
  EXPECT_EQ(lines[3], "Job.Tasks[0].InputSources[3].Source.Params.CID: must not be blank");
  EXPECT_EQ(lines[4], "Job.Tasks[0].InputSources[4].Source.Params.Bucket: must not be blank");
  EXPECT_EQ(lines[5],
            "Job.Tasks[0].InputSources[5].Source.Params.Endpoint: must be an http:// or https:// "
            "URL, got \"file:///etc\"");
  EXPECT_EQ(lines[6],
            "Job.Tasks[0].InputSources[7].Source.Params.CID: must be a CID (Qm… or bafy…), got "
            "\"QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa&arg=/etc\"");
}

TEST(ValidateJobTest, S3PublisherParamsAreCheckedAtSubmit) {
  Job job = validJob();
  job.task().publisher = {"s3", {{"Endpoint", "gopher://x"}, {"Encoding", "zip"}}};
  auto lines = failures(job);
  ASSERT_EQ(lines.size(), 4u) << join(lines, "\n");
  EXPECT_EQ(lines[0], "Job.Tasks[0].Publisher.Params.Bucket: must not be blank");
  EXPECT_TRUE(startsWith(lines[1], "Job.Tasks[0].Publisher.Params.Key: must not be blank"));
  EXPECT_EQ(lines[2], "Job.Tasks[0].Publisher.Params.Encoding: must be gzip or plain, got \"zip\"");
  EXPECT_TRUE(startsWith(lines[3], "Job.Tasks[0].Publisher.Params.Endpoint: must be an http://"));
  job.task().publisher = {"s3", {{"bucket", "b"}, {"key", "out/{jobID}"}}};  // the CLI's -p form
  EXPECT_TRUE(failures(job).empty()) << join(failures(job), "\n");
}

}  // namespace
}  // namespace cod::models

namespace cod::models {
namespace {

Job wasmJob(const std::string& entry_module, const std::string& target) {
  Job job = validJob();
  Task& t = job.task();
  t.engine = {"wasm", {{"EntryModule", entry_module}}};
  t.input_sources = {{{"inline", {{"URL", "data:,x"}}}, "", target}};
  return job;
}

TEST(ValidateWasmTest, RelativeTargetsAreGuestPathsForWasmOnly) {
  // Bacalhau's wasm examples: relative Targets and module paths, from the guest's "/".
  EXPECT_EQ(failures(wasmJob("main.wasm", "main.wasm")), std::vector<std::string>{});
  EXPECT_EQ(failures(wasmJob("/main.wasm", "main.wasm")), std::vector<std::string>{});
  EXPECT_EQ(failures(wasmJob("inputs/lib/main.wasm", "/inputs")), std::vector<std::string>{});
  Job job = wasmJob("main.wasm", "main.wasm");
  job.task().result_paths = {{"outputs", "outputs"}};
  job.task().publisher = {"local", {}};
  EXPECT_EQ(failures(job), std::vector<std::string>{});
  // Relative paths still may not climb out or name the kernel's file systems.
  EXPECT_EQ(failures(wasmJob("main.wasm", "../main.wasm"))
                .front()
                .rfind("Job.Tasks[0].InputSources[0].Target: must be a plain absolute path", 0),
            0u);
  EXPECT_EQ(
      onlyFailure(wasmJob("proc/x", "proc/x")).rfind("Job.Tasks[0].InputSources[0].Target", 0), 0u);
  // Docker tasks keep requiring absolute ones, with the same 400.
  Job docker = wasmJob("main.wasm", "main.wasm");
  docker.task().engine = {"docker", {{"Image", "busybox"}}};
  EXPECT_EQ(onlyFailure(docker),
            "Job.Tasks[0].InputSources[0].Target: must be an absolute path, "
            "got \"main.wasm\" (only wasm and python tasks take paths "
            "relative to /)");
}

TEST(ValidateJobTest, ResultNamesMayNotBeTheFilesEveryResultHolds) {
  for (const char* name : {"stdout", "stderr", "exitCode"}) {
    Job job = validJob();
    job.id = newJobId();
    job.task().result_paths = {{name, "/outputs"}};
    job.task().publisher = {"local", {}};
    EXPECT_EQ(onlyFailure(job).rfind("Job.Tasks[0].ResultPaths[0].Name: \"" + std::string(name) +
                                         "\" is a file every result holds",
                                     0),
              0u);
    EXPECT_NE(unsafePathReason(job, newExecutionId()), "") << name;
    job.task().result_paths = {{"outputs", "/outputs"}};
    EXPECT_EQ(unsafePathReason(job, newExecutionId()), "");
  }
}

TEST(ValidateWasmTest, InputsAndOutputsNeedFoldersOfTheirOwn) {
  Job job = wasmJob("main.wasm", "main.wasm");
  job.task().publisher = {"local", {}};
  job.task().result_paths = {{"a", "/out"}, {"b", "out/deeper"}};
  EXPECT_EQ(onlyFailure(job).rfind("Job.Tasks[0].ResultPaths[1]: \"/out/deeper\" lies inside "
                                   "\"/out\" (Job.Tasks[0].ResultPaths[0])",
                                   0),
            0u);
  job.task().result_paths = {{"a", "/main.wasm"}};
  EXPECT_NE(onlyFailure(job).find("lies inside \"/main.wasm\" (Job.Tasks[0].InputSources[0])"),
            std::string::npos);
  // Docker mounts nest fine.
  job.task().engine = {"docker", {{"Image", "busybox"}}};
  job.task().input_sources[0].target = "/in";
  job.task().result_paths = {{"a", "/in/out"}};
  EXPECT_EQ(failures(job), std::vector<std::string>{});
}

TEST(ValidateWasmTest, ParamsNameTheirField) {
  Job job = wasmJob("main.wasm", "main.wasm");
  job.task().engine.params.erase("EntryModule");
  EXPECT_EQ(onlyFailure(job).rfind("Job.Tasks[0].Engine.Params.EntryModule: is required", 0), 0u);
  EXPECT_EQ(onlyFailure(wasmJob("other.wasm", "main.wasm"))
                .rfind("Job.Tasks[0].Engine.Params.EntryModule: \"other.wasm\" is not provided by "
                       "any InputSource",
                       0),
            0u);
  EXPECT_NE(onlyFailure(wasmJob("../main.wasm", "main.wasm")).find("\"..\" segment"),
            std::string::npos);
  job = wasmJob("main.wasm", "main.wasm");
  job.task().engine.params["Entrypoint"] = "bad\nname";
  EXPECT_EQ(
      onlyFailure(job).rfind("Job.Tasks[0].Engine.Params.Entrypoint: \"bad\\nname\" is not", 0),
      0u);
  job = wasmJob("main.wasm", "main.wasm");
  job.task().engine.params["Parameters"] = boost::json::array{"a", 1};
  EXPECT_EQ(onlyFailure(job), "Job.Tasks[0].Engine.Params.Parameters[1]: expected a string");
  job = wasmJob("main.wasm", "main.wasm");
  job.task().engine.params["ImportModules"] = boost::json::array{"lib.wasm"};
  EXPECT_EQ(onlyFailure(job).rfind("Job.Tasks[0].Engine.Params.ImportModules[0]: \"lib.wasm\" is "
                                   "not provided",
                                   0),
            0u);
}

// The python engine's paths reach the node's sandbox: the same rules, at submit and on the node
// (parsePythonParams runs in both places).
TEST(ValidatePythonTest, HostileParamsNameTheirField) {
  auto python = [](boost::json::object params) {
    Job job = validJob();
    job.task().engine = {"python", std::move(params)};
    job.task().input_sources = {{{"inline", {{"URL", "data:,x"}}}, "", "/code"}};
    return job;
  };
  EXPECT_EQ(failures(python({{"Program", "/code/main.py"}, {"WorkingDirectory", "/code"}})),
            std::vector<std::string>{});
  EXPECT_NE(onlyFailure(python({})).find("Engine.Params.Command and Program: give exactly one"),
            std::string::npos);
  EXPECT_NE(onlyFailure(python({{"Program", "/code/../etc/passwd"}})).find("\"..\" segment"),
            std::string::npos);
  EXPECT_NE(onlyFailure(python({{"Program", "/etc/passwd"}})).find("is not provided by any"),
            std::string::npos);
  EXPECT_NE(onlyFailure(python({{"Command", "1"}, {"Requirements", "/proc/self/environ"}}))
                .find("Engine.Params.Requirements"),
            std::string::npos);
  EXPECT_NE(onlyFailure(python({{"Command", "1"}, {"WorkingDirectory", "/code/../.."}}))
                .find("Engine.Params.WorkingDirectory"),
            std::string::npos);
  EXPECT_NE(onlyFailure(python({{"Command", std::string("a\0b", 3)}})).find("NUL"),
            std::string::npos);
}

TEST(ValidateWasmTest, TheLegacyFormatIsRewrittenAsBacalhauDoes) {
  Task t;
  t.name = "main";
  auto legacy = parseJson(R"({"EntryModule":{"Alias":"","Target":"","Source":{"Type":"inline",
      "Params":{"URL":"data:,x"}}},"EntryPoint":"_start","EnvironmentVariables":["A=1"],
      "ImportModules":[{"Source":{"Type":"inline","Params":{"URL":"data:,y"}}}],
      "Parameters":["p"]})");
  ASSERT_TRUE(legacy.isOk());
  t.engine = {"wasm", legacy->as_object()};
  ASSERT_TRUE(rewriteLegacyWasmParams(t).isOk());
  ASSERT_EQ(t.input_sources.size(), 2u);
  EXPECT_EQ(t.input_sources[0].target, "/wasm/entry.wasm");
  EXPECT_EQ(t.input_sources[0].source.type, "inline");
  EXPECT_EQ(t.input_sources[1].target, "/wasm/imports/module_0.wasm");
  EXPECT_EQ(serialize(boost::json::value(t.engine.params)),
            R"({"EntryModule":"/wasm/entry.wasm","ImportModules":["/wasm/imports/module_0.wasm"],)"
            R"("Entrypoint":"_start","Parameters":["p"]})");
  EXPECT_EQ(t.env.at("A"), "1");
  auto params = parseWasmParams(t);
  ASSERT_TRUE(params.isOk()) << params.status().toString();
  EXPECT_EQ(params->entry_module, "/wasm/entry.wasm");
  // The current format is left alone.
  Task current = t;
  ASSERT_TRUE(rewriteLegacyWasmParams(current).isOk());
  EXPECT_EQ(current, t);
}

}  // namespace
}  // namespace cod::models
