// Whole commands run in-process: argv in, stdout/stderr/exit code and HTTP requests out, against a
// scripted API (FakeTransport) and a manual clock.

#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "api/client/fake_transport.h"
#include "cli/cli.h"
#include "cli/context.h"
#include "common/strings.h"
#include "common/version.h"
#include "models/json.h"

namespace cod::cli {
namespace {

using api::client::FakeTransport;
using api::client::TransportRequest;
using api::client::TransportResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kJobId = "j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3";

std::string jobJson(const std::string& state, const std::string& message = "",
                    const std::string& publisher = "local") {
  return std::string(R"({"ID":")") + kJobId + R"(","Name":"hello","Namespace":"default",)" +
         R"("Type":"batch","Count":1,"Tasks":[{"Name":"main","Engine":{"Type":"docker",)" +
         R"("Params":{"Image":"busybox"}},"Publisher":{"Type":")" + publisher + R"("}}],)" +
         R"("State":{"StateType":")" + state + R"(","Message":")" + message + R"("},)" +
         R"("Version":1,"Revision":3,"CreateTime":1724099000000000000,)" +
         R"("ModifyTime":1724099004000000000})";
}

std::string historyItem(int seq, const std::string& topic, const std::string& message,
                        const std::string& exec = "") {
  return R"({"SeqNum":)" + std::to_string(seq) + R"(,"Type":")" +
         (exec.empty() ? "JobLevel" : "ExecutionLevel") + R"(","JobID":")" + kJobId +
         R"(","JobVersion":1,"ExecutionID":")" + exec + R"(","Event":{"Message":")" + message +
         R"(","Topic":")" + topic + R"(","Timestamp":"2024-08-19T20:40:26.1Z"},)" +
         R"("Time":"2024-08-19T20:40:26.1Z"})";
}

std::string executionJson(const std::string& id, int state, const std::string& stdout_text) {
  return R"({"ID":")" + id + R"(","Namespace":"default","JobID":")" + kJobId +
         R"(","NodeID":"n-2c4d5e6f-aaaa","JobVersion":1,"DesiredState":{"StateType":2},)" +
         R"("ComputeState":{"StateType":)" + std::to_string(state) +
         R"(},"RunOutput":{"Stdout":")" + stdout_text + R"(","stderr":"","ExitCode":0},)" +
         R"("Revision":4,"CreateTime":1724099000100000000,"ModifyTime":1724099003900000000})";
}

using Responder = std::function<Result<TransportResponse>(const TransportRequest&)>;

// Runs `cod` with scripted routes: the first route whose method matches and whose path the request
// target starts with answers.
class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }

  void route(const std::string& method, const std::string& prefix, Responder responder) {
    routes_.push_back({method, prefix, std::move(responder)});
  }
  void route(const std::string& method, const std::string& prefix, int status, std::string body) {
    route(method, prefix, [status, body](const TransportRequest&) -> Result<TransportResponse> {
      return TransportResponse{status, body};
    });
  }

  int run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    CliEnv env;
    env.out = &out_;
    env.err = &err_;
    env.in = &in_;
    env.clock = &clock_;
    env.sleep = [this](Duration d) { clock_.advance(d); };
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_vars_.find(name);
      if (it == env_vars_.end()) return std::nullopt;
      return it->second;
    };
    env.environment = [this] {
      return std::vector<std::pair<std::string, std::string>>(env_vars_.begin(), env_vars_.end());
    };
    env.make_transport = [this](const std::string& base_url, Duration) {
      base_url_ = base_url;
      auto transport = std::make_unique<FakeTransport>(base_url);
      transport->handler = [this](const TransportRequest& r) -> Result<TransportResponse> {
        requests_.push_back(r);
        for (const auto& rt : routes_) {
          if (rt.method == r.method && r.target.rfind(rt.prefix, 0) == 0) return rt.responder(r);
        }
        return TransportResponse{404, R"({"Status":404,"Message":"no route )" + r.target + "\"}"};
      };
      return transport;
    };
    env.run_serve = [this](const node::ServeOptions& o) {
      serve_options_ = o;
      return 0;
    };
    env.run_devstack = [this](const node::DevstackOptions& o) {
      devstack_options_ = o;
      return 0;
    };
    return runCli(args, env);
  }

  struct Route {
    std::string method;
    std::string prefix;
    Responder responder;
  };
  std::vector<Route> routes_;
  std::vector<TransportRequest> requests_;
  std::map<std::string, std::string> env_vars_;
  std::string base_url_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::istringstream in_;
  ManualClock clock_;
  std::optional<node::ServeOptions> serve_options_;
  std::optional<node::DevstackOptions> devstack_options_;
};

// Serves the history pages in order, then repeats the last one.
Responder pages(std::vector<std::string> bodies) {
  auto state = std::make_shared<std::pair<std::vector<std::string>, size_t>>(std::move(bodies), 0);
  return [state](const TransportRequest&) -> Result<TransportResponse> {
    auto& [list, i] = *state;
    std::string body = list[std::min(i, list.size() - 1)];
    ++i;
    return TransportResponse{200, body};
  };
}

const std::string kJobPath = std::string("/api/v1/orchestrator/jobs/") + kJobId;

