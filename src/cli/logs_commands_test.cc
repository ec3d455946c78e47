// `cod job logs` and the run commands' --follow, in-process: argv in, stdout/stderr/exit code
// and the requests out, against a scripted API (FakeTransport) and a scripted logs WebSocket
// (FakeWebSocketTransport) on a manual clock.

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/client/fake_transport.h"
#include "api/client/fake_websocket.h"
#include "cli/cli.h"

namespace cod::cli {
namespace {

using api::client::closeMessage;
using api::client::FakeTransport;
using api::client::FakeWebSocketTransport;
using api::client::textMessage;
using api::client::TransportRequest;
using api::client::TransportResponse;
using api::client::WebSocketMessage;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kJobId = "j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3";
const std::string kJobPath = std::string("/api/v1/orchestrator/jobs/") + kJobId;

std::string jobJson(const std::string& state) {
  return std::string(R"({"Job":{"ID":")") + kJobId + R"(","Name":"hello","Namespace":"default",)" +
         R"("Type":"batch","Count":1,"Tasks":[{"Name":"main","Engine":{"Type":"docker",)" +
         R"("Params":{"Image":"busybox"}},"Publisher":{"Type":"local"}}],)" +
         R"("State":{"StateType":")" + state + R"("},"Version":1,"Revision":3,)" +
         R"("CreateTime":1724099000000000000,"ModifyTime":1724099004000000000}})";
}

std::string out(int type, const std::string& line_json) {
  return R"({"value":{"Type":)" + std::to_string(type) + R"(,"Line":")" + line_json + R"("}})";
}

using Responder = std::function<Result<TransportResponse>(const TransportRequest&)>;
using Script = std::function<Result<std::vector<WebSocketMessage>>(const std::string&)>;

class LogsCommandsTest : public ::testing::Test {
 protected:
  // The first route whose method matches and whose prefix starts the target answers.
  void route(const std::string& method, const std::string& prefix, Responder responder) {
    routes_.push_back({method, prefix, std::move(responder)});
  }
  void route(const std::string& method, const std::string& prefix, const std::string& body) {
    route(method, prefix, [body](const TransportRequest&) -> Result<TransportResponse> {
      return TransportResponse{200, body};
    });
  }

  int run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    CliEnv env;
    env.out = &out_;
    env.err = &err_;
    env.clock = &clock_;
    env.sleep = [this](Duration d) { clock_.advance(d); };
    env.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    env.make_transport = [this](const std::string& base_url, Duration) {
      auto transport = std::make_unique<FakeTransport>(base_url);
      transport->handler = [this](const TransportRequest& r) -> Result<TransportResponse> {
        requests_.push_back(r.method + " " + r.target);
        for (const auto& rt : routes_) {
          if (rt.method == r.method && r.target.rfind(rt.prefix, 0) == 0) return rt.responder(r);
        }
        return TransportResponse{404, R"({"Status":404,"Message":"no route"})"};
      };
      return transport;
    };
    env.make_websocket = [this](const std::string& base_url, Duration) {
      auto transport = std::make_unique<FakeWebSocketTransport>(base_url);
      transport->handler = [this](const std::string& target) {
        sockets_.push_back(target);
        return script_(target);
      };
      return transport;
    };
    return runCli(args, env);
  }

  struct Route {
    std::string method;
    std::string prefix;
    Responder responder;
  };
  std::vector<Route> routes_;
  std::vector<std::string> requests_;
  std::vector<std::string> sockets_;
  Script script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{closeMessage(1000)};
  };
  std::ostringstream out_;
  std::ostringstream err_;
  ManualClock clock_;
};

TEST_F(LogsCommandsTest, JobLogsWritesEachStreamVerbatimToItsOwn) {
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{textMessage(out(1, R"(hello\n)")),
                                         textMessage(out(2, R"(warning: low disk\n)")),
                                         textMessage(out(1, R"(no newline yet)")),
                                         textMessage(out(1, R"(, now\n)")), closeMessage(1000)};
  };
  EXPECT_EQ(run({"job", "logs", "j-1"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "hello\nno newline yet, now\n");
  EXPECT_EQ(err_.str(), "warning: low disk\n");
  EXPECT_EQ(sockets_, std::vector<std::string>{"/api/v1/orchestrator/jobs/j-1/logs"});
}

TEST_F(LogsCommandsTest, FlagsBecomeTheQuery) {
  EXPECT_EQ(run({"job", "logs", "j-1", "-f", "-t", "-e", "e-9", "-v", "2", "--namespace", "a b"}),
            0)
      << err_.str();
  EXPECT_EQ(run({"logs", "--follow", "--tail", "--execution-id", "e-9", "--version", "2", "j/1"}),
            0)
      << err_.str();
  EXPECT_EQ(sockets_, (std::vector<std::string>{
                          "/api/v1/orchestrator/jobs/j-1/logs?follow=true&tail=true&"
                          "execution_id=e-9&job_version=2&namespace=a%20b",
                          "/api/v1/orchestrator/jobs/j%2F1/logs?follow=true&tail=true&"
                          "execution_id=e-9&job_version=2",
                      }));
}

TEST_F(LogsCommandsTest, AnErrorFrameIsAnErrorExit) {
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{
        textMessage(out(1, R"(partial\n)")),
        textMessage(R"({"error":"no executions found for job j-1","value":{"Type":0,"Line":""}})"),
        closeMessage(1000)};
  };
  EXPECT_EQ(run({"job", "logs", "j-1"}), 1);
  EXPECT_EQ(out_.str(), "partial\n");
  EXPECT_EQ(err_.str(), "Error: no executions found for job j-1\n");
}

TEST_F(LogsCommandsTest, AnAbnormalEndIsAnErrorExit) {
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{textMessage(out(1, R"(a\n)")), closeMessage(1011)};
  };
  EXPECT_EQ(run({"job", "logs", "j-1"}), 1);
  EXPECT_EQ(out_.str(), "a\n");
  EXPECT_THAT(err_.str(), StartsWith("Error: the logs stream of job j-1 ended abnormally"));
  EXPECT_THAT(err_.str(), HasSubstr("1011"));
}

