// The `cod` binary end to end, driven as a user would: serve or devstack, submit with the CLI or
// with plain HTTP, wait, describe, list, stop, crash and restart.

#include <set>

#include "tests/e2e/cod_fixture.h"

namespace cod::testing {
namespace {

using models::ExecutionStateType;
using models::JobStateType;

constexpr const char* kNoopJob = R"(Name: hello
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: noop
      Params:
        Stdout: "hello from noop\n"
)";

std::string noopJobYaml(int count, const std::string& params, const std::string& name = "") {
  std::string out = "Type: batch\nCount: " + std::to_string(count) + "\n";
  if (!name.empty()) out += "Name: " + name + "\n";
  out += "Tasks:\n  - Name: main\n    Engine:\n      Type: noop\n      Params: " + params + "\n";
  return out;
}

// The job ID printed by `cod job run` ("Job successfully submitted. Job ID: j-…").
std::string jobIdFrom(const std::string& out) {
  auto pos = out.find("j-");
  return pos == std::string::npos ? "" : out.substr(pos, 38);
}

class OrchestratorE2E : public CodFixture {};

TEST_F(OrchestratorE2E, RunDescribeListOnASingleNode) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run = cod({"job", "run", writeFile("hello.yaml", kNoopJob)});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("Job successfully submitted"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Completed"), std::string::npos) << run.out;
  std::string id = jobIdFrom(run.out);
  ASSERT_FALSE(id.empty()) << run.out;

  auto describe = cod({"job", "describe", id});
  ASSERT_EQ(describe.code, 0) << describe.err;
  EXPECT_NE(describe.out.find("Completed"), std::string::npos) << describe.out;
  EXPECT_NE(describe.out.find("hello from noop"), std::string::npos) << describe.out;
  EXPECT_NE(describe.out.find("Job submitted"), std::string::npos) << describe.out;

  auto list = cod({"job", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find(id.substr(0, 10)), std::string::npos) << list.out;

  // The same job found by its name and by an ID prefix.
  EXPECT_EQ(cod({"job", "describe", "hello"}).code, 0);
  EXPECT_EQ(cod({"describe", id.substr(0, 6)}).code, 0);

  auto json = cod({"job", "describe", id, "--output", "json"});
  ASSERT_EQ(json.code, 0);
  auto parsed = models::parseJson(json.out);
  ASSERT_TRUE(parsed.isOk()) << json.out;
}

TEST_F(OrchestratorE2E, DevstackRunsCountThreeOnThreeNodes) {
  devstack(3);
  ASSERT_TRUE(waitForComputeNodes(3));
  auto run = cod({"job", "run", "--id-only", writeFile("three.yaml", noopJobYaml(3, "{}"))});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id(trim(run.out));
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted));
  api::client::GetJobOptions o;
  o.include_executions = true;
  o.include_history = true;
  auto job = client().getJob(id, o);
  ASSERT_TRUE(job.isOk());
  ASSERT_TRUE(job->executions);
  std::set<std::string> nodes;
  for (const auto& e : *job->executions) {
    EXPECT_EQ(e.compute_state.state_type, ExecutionStateType::kCompleted);
    nodes.insert(e.node_id);
  }
  EXPECT_EQ(job->executions->size(), 3u);
  EXPECT_EQ(nodes.size(), 3u);
  ASSERT_TRUE(job->history);
  EXPECT_GE(job->history->size(), 7u);

  auto describe = cod({"job", "describe", id});
  ASSERT_EQ(describe.code, 0);
  for (const auto& n : nodes) EXPECT_NE(describe.out.find(n.substr(0, 10)), std::string::npos);
}

// TLS between processes: the orchestrator's nats-server child accepts only TLS; compute nodes that
// trust its certificate join and run work; one that does not, or that dials plain nats://, stops
// at once and says what to fix.
TEST_F(OrchestratorE2E, ComputeNodesJoinOverTls) {
  // A self-signed certificate for 127.0.0.1, made as an operator would make one.
  const std::string cert = (dir_ / "cert.pem").string();
  const std::string key = (dir_ / "key.pem").string();
  auto made = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                   key, "-out", cert, "-days", "1", "-subj", "/CN=cod-test", "-addext",
                   "subjectAltName=IP:127.0.0.1,DNS:localhost"},
                  {}, dir_ / "logs");
  ASSERT_EQ(made.code, 0) << made.err;
  const int nats_port = freePort();
  const std::string url = "tls://127.0.0.1:" + std::to_string(nats_port);
  startServer({"devstack", "--computes", "2", "--nats-port", std::to_string(nats_port),
               "--publisher-port", "0", "--nats-tls-cert-file", cert, "--nats-tls-key-file", key});
  ASSERT_TRUE(waitForComputeNodes(2));  // devstack's compute processes joined over TLS
  auto job = cod({"job", "run", "--id-only", writeFile("two.yaml", noopJobYaml(2, "{}"))});
  ASSERT_EQ(job.code, 0) << job.out << job.err;
  EXPECT_TRUE(waitForState(std::string(trim(job.out)), JobStateType::kCompleted));

  const std::string token(
      trim(slurp(std::filesystem::path(dataDir()) / "orchestrator" / "nats" / "token")));
  auto join = [&](const std::string& name, const std::string& orchestrators) {
    return cod({"serve", "--compute", "--data-dir", (dir_ / name).string(), "--orchestrators",
                orchestrators, "--token", token, "--publisher-port", "0"},
               std::chrono::seconds(30));
  };
  for (const auto& dial : {url, "nats://127.0.0.1:" + std::to_string(nats_port)}) {
    auto untrusting = join("untrusting", dial);
    EXPECT_EQ(untrusting.code, 1) << untrusting.out << untrusting.err;
    EXPECT_NE(untrusting.err.find("TLS with NATS at " + dial + " failed"), std::string::npos)
        << untrusting.err;
    EXPECT_NE(untrusting.err.find("--tls-ca-file"), std::string::npos) << untrusting.err;
  }
}