TEST_F(CommandsTest, DockerRunSubmitsFollowsAndSaysWhatNext) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1","Warnings":null})");
  route("GET", kJobPath + "/history",
        pages({R"({"NextToken":"t1","Items":[)" + historyItem(1, "Submission", "Job submitted") +
                   "]}",
               R"({"NextToken":"t1","Items":[]})",
               R"({"NextToken":"","Items":[)" +
                   historyItem(2, "Execution", "Completed successfully", "e-7f3c2a1b-1") + "]}"}));
  route("GET", kJobPath, 200, R"({"Job":)" + jobJson("Completed") + "}");

  int code = run({"docker", "run", "busybox:1.37.0", "sh", "-c", "echo hi"});
  EXPECT_EQ(code, 0) << err_.str();
  EXPECT_EQ(err_.str(), "");
  std::string out = out_.str();
  EXPECT_THAT(out, StartsWith(std::string("Job successfully submitted. Job ID: ") + kJobId));
  EXPECT_THAT(out, HasSubstr("Job submitted\n"));
  EXPECT_THAT(out, HasSubstr("e-7f3c2a1b   Execution          Completed successfully\n"));
  EXPECT_THAT(out, HasSubstr(std::string("Job ") + kJobId + " finished with state Completed"));
  EXPECT_THAT(out, HasSubstr(std::string("cod job describe ") + kJobId));
  EXPECT_THAT(out, HasSubstr(std::string("cod job executions ") + kJobId));
  EXPECT_THAT(out, HasSubstr(std::string("cod job get ") + kJobId));

  ASSERT_FALSE(requests_.empty());
  const TransportRequest& submit = requests_.front();
  EXPECT_EQ(submit.method, "PUT");
  auto body = models::parseJson(submit.body);
  ASSERT_TRUE(body.isOk());
  const auto& params = body->at("Job").at("Tasks").at(0).at("Engine").at("Params");
  EXPECT_EQ(params.at("Parameters"), boost::json::value({"sh", "-c", "echo hi"}));
  EXPECT_EQ(body->at("Force"), false);
  // The follow loop asked for every event type and sent the token back.
  EXPECT_THAT(requests_[2].target, HasSubstr("event_type=all"));
  EXPECT_THAT(requests_[3].target, HasSubstr("next_token=t1"));
}

TEST_F(CommandsTest, FailedJobExitsNonZeroWithTheReason) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  route("GET", kJobPath + "/history", 200, R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath, 200, R"({"Job":)" + jobJson("Failed", "image not found") + "}");
  EXPECT_EQ(run({"docker", "run", "--id-only", "nosuchimage"}), 1);
  EXPECT_EQ(out_.str(), std::string(kJobId) + "\n");
  EXPECT_EQ(err_.str(), std::string("Error: job ") + kJobId + " failed: image not found\n");
}

TEST_F(CommandsTest, WaitTimeoutSaysTheJobKeepsRunning) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  route("GET", kJobPath + "/history", 200, R"({"NextToken":"t","Items":[]})");
  route("GET", kJobPath, 200, R"({"Job":)" + jobJson("Running") + "}");
  EXPECT_EQ(run({"docker", "run", "--wait-timeout-secs", "2", "busybox"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: gave up waiting for job"));
  EXPECT_THAT(err_.str(), HasSubstr("the job keeps running"));
  EXPECT_THAT(err_.str(), HasSubstr("Hint: check on it with 'cod job describe"));
}

TEST_F(CommandsTest, NoWaitReturnsAfterSubmitting) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","Warnings":["job ID is ignored"]})");
  EXPECT_EQ(run({"docker", "run", "--wait=false", "busybox"}), 0);
  EXPECT_EQ(requests_.size(), 1u);
  EXPECT_EQ(err_.str(), "Warning: job ID is ignored\n");
  EXPECT_EQ(run({"docker", "run", "--no-wait", "--hide-warnings", "busybox"}), 0);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CommandsTest, DryRunPrintsYamlAndSubmitsNothing) {
  EXPECT_EQ(run({"docker", "run", "--dry-run", "-e", "A=1", "--cpu", "1", "busybox", "--", "echo",
                 "-n", "x"}),
            0)
      << err_.str();
  EXPECT_TRUE(requests_.empty());
  EXPECT_THAT(out_.str(), HasSubstr("Image: busybox"));
  EXPECT_THAT(out_.str(), HasSubstr("- -n"));
  EXPECT_THAT(out_.str(), HasSubstr("A=1"));
}