TEST_F(LogsCommandsTest, AnUnreachableApiIsAnErrorExit) {
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return unavailable("cannot reach the cod API at http://127.0.0.1:1234: connection refused");
  };
  EXPECT_EQ(run({"job", "logs", "j-1"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("Error: cannot reach the cod API"));
}

// Serves the bodies in order, then repeats the last one.
Responder inOrder(std::vector<std::string> bodies) {
  auto state = std::make_shared<std::pair<std::vector<std::string>, size_t>>(std::move(bodies), 0);
  return [state](const TransportRequest&) -> Result<TransportResponse> {
    auto& [list, i] = *state;
    std::string body = list[std::min(i, list.size() - 1)];
    ++i;
    return TransportResponse{200, body};
  };
}

// `cod job logs -f` right after a detached submit: the job has no execution on a node yet. The
// CLI waits for one while the job lives, and gives up with the error once the job has ended.
TEST_F(LogsCommandsTest, FollowingAJobNotPlacedYetWaitsForItsExecution) {
  route("GET", kJobPath, inOrder({jobJson("Pending"), jobJson("Pending"), jobJson("Failed")}));
  int connects = 0;
  script_ = [&connects](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    if (++connects <= 2) {
      const char* why = connects == 1 ? "no executions found for job j-1"
                                      : "execution e-1 has not been given to a node yet";
      return std::vector<WebSocketMessage>{
          textMessage(std::string(R"({"error":")") + why + R"(","value":{"Type":0,"Line":""}})"),
          closeMessage(1000)};
    }
    return std::vector<WebSocketMessage>{textMessage(out(1, R"(late\n)")), closeMessage(1000)};
  };
  EXPECT_EQ(run({"job", "logs", "-f", kJobId}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "late\n");
  EXPECT_EQ(connects, 3);

  // Without --follow, or once the job has ended, the answer is the error.
  connects = 0;
  EXPECT_EQ(run({"job", "logs", kJobId}), 1);
  EXPECT_EQ(connects, 1);
  connects = 0;
  EXPECT_EQ(run({"job", "logs", "-f", kJobId}), 1);  // the job is Failed by now
  EXPECT_EQ(connects, 1);
  EXPECT_THAT(err_.str(), HasSubstr("no executions found"));
}

TEST_F(LogsCommandsTest, DockerRunFollowWaitsForTheJobThenStreamsItsLogs) {
  route("PUT", "/api/v1/orchestrator/jobs",
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  route("GET", kJobPath + "/history", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath + "/executions", R"({"NextToken":"","Items":[]})");
  // Submitted (waitForJob's first look is after the logs), Pending, Queued, Running, then done.
  route("GET", kJobPath,
        inOrder({jobJson("Pending"), jobJson("Queued"), jobJson("Running"), jobJson("Completed")}));
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{textMessage(out(1, R"(hi\n)")),
                                         textMessage(out(2, R"(careful\n)")), closeMessage(1000)};
  };
  EXPECT_EQ(run({"docker", "run", "-f", "busybox", "echo", "hi"}), 0) << err_.str();
  EXPECT_EQ(sockets_, std::vector<std::string>{"/api/v1/orchestrator/jobs/" + std::string(kJobId) +
                                               "/logs?follow=true&namespace=default"});
  std::string stdout_text = out_.str();
  EXPECT_THAT(stdout_text, StartsWith(std::string("Job successfully submitted. Job ID: ") + kJobId +
                                      "\n\nhi\n"));
  EXPECT_THAT(stdout_text,
              HasSubstr(std::string("Job ") + kJobId + " finished with state Completed"));
  EXPECT_THAT(stdout_text, HasSubstr(std::string("cod job get ") + kJobId));
  // The history table and the run's outputs are not repeated after the logs.
  EXPECT_THAT(stdout_text, Not(HasSubstr("Checking job status")));
  EXPECT_THAT(stdout_text, Not(HasSubstr("Standard output")));
  EXPECT_EQ(err_.str(), "careful\n");
  // The logs were opened only once the job had left Pending and Queued.
  ASSERT_GE(requests_.size(), 4u);
  EXPECT_EQ(requests_[1], "GET " + kJobPath);
  EXPECT_EQ(requests_[3], "GET " + kJobPath);
}

TEST_F(LogsCommandsTest, FollowGivesUpOnAJobThatDoesNotStartAndFollowsItsHistory) {
  route("PUT", "/api/v1/orchestrator/jobs",
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  route("GET", kJobPath + "/history", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath + "/executions", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath, jobJson("Pending"));
  EXPECT_EQ(run({"docker", "run", "--follow", "busybox"}), 0) << err_.str();
  EXPECT_TRUE(sockets_.empty());
  EXPECT_THAT(err_.str(), HasSubstr("is still Pending after 10s; not following its logs"));
  EXPECT_THAT(out_.str(), HasSubstr("Checking job status"));
}

TEST_F(LogsCommandsTest, JobRunFollowToo) {
  route("PUT", "/api/v1/orchestrator/jobs",
        std::string(R"({"JobID":")") + kJobId + R"(","EvaluationID":"ev-1"})");
  route("GET", kJobPath + "/history", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath + "/executions", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath, inOrder({jobJson("Running"), jobJson("Completed")}));
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{textMessage(out(1, R"(from a spec\n)")),
                                         closeMessage(1000)};
  };
  std::string spec = ::testing::TempDir() + "/logs_follow_job.yaml";
  {
    std::ofstream f(spec);
    f << "Name: hello\nType: batch\nCount: 1\nTasks:\n  - Name: main\n    Engine:\n"
         "      Type: docker\n      Params:\n        Image: busybox\n";
  }
  EXPECT_EQ(run({"job", "run", "-f", spec}), 0) << err_.str();
  EXPECT_EQ(sockets_.size(), 1u);
  EXPECT_THAT(out_.str(), HasSubstr("\nfrom a spec\n"));
}

TEST_F(LogsCommandsTest, JobRerunFollowStreamsTheNewVersionsLogs) {
  route("PUT", kJobPath + "/rerun",
        std::string(R"({"JobID":")") + kJobId + R"(","JobVersion":2,"EvaluationID":"ev-2"})");
  route("GET", kJobPath + "/history", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath + "/executions", R"({"NextToken":"","Items":[]})");
  route("GET", kJobPath, inOrder({jobJson("Running"), jobJson("Running"), jobJson("Completed")}));
  script_ = [](const std::string&) -> Result<std::vector<WebSocketMessage>> {
    return std::vector<WebSocketMessage>{textMessage(out(1, R"(again\n)")), closeMessage(1000)};
  };
  EXPECT_EQ(run({"job", "rerun", kJobId, "-f"}), 0) << err_.str();
  EXPECT_EQ(sockets_.size(), 1u);
  EXPECT_THAT(out_.str(), HasSubstr("\nagain\n"));
}

}  // namespace
}  // namespace cod::cli