TEST_F(OrchestratorE2E, StopAndFailures) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  auto slow = cod({"job", "run", "--id-only", "--wait=false",
                   writeFile("slow.yaml", noopJobYaml(1, "{Delay: 60s}"))});
  ASSERT_EQ(slow.code, 0) << slow.err;
  std::string id(trim(slow.out));
  ASSERT_TRUE(waitForState(id, JobStateType::kRunning));
  auto stop = cod({"job", "stop", id});
  ASSERT_EQ(stop.code, 0) << stop.err;
  EXPECT_NE(stop.out.find("Job stop successfully submitted"), std::string::npos) << stop.out;
  EXPECT_EQ(jobState(id), JobStateType::kStopped);
  auto again = cod({"job", "stop", id});
  EXPECT_NE(again.code, 0);

  auto failing =
      cod({"job", "run",
           writeFile("fail.yaml", noopJobYaml(1, "{Error: 'disk on fire', Retryable: false}"))});
  EXPECT_NE(failing.code, 0);
  EXPECT_NE((failing.out + failing.err).find("disk on fire"), std::string::npos)
      << failing.out << failing.err;

  auto flibble = cod({"job", "run",
                      writeFile("flibble.yaml",
                                "Type: batch\nTasks:\n  - Name: main\n    Engine:\n"
                                "      Type: flibble\n")});
  EXPECT_NE(flibble.code, 0);
  EXPECT_NE((flibble.out + flibble.err).find("does not support engine \"flibble\""),
            std::string::npos)
      << flibble.out << flibble.err;
}

TEST_F(OrchestratorE2E, BadInputGetsOneClearError) {
  serve();
  auto empty = cod({"job", "run", writeFile("empty.yaml", "")});
  EXPECT_NE(empty.code, 0);
  EXPECT_NE(empty.err.find("empty"), std::string::npos) << empty.err;

  auto bad_cpu = cod({"job", "run",
                      writeFile("cpu.yaml",
                                "Type: batch\nTasks:\n  - Name: main\n    Engine:\n"
                                "      Type: noop\n    Resources:\n      CPU: lots\n")});
  EXPECT_NE(bad_cpu.code, 0);
  EXPECT_NE(bad_cpu.err.find("Resources.CPU"), std::string::npos) << bad_cpu.err;

  auto missing = cod({"job", "describe", "j-does-not-exist"});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

TEST_F(OrchestratorE2E, UnreachableServerIsOneLine) {
  auto r = cod({"job", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot reach the cod API"), std::string::npos) << r.err;
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
}

TEST_F(OrchestratorE2E, BacalhauJsonJobOverPlainHttp) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  // The body Bacalhau's Go CLI sends, with the noop engine.
  std::string body = R"({"Namespace":"","Credential":null,"IdempotencyToken":"","Force":false,
    "Job":{"ID":"","Name":"","Namespace":"default","Type":"batch","Priority":0,"Count":1,
    "Constraints":null,"Meta":null,"Labels":{},"State":{"StateType":"Undefined"},"Version":0,
    "Revision":0,"CreateTime":0,"ModifyTime":0,
    "Tasks":[{"Name":"main","Engine":{"Type":"noop","Params":{}},"Publisher":null,
              "Resources":{},"Timeouts":{}}]}})";
  auto resp = client().call("PUT", "/api/v1/orchestrator/jobs", body);
  ASSERT_TRUE(resp.isOk()) << resp.status().toString();
  std::string id(resp->as_object().at("JobID").as_string());
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted));
}

TEST_F(OrchestratorE2E, KillNineWhileJobsAreQueuedLosesNothing) {
  Process& first = serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto r = cod({"job", "run", "--id-only", "--wait=false",
                  writeFile("d" + std::to_string(i) + ".yaml", noopJobYaml(1, "{Delay: 2s}"))});
    ASSERT_EQ(r.code, 0) << r.err;
    ids.emplace_back(trim(r.out));
  }
  first.kill(SIGKILL);
  first.wait(std::chrono::seconds(10));

  serve();
  for (const auto& id : ids) {
    ASSERT_TRUE(waitForState(id, JobStateType::kCompleted, std::chrono::seconds(60))) << id;
    api::client::HistoryOptions o;
    auto history = client().jobHistory(id, o);
    ASSERT_TRUE(history.isOk());
    ASSERT_FALSE(history->items.empty());
    EXPECT_EQ(history->items.front().event.message, "Job submitted");
    for (size_t i = 0; i < history->items.size(); ++i) {
      EXPECT_EQ(history->items[i].seq_num, i + 1) << "history of " << id << " has a gap";
    }
  }
}

}  // namespace
}  // namespace cod::testing