TEST_F(CommandsTest, DownloadWithoutResultsSaysWhy) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  route("GET", kJobPath + "/history", 200, R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath + "/results", 200, R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath, 200, R"({"Job":)" + jobJson("Completed") + "}");
  EXPECT_EQ(run({"docker", "run", "--download", "--output-dir", "/tmp/x", "busybox"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: no results found for job " + std::string(kJobId)));
}

TEST_F(CommandsTest, JobRunReadsYamlFromStdin) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  in_.str(
      "Name: hello\nType: batch\nTasks:\n  - Name: main\n    Engine:\n      Type: docker\n"
      "      Params:\n        Image: busybox\n");
  EXPECT_EQ(run({"job", "run", "-", "--wait=false", "--force"}), 0) << err_.str();
  ASSERT_EQ(requests_.size(), 1u);
  auto body = models::parseJson(requests_[0].body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Name"), "hello");
  EXPECT_EQ(body->at("Force"), true);

  in_.clear();
  in_.str("Type: [");
  EXPECT_EQ(run({"create", "-", "--no-wait"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: invalid job spec in standard input"));
  EXPECT_EQ(run({"job", "run", "/nonexistent/spec.yaml"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read the job spec '/nonexistent/spec.yaml'"));
}

TEST_F(CommandsTest, JobListTableAndNextToken) {
  route("GET", "/api/v1/orchestrator/jobs", 200,
        R"({"NextToken":"abc","Items":[)" + jobJson("Running") + "]}");
  EXPECT_EQ(run({"job", "list", "--limit", "1", "--labels", "env=prod", "--no-style"}), 0)
      << err_.str();
  EXPECT_EQ(out_.str(),
            "CREATED               ID           NAME    JOB      TYPE    STATE\n"
            "2024-08-19 20:23:20   j-3514ff75   hello   docker   batch   Running\n"
            "\nTo fetch more records, execute:\n\tcod job list --next-token abc --limit 1\n");
  EXPECT_EQ(requests_.back().target, "/api/v1/orchestrator/jobs?limit=1&labels=env%3Dprod");

  EXPECT_EQ(run({"list", "--output", "json", "--next-token", "abc"}), 0);
  auto items = models::parseJson(out_.str());
  ASSERT_TRUE(items.isOk()) << out_.str();
  EXPECT_EQ(items->at(0).at("ID"), kJobId);
}

TEST_F(CommandsTest, StopRefusesTerminalJobsLocally) {
  route("GET", "/api/v1/orchestrator/jobs/j-3514ff75", 200,
        R"({"Job":)" + jobJson("Completed") + "}");
  EXPECT_EQ(run({"job", "stop", "j-3514ff75"}), 1);
  EXPECT_EQ(err_.str(), std::string("Error: job ") + kJobId +
                            " is already Completed; there is nothing to stop\n");
  for (const auto& r : requests_) EXPECT_NE(r.method, "DELETE");
}

TEST_F(CommandsTest, StopSubmitsAndPrintsTheEvaluation) {
  route("GET", "/api/v1/orchestrator/jobs/j-3514ff75", 200,
        R"({"Job":)" + jobJson("Running") + "}");
  route("DELETE", kJobPath, 200, R"({"EvaluationID":"ev-9"})");
  EXPECT_EQ(run({"cancel", "j-3514ff75"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "Job stop successfully submitted with evaluation ID: ev-9\n");
  EXPECT_EQ(requests_.back().body, R"({"reason":"Stopped at user request"})");
  EXPECT_EQ(run({"job", "stop", "--quiet", "j-3514ff75"}), 0);
  EXPECT_EQ(out_.str(), "");
}

const char* const kTemplatedSpec =
    "Name: {{ .name }}\nType: batch\nTasks:\n  - Name: main\n    Engine:\n      Type: docker\n"
    "      Params:\n        Image: {{ .image }}\n"
    "        Parameters: [\"echo\", \"{{ .GREETING }}\", \"{{\"{{\"}}literal}}\"]\n";

const TransportRequest* findRequest(const std::vector<TransportRequest>& requests,
                                    const std::string& method, const std::string& target) {
  for (const auto& r : requests) {
    if (r.method == method && r.target == target) return &r;
  }
  return nullptr;
}

TEST_F(CommandsTest, JobRunFillsTemplatePlaceholdersFromFlagsAndEnvironment) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  env_vars_["GREETING"] = "hello from env";
  env_vars_["UNRELATED"] = "x";
  in_.str(kTemplatedSpec);
  EXPECT_EQ(run({"job", "run", "-", "--no-wait", "-V", "name=nightly,image=busybox:1.37", "-E",
                 "^GREET"}),
            0)
      << err_.str();
  ASSERT_EQ(requests_.size(), 1u);
  auto body = models::parseJson(requests_[0].body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Name"), "nightly");
  const auto& params = body->at("Job").at("Tasks").at(0).at("Engine").at("Params");
  EXPECT_EQ(params.at("Image"), "busybox:1.37");
  EXPECT_EQ(params.at("Parameters"), boost::json::value({"echo", "hello from env", "{{literal}}"}));
}

TEST_F(CommandsTest, JobRunTemplateErrorsNameTheLineAndSubmitNothing) {
  in_.str(kTemplatedSpec);
  EXPECT_EQ(run({"job", "run", "-", "-V", "name=n", "-V", "image=busybox"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: invalid job spec template in standard input, line 9, "
                                     "column 34: no value for template variable 'GREETING'\n"));
  EXPECT_THAT(err_.str(), HasSubstr("Hint: pass it with -V GREETING=VALUE"));
  EXPECT_TRUE(requests_.empty());

  in_.clear();
  in_.str("Name: {{ if .x }}a{{ end }}\n");
  EXPECT_EQ(run({"job", "run", "-"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("line 1, column 10: unsupported template keyword or function "
                                    "'if'"));
  EXPECT_EQ(run({"job", "run", "-", "-V", "novalue"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--template-vars: 'novalue' must be written key=value"));
}

TEST_F(CommandsTest, JobRunNoTemplateSendsTheSpecAsItIs) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  in_.str(
      "Name: braces\nType: batch\nTasks:\n  - Name: main\n    Engine:\n      Type: docker\n"
      "      Params:\n        Image: busybox\n        Parameters: [\"echo\", \"{{ .x }}\"]\n");
  EXPECT_EQ(run({"job", "run", "-", "--no-wait", "--no-template"}), 0) << err_.str();
  ASSERT_EQ(requests_.size(), 1u);
  auto body = models::parseJson(requests_[0].body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Tasks").at(0).at("Engine").at("Params").at("Parameters"),
            boost::json::value({"echo", "{{ .x }}"}));
}

TEST_F(CommandsTest, JobRunDryRunPrintsTheServersDiffAndSubmitsNothing) {
  const char* spec =
      "Name: hello\nType: batch\nCount: 2\nTasks:\n  - Name: main\n    Engine:\n      Type: "
      "docker\n"
      "      Params:\n        Image: busybox\n";
  route("PUT", "/api/v1/orchestrator/jobs/diff", 200,
        R"({"Diff":"  Type: batch\n- Count: 1\n+ Count: 2\n","Warnings":["w1"]})");
  in_.str(spec);
  EXPECT_EQ(run({"job", "run", "-", "--dry-run"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "  Type: batch\n- Count: 1\n+ Count: 2\n");
  EXPECT_EQ(err_.str(), "Warning: w1\n");
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].target, "/api/v1/orchestrator/jobs/diff");
  auto body = models::parseJson(requests_[0].body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Count"), 2);

  routes_.clear();
  route("PUT", "/api/v1/orchestrator/jobs/diff", 200, R"({"Diff":"","Warnings":null})");
  in_.clear();
  in_.str(spec);
  EXPECT_EQ(run({"job", "run", "-", "--dry-run"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), StartsWith("No diff detected"));
}

TEST_F(CommandsTest, JobRunDryRunFallsBackToTheYamlWhenTheServerCannotCompare) {
  route("PUT", "/api/v1/orchestrator/jobs/diff", 404,
        R"({"Status":404,"Message":"job not found: hello","Code":"NotFound"})");
  in_.str(
      "Name: hello\nType: batch\nTasks:\n  - Name: main\n    Engine:\n      Type: docker\n"
      "      Params:\n        Image: busybox\n");
  EXPECT_EQ(run({"job", "run", "-", "--dry-run"}), 0) << err_.str();
  EXPECT_THAT(err_.str(), HasSubstr("job not found: hello"));
  EXPECT_THAT(err_.str(), HasSubstr("falling back to offline mode"));
  EXPECT_THAT(out_.str(), HasSubstr("Name: hello"));
  EXPECT_THAT(out_.str(), HasSubstr("Image: busybox"));
  for (const auto& r : requests_) EXPECT_EQ(r.target, "/api/v1/orchestrator/jobs/diff");
}

TEST_F(CommandsTest, JobRerunPrintsTheNewVersionAndFollowsIt) {
  route("PUT", kJobPath + "/rerun", 200,
        std::string(R"({"JobID":")") + kJobId +
            R"(","EvaluationID":"ev-7","JobVersion":3,"Warnings":null})");
  route(
      "GET", kJobPath + "/history", 200,
      R"({"NextToken":"","Items":[)" + historyItem(5, "Submission", "Job rerun requested") + "]}");
  route("GET", kJobPath + "/executions", 200, R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath, 200, R"({"Job":)" + jobJson("Completed") + "}");
  EXPECT_EQ(run({"job", "rerun", kJobId, "-v", "1"}), 0) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, StartsWith(std::string("Job successfully rerun. Job ID: ") + kJobId +
                              ", new version: 3, evaluation ID: ev-7\n"));
  EXPECT_THAT(out, HasSubstr("Job rerun requested"));
  EXPECT_THAT(out, HasSubstr("finished with state Completed"));
  const TransportRequest* rerun = findRequest(requests_, "PUT", kJobPath + "/rerun");
  ASSERT_NE(rerun, nullptr);
  auto body = models::parseJson(rerun->body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("JobVersion"), 1);

  EXPECT_EQ(run({"job", "rerun", kJobId, "--id-only", "--no-wait"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), std::string(kJobId) + "\n");
  EXPECT_EQ(run({"job", "rerun", kJobId, "--dry-run"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--dry-run"));
}

TEST_F(CommandsTest, JobRerunOfAPendingJobSaysWhy) {
  route("PUT", kJobPath + "/rerun", 409,
        R"({"Status":409,"Message":"cannot rerun job in state Pending",)"
        R"("Hint":"try to use the job run command"})");
  EXPECT_EQ(run({"job", "rerun", kJobId}), 1);
  EXPECT_EQ(err_.str(),
            "Error: cannot rerun job in state Pending\nHint: try to use the job run command\n");
}

TEST_F(CommandsTest, DescribeVersionShowsThatVersionsSpecExecutionsAndHistory) {
  route("GET", kJobPath + "/history", 200,
        R"({"NextToken":"","Items":[)" + historyItem(1, "Submission", "Version one submitted") +
            "]}");
  route("GET", kJobPath, 200,
        R"({"Job":)" + jobJson("Completed") + R"(,"History":{"NextToken":"","Items":[)" +
            historyItem(9, "Submission", "Latest version event") +
            R"(]},"Executions":{"NextToken":"","Items":[)" +
            executionJson("e-11111111-1", 9, "v1 out") + "]}}");
  EXPECT_EQ(run({"job", "describe", kJobId, "-v", "1"}), 0) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("Version one submitted"));
  EXPECT_THAT(out, Not(HasSubstr("Latest version event")));
  EXPECT_THAT(out, HasSubstr("e-11111111"));
  EXPECT_THAT(out, HasSubstr("v1 out"));
  ASSERT_GE(requests_.size(), 2u);
  EXPECT_THAT(requests_[0].target, HasSubstr("job_version=1"));
  EXPECT_THAT(requests_[1].target, HasSubstr("/history?job_version=1"));
}

TEST_F(CommandsTest, DockerRunTargetAllSubmitsAnOpsJobWithoutCount) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  EXPECT_EQ(run({"docker", "run", "--target", "all", "--no-wait", "busybox", "true"}), 0)
      << err_.str();
  ASSERT_EQ(requests_.size(), 1u);
  auto body = models::parseJson(requests_[0].body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Type"), "ops");
  EXPECT_EQ(body->at("Job").at("Count"), 0);
  EXPECT_EQ(run({"docker", "run", "--target", "all", "--count", "2", "busybox"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--count 2 does not go with --target all"));
}

TEST_F(CommandsTest, ServerErrorsPrintOneLineAndTheHint) {
  route("GET", "/api/v1/orchestrator/jobs/j-nope", 404,
        R"({"Status":404,"Message":"job not found: j-nope","Code":"NotFound",)"
        R"("Component":"JobStore","Hint":"list jobs with 'cod job list'"})");
  EXPECT_EQ(run({"job", "describe", "j-nope"}), 1);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "Error: job not found: j-nope\nHint: list jobs with 'cod job list'\n");
}

TEST_F(CommandsTest, DescribeShowsStateExecutionsAndOutput) {
  route("GET", kJobPath, 200,
        R"({"Job":)" + jobJson("Completed") + R"(,"History":{"NextToken":"","Items":[)" +
            historyItem(1, "Submission", "Job submitted") + "," +
            historyItem(2, "Execution", "Completed successfully", "e-7f3c2a1b-1") +
            R"(]},"Executions":{"NextToken":"","Items":[)" +
            executionJson("e-7f3c2a1b-1", 9, "hi\\n") + "]}}");
  EXPECT_EQ(run({"describe", kJobId}), 0) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr(std::string("ID            = ") + kJobId + "\n"));
  EXPECT_THAT(out, HasSubstr("State         = Completed\n"));
  EXPECT_THAT(out, HasSubstr("Completed = 1\n"));
  EXPECT_THAT(out, HasSubstr("Submission   Job submitted"));
  EXPECT_THAT(out, HasSubstr("e-7f3c2a1b   n-2c4d5e6f   Completed   Stopped   4"));
  EXPECT_THAT(out, HasSubstr("Standard Output (e-7f3c2a1b)\nhi\n"));
  EXPECT_THAT(requests_.back().target, HasSubstr("include=history%2Cexecutions"));

  EXPECT_EQ(run({"job", "describe", kJobId, "--output", "json"}), 0);
  auto json = models::parseJson(out_.str());
  ASSERT_TRUE(json.isOk());
  EXPECT_EQ(json->at("Job").at("ID"), kJobId);
  EXPECT_EQ(json->at("Executions").at("Items").at(0).at("ID"), "e-7f3c2a1b-1");
}

TEST_F(CommandsTest, ApiHostAndPortComeFromFlagsThenEnvironment) {
  route("GET", "/api/v1/agent/alive", 200, R"({"Status":"OK"})");
  EXPECT_EQ(run({"agent", "alive"}), 0);
  EXPECT_EQ(base_url_, "http://127.0.0.1:1234");
  EXPECT_EQ(out_.str(), "Status: OK\n");

  env_vars_ = {{"BACALHAU_API_HOST", "10.0.0.1"}, {"BACALHAU_API_PORT", "4321"}};
  EXPECT_EQ(run({"agent", "alive", "--output", "json"}), 0);
  EXPECT_EQ(base_url_, "http://10.0.0.1:4321");

  env_vars_["COD_API_HOST"] = "https://cod.example.com";
  EXPECT_EQ(run({"agent", "alive"}), 0);
  EXPECT_EQ(base_url_, "https://cod.example.com:4321");

  EXPECT_EQ(run({"--api-host", "h1", "agent", "alive", "--api-port", "99"}), 0);
  EXPECT_EQ(base_url_, "http://h1:99");

  env_vars_ = {{"COD_API_PORT", "http"}};
  EXPECT_EQ(run({"agent", "alive"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: COD_API_PORT='http' is not a port number"));
}

TEST_F(CommandsTest, VersionStillPrintsTheClientWhenTheServerIsDown) {
  route("GET", "/api/v1/agent/version", [](const TransportRequest&) -> Result<TransportResponse> {
    return unavailable(
        api::client::unreachableMessage("http://127.0.0.1:1234", "connection refused"));
  });
  EXPECT_EQ(run({"version"}), 0);
  EXPECT_EQ(out_.str(), "CLIENT\n" + gitVersion() + "\n");
  EXPECT_EQ(err_.str(),
            "Server: cannot reach the cod API at http://127.0.0.1:1234: connection refused (is "
            "'cod serve' running? set --api-host/--api-port or COD_API_HOST/COD_API_PORT)\n");

  requests_.clear();
  EXPECT_EQ(run({"version", "--client"}), 0);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(CommandsTest, VersionShowsTheServer) {
  route("GET", "/api/v1/agent/version", 200,
        R"({"GitVersion":"v1.7.0+cod.0.1.0","GitCommit":"abc","BuildDate":"2024-08-19T20:40:26Z",)"
        R"("GOOS":"linux","GOARCH":"amd64"})");
  EXPECT_EQ(run({"version"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("SERVER"));
  EXPECT_THAT(out_.str(), HasSubstr("v1.7.0+cod.0.1.0"));
}

TEST_F(CommandsTest, UnreachableServerIsOneLine) {
  route("GET", "/api/v1/orchestrator/nodes",
        [](const TransportRequest&) -> Result<TransportResponse> {
          return unavailable(
              api::client::unreachableMessage("http://127.0.0.1:1234", "connection refused"));
        });
  EXPECT_EQ(run({"node", "list"}), 1);
  EXPECT_EQ(err_.str(),
            "Error: cannot reach the cod API at http://127.0.0.1:1234: connection refused (is "
            "'cod serve' running? set --api-host/--api-port or COD_API_HOST/COD_API_PORT)\n");
}

TEST_F(CommandsTest, NodeListShowsCapacityAsAvailableOverMax) {
  route("GET", "/api/v1/orchestrator/nodes", 200,
        R"({"NextToken":"","Nodes":[{"Info":{"NodeID":"n-2c4d5e6f-aaaa","NodeType":"Compute",)"
        R"("Labels":{"os_type":"linux"},"ComputeNodeInfo":{"MaxCapacity":{"CPU":6.4,)"
        R"("Memory":13000000000,"Disk":50000000000,"GPU":1},"AvailableCapacity":{"CPU":6.4,)"
        R"("Memory":12000000000,"Disk":50000000000}}},"Membership":"APPROVED",)"
        R"("Connection":"CONNECTED","ConnectionState":{"Status":"CONNECTED"}},)"
        R"({"Info":{"NodeID":"n-11111111-bbbb","NodeType":"Requester"},"Membership":"APPROVED",)"
        R"("ConnectionState":{"Status":"CONNECTED"}}]})");
  EXPECT_EQ(run({"node", "list", "--filter-approval", "APPROVED", "--order-by", "id"}), 0)
      << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, StartsWith("ID           TYPE        APPROVAL   STATUS      LABELS"));
  EXPECT_THAT(out, HasSubstr("n-2c4d5e6f   Compute     APPROVED   CONNECTED   os_type=linux   "
                             "6.4 / 6.4"));
  EXPECT_THAT(out, HasSubstr("0 / 1\n"));
  EXPECT_THAT(out, HasSubstr("n-11111111   Requester   APPROVED   CONNECTED\n"));
  EXPECT_EQ(requests_.back().target,
            "/api/v1/orchestrator/nodes?order_by=id&filter-approval=approved");
}

TEST_F(CommandsTest, NodeListShowsGpusOnlyForNodesThatHaveThem) {
  route("GET", "/api/v1/orchestrator/nodes", 200,
        R"({"Nodes":[{"Info":{"NodeID":"n-2c4d5e6f-aaaa","NodeType":"Compute",)"
        R"("ComputeNodeInfo":{"MaxCapacity":{"CPU":8,"Memory":8000000000,"GPU":2},)"
        R"("AvailableCapacity":{"CPU":7,"Memory":7000000000,"GPU":1}}},"Membership":"APPROVED",)"
        R"("ConnectionState":{"Status":"CONNECTED"}},)"
        R"({"Info":{"NodeID":"n-33333333-cccc","NodeType":"Compute",)"
        R"("ComputeNodeInfo":{"MaxCapacity":{"CPU":4,"Memory":4000000000},)"
        R"("AvailableCapacity":{"CPU":4,"Memory":4000000000}}},"Membership":"APPROVED",)"
        R"("ConnectionState":{"Status":"CONNECTED"}}]})");
  EXPECT_EQ(run({"node", "list"}), 0) << err_.str();
  std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("7 / 8"));
  EXPECT_THAT(out, HasSubstr("1 / 2\n"));
  std::string no_gpus = out.substr(out.find("n-33333333"));
  EXPECT_THAT(no_gpus, HasSubstr("4 / 4"));
  EXPECT_THAT(no_gpus, Not(HasSubstr("0 / 0")));
}

TEST_F(CommandsTest, NodeDescribeListsTheGpus) {
  route("GET", "/api/v1/orchestrator/nodes/n-2c4d", 200,
        R"({"Node":{"Info":{"NodeID":"n-2c4d5e6f-aaaa","NodeType":"Compute",)"
        R"("ComputeNodeInfo":{"MaxCapacity":{"CPU":8,"GPU":2,"GPUs":[)"
        R"({"Index":0,"Name":"NVIDIA H200","Vendor":"NVIDIA","Memory":143771,)"
        R"("PCIAddress":"0000:18:00.0"},)"
        R"({"Index":1,"Name":"NVIDIA H200","Vendor":"NVIDIA","Memory":143771,)"
        R"("PCIAddress":"0000:2a:00.0"}]}}},"Membership":"APPROVED",)"
        R"("ConnectionState":{"Status":"CONNECTED"}}})");
  EXPECT_EQ(run({"node", "describe", "n-2c4d"}), 0) << err_.str();
  std::string out = out_.str();
  for (const char* field : {"Index: 1", "Name: NVIDIA H200", "Vendor: NVIDIA", "Memory: 143771",
                            "PCIAddress: 0000:2a:00.0"}) {
    EXPECT_THAT(out, HasSubstr(field));
  }
}

TEST_F(CommandsTest, DockerRunGpuFlagBecomesResourcesGpu) {
  route("PUT", "/api/v1/orchestrator/jobs", 200,
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  EXPECT_EQ(run({"docker", "run", "--no-wait", "--gpu", "2", "nvidia/cuda", "--", "nvidia-smi"}), 0)
      << err_.str();
  ASSERT_FALSE(requests_.empty());
  auto body = models::parseJson(requests_.front().body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Tasks").at(0).at("Resources").at("GPU"), "2");
  requests_.clear();
  EXPECT_EQ(run({"docker", "run", "--gpu", "-1", "nvidia/cuda"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--gpu"));
  EXPECT_TRUE(requests_.empty()) << "nothing is submitted";
}

TEST_F(CommandsTest, NodeActions) {
  route("PUT", "/api/v1/orchestrator/nodes/n-1", 200, R"({"Success":true})");
  EXPECT_EQ(run({"node", "approve", "n-1", "-m", "looks good"}), 0);
  EXPECT_EQ(out_.str(), "Ok\n");
  auto body = models::parseJson(requests_.back().body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Action"), "approve");
  EXPECT_EQ(body->at("Message"), "looks good");

  routes_.clear();
  route("PUT", "/api/v1/orchestrator/nodes/n-1", 409,
        R"({"Status":409,"Message":"node n-1 is already rejected","Code":"ConflictNodeState"})");
  EXPECT_EQ(run({"node", "reject", "n-1"}), 1);
  EXPECT_EQ(err_.str(), "Error: node n-1 is already rejected\n");
}

TEST_F(CommandsTest, NodeDrainAndUndrain) {
  route("PUT", "/api/v1/orchestrator/nodes/n-1", 200, R"({"Success":true})");
  EXPECT_EQ(run({"node", "drain", "n-1", "-m", "kernel upgrade"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "Ok\n");
  auto body = models::parseJson(requests_.back().body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Action"), "drain");
  EXPECT_EQ(body->at("Message"), "kernel upgrade");
  EXPECT_EQ(body->at("NodeID"), "n-1");
  EXPECT_EQ(run({"node", "undrain", "n-1"}), 0) << err_.str();
  body = models::parseJson(requests_.back().body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Action"), "undrain");

  routes_.clear();
  route("PUT", "/api/v1/orchestrator/nodes/n-zzz", 404,
        R"({"Status":404,"Message":"node not found: n-zzz","Code":"NotFound"})");
  EXPECT_EQ(run({"node", "drain", "n-zzz"}), 1);
  EXPECT_EQ(err_.str(), "Error: node not found: n-zzz\n");
}

TEST_F(CommandsTest, NodeListAndDescribeShowADrainingNode) {
  const std::string drained =
      R"({"Info":{"NodeID":"n-2c4d5e6f-aaaa","NodeType":"Compute"},"Membership":"APPROVED",)"
      R"("ConnectionState":{"Status":"CONNECTED"},)"
      R"("Drain":{"Message":"kernel upgrade","Since":"2024-08-19T20:00:00Z"}})";
  route("GET", "/api/v1/orchestrator/nodes/n-2c", 200, R"({"Node":)" + drained + "}");
  route("GET", "/api/v1/orchestrator/nodes", 200,
        R"({"NextToken":"","Nodes":[)" + drained +
            R"(,{"Info":{"NodeID":"n-3d4e5f6a-bbbb","NodeType":"Compute"},)"
            R"("Membership":"APPROVED","ConnectionState":{"Status":"CONNECTED"}}]})");
  EXPECT_EQ(run({"node", "list"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("n-2c4d5e6f   Compute   APPROVED   CONNECTED,DRAINING"));
  EXPECT_THAT(out_.str(), HasSubstr("n-3d4e5f6a   Compute   APPROVED   CONNECTED\n"));

  EXPECT_EQ(run({"node", "describe", "n-2c"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Drain:\n  Message: kernel upgrade\n"));
}

TEST_F(CommandsTest, ParseErrorsAreOneLineWithAHint) {
  EXPECT_EQ(run({"job", "list", "--bogus"}), 1);
  EXPECT_EQ(err_.str(),
            "Error: The following argument was not expected: --bogus\n"
            "Hint: run 'cod job list --help' for usage\n");
  EXPECT_EQ(run({"job", "list", "--output", "xml"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: --output: "));
  EXPECT_EQ(run({"docker", "run"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: "));
}

TEST_F(CommandsTest, HelpGoesToStdout) {
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("docker"));
  EXPECT_EQ(run({"job", "run", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("--wait-timeout-secs"));
}

TEST_F(CommandsTest, ServeFlagsBecomeServeOptions) {
  const std::string a = ::testing::TempDir() + "/a.yaml";
  const std::string b = ::testing::TempDir() + "/b.yaml";
  std::ofstream(a) << "Labels: {zone: from-file}\n";
  std::ofstream(b) << "\n";
  EXPECT_EQ(run({"serve",
                 "--orchestrator",
                 "--compute",
                 "--api-port",
                 "0",
                 "--name",
                 "n1",
                 "-l",
                 "zone=a,gpu",
                 "--labels",
                 "tier=x",
                 "--node-disconnect-timeout",
                 "1m30s",
                 "--job-retention",
                 "168h",
                 "--log-level",
                 "DEBUG",
                 "-c",
                 a,
                 "-c",
                 b,
                 "--data-dir",
                 "/tmp/d"}),
            0)
      << err_.str();
  ASSERT_TRUE(serve_options_.has_value());
  const node::ServeOptions& o = *serve_options_;
  EXPECT_TRUE(o.orchestrator);
  EXPECT_TRUE(o.compute);
  EXPECT_EQ(o.api_port, 0);
  EXPECT_EQ(o.api_host, "");  // decided at start: loopback without API users
  EXPECT_EQ(node::apiListenHost(o), "127.0.0.1");
  EXPECT_EQ(o.name, "n1");
  EXPECT_EQ(o.labels,
            (std::map<std::string, std::string>{{"zone", "a"}, {"gpu", ""}, {"tier", "x"}}));
  EXPECT_EQ(o.node_disconnect_timeout, std::chrono::seconds(90));
  EXPECT_EQ(o.job_retention, std::chrono::hours(168));
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.config_files, (std::vector<std::string>{a, b}));
  EXPECT_EQ(o.data_dir, "/tmp/d");

  EXPECT_EQ(run({"serve", "--node-disconnect-timeout", "soon"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: --node-disconnect-timeout: "));
  EXPECT_EQ(run({"serve", "--job-retention", "a week"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: --job-retention: "));
}

// A Bacalhau-style config file sets what no flag sets; a flag wins over the file; keys cod does
// not use are named and ignored.
TEST_F(CommandsTest, ConfigFilesFillWhatFlagsLeaveUnset) {
  const std::string path = ::testing::TempDir() + "/cod-config.yaml";
  std::ofstream(path) << R"(DataDir: /srv/cod
API:
  Host: 127.0.0.1
  Port: 4321
  AllowedOrigins: [https://ui.example.com]
Orchestrator:
  MaxJobCount: 50
  JobRetention: 720h
  Scheduler: {Retry: {Batch: {Limit: 5, Delay: 2s}, Service: {MaxDelay: 10m}}}
Compute:
  Orchestrators: [nats://10.0.0.1:4222, nats://10.0.0.2:4222]
  AllowListedLocalPaths: [/data, /scratch:rw]
JobAdmissionControl:
  AcceptNetworkedJobs: true
Labels: {zone: eu-1}
InputSources: {Disabled: [urlDownload, local], Types: {IPFS: {Endpoint: /ip4/10.0.0.3/tcp/5001}}}
Publishers: {Types: {S3: {PreSignedURLDisabled: true, PreSignedURLExpiration: 1h},
                     Local: {Address: 10.0.0.9, Port: 7001, URLExpiration: 10m}}}
WebUI: {Enabled: true}
)";
  EXPECT_EQ(run({"serve", "--compute", "-c", path, "--api-port", "9999"}), 0) << err_.str();
  ASSERT_TRUE(serve_options_.has_value());
  const auto& o = *serve_options_;
  EXPECT_EQ(o.data_dir, "/srv/cod");
  EXPECT_EQ(o.api_host, "127.0.0.1");
  EXPECT_EQ(o.api_port, 9999);  // the flag wins
  EXPECT_EQ(o.allowed_origins, std::vector<std::string>{"https://ui.example.com"});
  EXPECT_EQ(o.max_job_count, 50);
  EXPECT_EQ(o.job_retention, std::chrono::hours(720));
  EXPECT_EQ(o.retry_defaults.at("batch").at("cod.retry.limit"), "5");
  EXPECT_EQ(o.retry_defaults.at("batch").at("cod.retry.delay"), "2s");
  EXPECT_EQ(o.retry_defaults.at("service").at("cod.retry.max-delay"), "10m");
  EXPECT_EQ(o.orchestrators, "nats://10.0.0.1:4222,nats://10.0.0.2:4222");
  EXPECT_EQ(o.allow_listed_local_paths, (std::vector<std::string>{"/data", "/scratch:rw"}));
  EXPECT_TRUE(o.allow_networked_jobs);
  EXPECT_FALSE(o.allow_host_network);
  EXPECT_EQ(o.labels.at("zone"), "eu-1");
  EXPECT_EQ(o.disabled_input_sources, (std::vector<std::string>{"urlDownload", "local"}));
  EXPECT_EQ(o.ipfs_connect, "/ip4/10.0.0.3/tcp/5001");
  EXPECT_TRUE(o.s3_presigned_url_disabled);
  EXPECT_EQ(o.s3_presigned_url_expiration, std::chrono::hours(1));
  EXPECT_EQ(o.publisher_host, "10.0.0.9");
  EXPECT_EQ(o.publisher_port, 7001);
  EXPECT_EQ(o.result_url_expiration, std::chrono::minutes(10));
  EXPECT_THAT(err_.str(), HasSubstr("cod does not use WebUI.Enabled"));

  std::ofstream(path) << "API: {Port: many}\n";
  EXPECT_EQ(run({"serve", "-c", path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("API.Port has the wrong kind of value"));
  std::ofstream(path) << "Orchestrator: {Scheduler: {Retry: {Batch: {Delay: soon}}}}\n";
  EXPECT_EQ(run({"serve", "-c", path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("\"soon\" is not a duration"));
  EXPECT_EQ(run({"serve", "-c", "/nonexistent/cod.yaml"}), 1);
}

// API.Auth.Users in Bacalhau's shape and API.TLS; mistakes name the key and what is wrong.
TEST_F(CommandsTest, ConfigFilesSetApiUsersAndTls) {
  const std::string path = ::testing::TempDir() + "/cod-auth.yaml";
  std::ofstream(path) << R"(API:
  TLS: {CertFile: /etc/cod/api.pem, KeyFile: /etc/cod/api.key}
  Auth:
    TokensPath: /ignored
    Users:
      - Alias: ci
        APIKey: k-1
        Capabilities:
          - Actions: [read:job, write:job]
          - Actions: [read:node]
      - {username: alice, password: pw, capabilities: [{actions: ["*"]}]}
)";
  EXPECT_EQ(run({"serve", "-c", path}), 0) << err_.str();
  ASSERT_TRUE(serve_options_.has_value());
  const auto& o = *serve_options_;
  ASSERT_EQ(o.api_users.size(), 2u);
  EXPECT_EQ(o.api_users[0].alias, "ci");
  EXPECT_EQ(o.api_users[0].api_key, "k-1");
  EXPECT_EQ(o.api_users[0].actions,
            (std::vector<std::string>{"read:job", "write:job", "read:node"}));
  EXPECT_EQ(o.api_users[1].username, "alice");
  EXPECT_EQ(o.api_users[1].password, "pw");
  EXPECT_EQ(o.api_users[1].actions, std::vector<std::string>{"*"});
  EXPECT_EQ(o.api_tls_cert_file, "/etc/cod/api.pem");
  EXPECT_EQ(o.api_tls_key_file, "/etc/cod/api.key");
  EXPECT_EQ(node::apiListenHost(o), "0.0.0.0");  // users: every address
  EXPECT_THAT(err_.str(), HasSubstr("cod does not use API.Auth.TokensPath"));

  EXPECT_EQ(run({"serve", "-c", path, "--api-tls-cert-file", "/x.pem"}), 0);
  EXPECT_EQ(serve_options_->api_tls_cert_file, "/x.pem");  // the flag wins

  std::ofstream(path)
      << "API: {Auth: {Users: [{APIKey: k, Capabilities: [{Actions: [run:job]}]}]}}\n";
  EXPECT_EQ(run({"serve", "-c", path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("API.Auth.Users has the wrong kind of value"));
  EXPECT_THAT(err_.str(), HasSubstr("unknown capability action 'run:job'"));
  std::ofstream(path) << "API: {Auth: {Users: [{APIkey: k, Role: admin}]}}\n";
  EXPECT_EQ(run({"serve", "-c", path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("unknown user field 'Role'"));
  std::ofstream(path) << "API: {Auth: {Users: [{Username: bob}]}}\n";
  EXPECT_EQ(run({"serve", "-c", path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("Username and Password go together"));
}

// The CLI sends the credentials the environment names (cod's variables first, then Bacalhau's),
// and speaks HTTPS when asked.
TEST_F(CommandsTest, CredentialsAndTlsComeFromTheEnvironment) {
  auto authorization = [this]() -> std::string {
    auto lookup = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_vars_.find(name);
      if (it == env_vars_.end()) return std::nullopt;
      return it->second;
    };
    auto got = authorizationFromEnvironment(lookup);
    return got.isOk() ? *got : "error: " + got.status().message();
  };
  EXPECT_EQ(authorization(), "");
  env_vars_["BACALHAU_API_USERNAME"] = "alice";
  EXPECT_THAT(authorization(), HasSubstr("error: BACALHAU_API_USERNAME and BACALHAU_API_PASSWORD"));
  env_vars_["BACALHAU_API_PASSWORD"] = "pw";
  EXPECT_EQ(authorization(), "Basic " + base64Encode("alice:pw"));
  env_vars_["BACALHAU_API_KEY"] = "bk";
  EXPECT_EQ(authorization(), "Bearer bk");  // a key wins over a password
  env_vars_["COD_API_KEY"] = "ck";
  EXPECT_EQ(authorization(), "Bearer ck");
  env_vars_["COD_API_KEY"] = "two words";
  EXPECT_THAT(authorization(), HasSubstr("error: COD_API_KEY/BACALHAU_API_KEY holds a space"));

  env_vars_.clear();
  route("GET", "/api/v1/orchestrator/jobs", 200, R"({"Items":[],"NextToken":""})");
  EXPECT_EQ(run({"job", "list", "--api-tls"}), 0) << err_.str();
  EXPECT_EQ(base_url_, "https://127.0.0.1:1234");
  env_vars_["COD_API_TLS"] = "true";
  EXPECT_EQ(run({"job", "list", "--api-host", "10.0.0.5"}), 0) << err_.str();
  EXPECT_EQ(base_url_, "https://10.0.0.5:1234");
  EXPECT_EQ(run({"job", "list", "--api-host", "http://10.0.0.5:80"}), 0) << err_.str();
  EXPECT_EQ(base_url_, "http://10.0.0.5:80");  // a URL says its own scheme
}

TEST_F(CommandsTest, DevstackFlags) {
  EXPECT_EQ(run({"devstack", "--computes", "2", "--api-port", "5000"}), 0) << err_.str();
  ASSERT_TRUE(devstack_options_.has_value());
  EXPECT_EQ(devstack_options_->computes, 2);
  EXPECT_EQ(devstack_options_->base.api_port, 5000);
}

TEST_F(CommandsTest, HistoryAndExecutionsQueries) {
  route("GET", kJobPath + "/history", 200,
        R"({"NextToken":"n2","Items":[)" + historyItem(1, "Submission", "Job submitted") + "]}");
  EXPECT_EQ(run({"job", "history", kJobId, "--event-type", "job", "--execution-id", "e-1",
                 "--limit", "1", "--next-token", "n1"}),
            0)
      << err_.str();
  EXPECT_EQ(requests_.back().target,
            kJobPath + "/history?limit=1&next_token=n1&event_type=job&execution_id=e-1");
  EXPECT_THAT(out_.str(), HasSubstr("--next-token n2"));

  route("GET", kJobPath + "/executions", 200,
        R"({"NextToken":"","Items":[)" + executionJson("e-7f3c2a1b-1", 9, "") + "]}");
  EXPECT_EQ(run({"job", "executions", kJobId, "--order-by", "modified_at", "--order-reversed"}), 0)
      << err_.str();
  EXPECT_EQ(requests_.back().target,
            kJobPath + "/executions?limit=20&order_by=modified_at&reverse=true");
  EXPECT_THAT(out_.str(), HasSubstr("e-7f3c2a1b   n-2c4d5e6f   4      Completed       Stopped"));
}

}  // namespace
}  // namespace cod::cli
