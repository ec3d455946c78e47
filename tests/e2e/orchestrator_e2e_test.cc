// The `cod` binary end to end, driven as a user would: serve or devstack, submit with the CLI or
// with plain HTTP, wait, describe, list, stop, crash and restart.

#include <cstdio>
#include <set>

#include "common/strings.h"
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

// `cod serve --job-retention`: a finished job goes from the API a little after the retention, and
// the compute node then removes its published results (asking the orchestrator when it
// reconciles, every 15 s).
TEST_F(OrchestratorE2E, JobRetentionRemovesFinishedJobsAndTheirResults) {
  startServer({"serve", "--orchestrator", "--compute", "--nats-port", "0", "--publisher-port", "0",
               "--job-retention", "2s"});
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run =
      cod({"job", "run",
           writeFile("kept.yaml", std::string(kNoopJob) + "    Publisher:\n      Type: local\n")});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = jobIdFrom(run.out);
  ASSERT_FALSE(id.empty()) << run.out;
  auto execs = client().jobExecutions(id);
  ASSERT_TRUE(execs.isOk() && execs->items.size() == 1u);
  std::filesystem::path archive =
      std::filesystem::path(dataDir()) / "compute" / "results" / (execs->items[0].id + ".tar.gz");
  EXPECT_TRUE(std::filesystem::exists(archive)) << archive;

  EXPECT_TRUE(eventually(
      [&] {
        return cod({"job", "describe", id}).code != 0;
      },
      std::chrono::seconds(20)))
      << "the job is still there";
  auto gone = cod({"job", "describe", id});
  EXPECT_NE(gone.err.find("not found"), std::string::npos) << gone.err;
  EXPECT_EQ(cod({"job", "list"}).out.find(id.substr(0, 10)), std::string::npos);
  EXPECT_TRUE(
      eventually([&] { return !std::filesystem::exists(archive); }, std::chrono::seconds(40)))
      << archive << " is still there";
  // The name is free again.
  auto again = cod({"job", "run", writeFile("kept.yaml", kNoopJob)});
  EXPECT_EQ(again.code, 0) << again.out << again.err;
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

// Mutual TLS on the NATS link: with --nats-tls-client-ca-file the orchestrator's nats-server lets
// in only clients with a certificate that CA signed; a node without one is one clear error.
TEST_F(OrchestratorE2E, WithAClientCaOnlyNodesWithACertificateJoin) {
  auto openssl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    auto r = run(args, {}, dir_ / "logs");
    EXPECT_EQ(r.code, 0) << r.err;
  };
  auto path = [&](const std::string& name) { return (dir_ / name).string(); };
  std::ofstream(path("san.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out",
           path("ca.pem"), "-days", "1", "-subj", "/CN=cod-test-ca"});
  for (const std::string name : {"server", "node"}) {
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", path(name + ".key"), "-out",
             path(name + ".csr"), "-subj", "/CN=cod-test-" + name});
    openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.pem"), "-CAkey",
             path("ca.key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "1",
             "-extfile", path("san.ext")});
  }
  const int nats_port = freePort();
  const std::string token = "e2e-" + newUuid().substr(0, 8);
  startServer({"serve", "--orchestrator", "--nats-port", std::to_string(nats_port), "--token",
               token, "--nats-tls-cert-file", path("server.pem"), "--nats-tls-key-file",
               path("server.key"), "--nats-tls-client-ca-file", path("ca.pem"), "--tls-ca-file",
               path("ca.pem")});
  const std::string url = "tls://127.0.0.1:" + std::to_string(nats_port);
  auto compute = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{
        "serve",   "--compute", "--data-dir",       path(name), "--orchestrators", url,
        "--token", token,       "--publisher-port", "0",        "--tls-ca-file",   path("ca.pem")};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto anonymous = cod(compute("anonymous", {}), std::chrono::seconds(60));
  EXPECT_EQ(anonymous.code, 1) << anonymous.out << anonymous.err;
  EXPECT_NE(anonymous.err.find("cannot connect to NATS at " + url), std::string::npos)
      << anonymous.err;
  EXPECT_NE(anonymous.err.find("--tls-cert-file"), std::string::npos) << anonymous.err;

  std::vector<std::string> args{COD_BINARY};
  for (auto& a :
       compute("node", {"--tls-cert-file", path("node.pem"), "--tls-key-file", path("node.key")})) {
    args.push_back(a);
  }
  servers_.push_back(std::make_unique<Process>(args, env(), dir_ / "logs"));
  ASSERT_TRUE(waitForComputeNodes(1));
  auto job = cod({"job", "run", "--id-only", writeFile("one.yaml", noopJobYaml(1, "{}"))});
  ASSERT_EQ(job.code, 0) << job.out << job.err;
  EXPECT_TRUE(waitForState(std::string(trim(job.out)), JobStateType::kCompleted));
}

// The token only lets a node ask to join: each compute node is admitted with a secret of its
// own, and its NATS user may publish only as itself and read only what is sent to it. Another
// node cannot take its ID; deleting the node withdraws its credentials.
TEST_F(OrchestratorE2E, EachComputeNodeJoinsWithCredentialsOfItsOwn) {
  const int nats_port = freePort();
  const std::string token = "e2e-" + newUuid().substr(0, 8);
  startServer(
      {"serve", "--orchestrator", "--nats-port", std::to_string(nats_port), "--token", token});
  startCompute(nats_port, token);
  ASSERT_TRUE(waitForComputeNodes(1));
  auto job = cod({"job", "run", "--id-only", writeFile("one.yaml", noopJobYaml(1, "{}"))});
  ASSERT_EQ(job.code, 0) << job.out << job.err;
  EXPECT_TRUE(waitForState(std::string(trim(job.out)), JobStateType::kCompleted));

  const std::filesystem::path node_dir = dir_ / "compute" / "compute";
  const std::string node(trim(slurp(node_dir / "node_id")));
  const std::filesystem::path nats_dir = std::filesystem::path(dataDir()) / "orchestrator" / "nats";
  const std::string secret(trim(slurp(node_dir / "nats-secret")));
  EXPECT_GE(secret.size(), 32u);
  EXPECT_TRUE(std::filesystem::exists(node_dir / "nats-joined"));
  EXPECT_EQ(slurp(nats_dir / "nodes"), node + " " + secret + "\n");
  const std::string conf = slurp(nats_dir / "nats-server.conf");
  EXPECT_NE(conf.find("subscribe: {allow: [\"cod.v1.compute." + node + ".messages\""),
            std::string::npos)
      << conf;
  EXPECT_EQ(conf.find("token:"), std::string::npos) << "the token must not open everything";

  auto impostor =
      cod({"serve", "--compute", "--name", node, "--data-dir", (dir_ / "impostor").string(),
           "--orchestrators", "nats://127.0.0.1:" + std::to_string(nats_port), "--token", token,
           "--publisher-port", "0"},
          std::chrono::seconds(60));
  EXPECT_EQ(impostor.code, 1) << impostor.out << impostor.err;
  EXPECT_NE(impostor.err.find("node ID " + node + " is taken by a node with other credentials"),
            std::string::npos)
      << impostor.err;

  auto deleted = cod({"node", "delete", node});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  EXPECT_EQ(slurp(nats_dir / "nodes"), "");
}

// With --require-approval a node that joins with the token waits PENDING, with no work, until
// the operator approves it.
TEST_F(OrchestratorE2E, NewNodesWaitForApproval) {
  const int nats_port = freePort();
  const std::string token = "e2e-" + newUuid().substr(0, 8);
  startServer({"serve", "--orchestrator", "--require-approval", "--nats-port",
               std::to_string(nats_port), "--token", token});
  startCompute(nats_port, token);
  ASSERT_TRUE(waitForComputeNodes(1));
  std::string node;
  auto nodes = client().listNodes();
  ASSERT_TRUE(nodes.isOk()) << nodes.status().message();
  for (const auto& n : *nodes) {
    if (n.info.node_type == "Compute") {
      node = n.info.node_id;
      EXPECT_EQ(n.membership, "PENDING");
    }
  }
  ASSERT_FALSE(node.empty());
  auto before = cod({"job", "run", "--wait=false", "--id-only",
                     writeFile("before.yaml", noopJobYaml(1, "{}", "before-approval"))});
  const std::string waiting(trim(before.out));
  ASSERT_FALSE(waiting.empty()) << before.err;
  // The pending node does not count: the job fails at once, as with no node at all.
  ASSERT_TRUE(waitForState(waiting, JobStateType::kFailed));
  EXPECT_NE(client().getJob(waiting)->job.state.message.find("available: 0"), std::string::npos);

  auto approved = cod({"node", "approve", node});
  ASSERT_EQ(approved.code, 0) << approved.err;
  auto after = cod(
      {"job", "run", "--id-only", writeFile("after.yaml", noopJobYaml(1, "{}", "after-approval"))});
  ASSERT_EQ(after.code, 0) << after.out << after.err;
  EXPECT_TRUE(waitForState(std::string(trim(after.out)), JobStateType::kCompleted));
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

// ---- hostile input (issue: a job spec can take over the host) -----------------------------------

class HostileInputE2E : public CodFixture {
 protected:
  // curl against the API: status code, then the body, as a user would see them.
  RunResult curl(std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/curl", "-sS", "-o", "-", "-w", "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, dir_ / "logs");
  }
  static std::string statusOf(const RunResult& r) {
    return r.out.size() >= 3 ? r.out.substr(r.out.size() - 3) : "";
  }
  std::string jobsUrl() const {
    return "http://127.0.0.1:" + std::to_string(api_port_) + "/api/v1/orchestrator/jobs";
  }
  RunResult putJob(const std::string& job_json,
                   std::vector<std::string> headers = {"Content-Type: application/json"}) {
    std::vector<std::string> args{"-X", "PUT", jobsUrl(), "--data-binary",
                                  R"({"Job":)" + job_json + "}"};
    for (const auto& h : headers) args.insert(args.end(), {"-H", h});
    return curl(args);
  }
  static std::string noopJob(const std::string& job_fields, const std::string& task_fields = "") {
    return R"({"Type":"batch",)" + job_fields +
           R"("Tasks":[{"Name":"main","Engine":{"Type":"noop"})" + task_fields + "}]}";
  }
};

TEST_F(HostileInputE2E, SpecStringsThatWouldBecomeHostPathsAre400sNamingTheField) {
  serve();
  struct Case {
    std::string job;
    std::string field;
  };
  const std::string pub = R"(,"Publisher":{"Type":"local"})";
  std::vector<Case> cases{
      {noopJob(R"("Count":1,)", pub + R"(,"ResultPaths":[{"Name":"/etc","Path":"/hostetc"}])"),
       "Job.Tasks[0].ResultPaths[0].Name"},
      {noopJob(R"("Count":1,)", pub + R"(,"ResultPaths":[{"Name":"/","Path":"/host"}])"),
       "Job.Tasks[0].ResultPaths[0].Name"},
      {noopJob(R"("Count":1,)", pub + R"(,"ResultPaths":[{"Name":"../../x","Path":"/x"}])"),
       "Job.Tasks[0].ResultPaths[0].Name"},
      {noopJob(R"("Count":1,)", pub + R"(,"ResultPaths":[{"Name":"out","Path":"/proc"}])"),
       "Job.Tasks[0].ResultPaths[0].Path"},
      {noopJob(R"("Count":1,)",
               R"(,"InputSources":[{"Source":{"Type":"inline"},"Target":"/in/../../etc"}])"),
       "Job.Tasks[0].InputSources[0].Target"},
      {R"({"ID":"../../x","Type":"service","Count":1,)"
       R"("Tasks":[{"Name":"main","Engine":{"Type":"noop"}}]})",
       "Job.ID"},
      {noopJob(R"("Count":1,)", R"(,"InputSources":[{"Source":{"Type":"s3","Params":)"
                                R"({"Bucket":"b","Endpoint":"file:///etc"}},"Target":"/in"}])"),
       "Job.Tasks[0].InputSources[0].Source.Params.Endpoint"},
      {noopJob(R"("Count":1,)", R"(,"Publisher":{"Type":"s3","Params":{"Bucket":"b",)"
                                R"("Key":"k","Endpoint":"gopher://x"}})"),
       "Job.Tasks[0].Publisher.Params.Endpoint"},
      // A CID reaches the IPFS node's RPC URL as a query argument.
      {noopJob(R"("Count":1,)",
               R"(,"InputSources":[{"Source":{"Type":"ipfs","Params":)"
               R"({"CID":"QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa&arg=/etc"}},)"
               R"("Target":"/in"}])"),
       "Job.Tasks[0].InputSources[0].Source.Params.CID"},
      {noopJob(R"("Count":1000000000,)"), "Job.Count"},
      {noopJob(R"("Count":2147483648,)"), "Job.Count"},
      {noopJob(R"("Count":1e18,)"), "Job.Count"},
      {noopJob(R"("Count":1,)", R"(,"Timeouts":{"ExecutionTimeout":9000000000000000000,)"
                                R"("QueueTimeout":9000000000000000000})"),
       "Job.Tasks[0].Timeouts.ExecutionTimeout"},
  };
  for (const Case& c : cases) {
    RunResult r = putJob(c.job);
    EXPECT_EQ(statusOf(r), "400") << c.job << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find(c.field + ":"), std::string::npos) << c.job << "\n" << r.out;
  }
  // The CLI shows the same.
  auto cli =
      cod({"docker", "run", "-o", "/etc:/hostetc", "busybox", "--", "cat", "/hostetc/shadow"});
  EXPECT_NE(cli.code, 0);
  EXPECT_NE(cli.err.find("ResultPaths[1].Name"), std::string::npos) << cli.out << cli.err;
  auto list = client().listJobs({});
  ASSERT_TRUE(list.isOk());
  EXPECT_TRUE(list->items.empty()) << "a refused job was stored";
}

TEST_F(HostileInputE2E, BrowsersOfOtherOriginsCannotSubmitAndBodiesMustBeJson) {
  serve();
  const std::string job = noopJob(R"("Count":1,)");
  RunResult text = putJob(job, {"Content-Type: text/plain"});
  EXPECT_EQ(statusOf(text), "415") << text.out;
  RunResult form = curl({"-X", "POST", jobsUrl(), "--data", "a=b"});  // x-www-form-urlencoded
  EXPECT_EQ(statusOf(form), "415") << form.out;
  RunResult evil = putJob(job, {"Content-Type: application/json", "Origin: https://evil.example"});
  EXPECT_EQ(statusOf(evil), "403") << evil.out;
  RunResult preflight =
      curl({"-X", "OPTIONS", jobsUrl(), "-i", "-H", "Origin: https://evil.example", "-H",
            "Access-Control-Request-Method: PUT"});
  EXPECT_EQ(statusOf(preflight), "403") << preflight.out;
  EXPECT_EQ(preflight.out.find("Access-Control-Allow-Origin"), std::string::npos);
  auto list = client().listJobs({});
  ASSERT_TRUE(list.isOk());
  EXPECT_TRUE(list->items.empty());
  EXPECT_EQ(statusOf(putJob(job)), "200");  // a plain API client still submits
}

TEST_F(HostileInputE2E, LongHeadersGet431AndTheApiKeepsAnswering) {
  serve();
  std::string big = "X-Big: " + std::string(70000, 'a');
  for (int i = 0; i < 4; ++i) {  // more than the API's two I/O threads
    RunResult r =
        curl({"-H", big, "http://127.0.0.1:" + std::to_string(api_port_) + "/api/v1/agent/alive"});
    EXPECT_EQ(statusOf(r), "431") << r.out << r.err;
  }
  auto list = cod({"job", "list"});
  EXPECT_EQ(list.code, 0) << list.err;
}

TEST_F(HostileInputE2E, DataDirIsPrivateAndResultsAreServedOnTheAdvertisedAddressOnly) {
  int results_port = freePort();
  startServer({"serve", "--orchestrator", "--compute", "--nats-port", "0", "--publisher-port",
               std::to_string(results_port)});
  auto mode = [](const std::filesystem::path& p) {
    return static_cast<unsigned>(std::filesystem::status(p).permissions() &
                                 std::filesystem::perms::all);
  };
  EXPECT_EQ(mode(dataDir()), 0700u);
  EXPECT_EQ(mode(std::filesystem::path(dataDir()) / "orchestrator" / "jobs.db"), 0600u);
  // Listening sockets (state 0A) on the result port: only 127.0.0.1 (0100007F), never 0.0.0.0.
  char port_hex[8];
  std::snprintf(port_hex, sizeof port_hex, "%04X", results_port);
  std::set<std::string> listeners;
  for (const std::string& line : split(slurp("/proc/net/tcp"), '\n')) {
    auto fields = split(std::string(trim(line)), ' ');
    std::erase(fields, "");
    if (fields.size() > 3 && fields[3] == "0A" &&
        endsWith(fields[1], std::string(":") + port_hex)) {
      listeners.insert(fields[1]);
    }
  }
  EXPECT_EQ(listeners, std::set<std::string>{std::string("0100007F:") + port_hex});

  // The result server shares the API's HTTP server: long headers cannot stop it either.
  std::string results = "http://127.0.0.1:" + std::to_string(results_port) + "/e-1.tar.gz";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(statusOf(curl({"-H", "X-Big: " + std::string(70000, 'a'), results})), "431");
  }
  // Without the orchestrator's signature nothing is served, not even whether the file exists.
  EXPECT_EQ(statusOf(curl({results})), "403");
  EXPECT_EQ(statusOf(curl({results + "?expires=9999999999&signature=00"})), "403");
  EXPECT_EQ(statusOf(curl({"http://127.0.0.1:" + std::to_string(results_port) + "/x/y"})), "404");
}

// A job stored under a higher limit (or before there was one) must not take the orchestrator
// down at start; it fails with the reason.
TEST_F(HostileInputE2E, AStoredJobOverTheCountLimitFailsAtStartInsteadOfCrashing) {
  Process& first = startServer({"serve", "--orchestrator", "--compute", "--nats-port", "0",
                                "--publisher-port", "0", "--max-job-count", "100000"});
  ASSERT_TRUE(waitForComputeNodes(1));
  RunResult r = putJob(noopJob(R"("Count":50000,)", R"(,"Timeouts":{"QueueTimeout":3600})"));
  ASSERT_EQ(statusOf(r), "200") << r.out;
  std::string id = jobIdFrom(r.out);
  ASSERT_TRUE(waitForState(id, JobStateType::kQueued)) << "one node cannot run 50,000 partitions";
  first.kill(SIGTERM);
  first.wait(std::chrono::seconds(15));

  Process& second = startServer({"serve", "--orchestrator", "--compute", "--nats-port", "0",
                                 "--publisher-port", "0", "--max-job-count", "1000"});
  ASSERT_TRUE(waitForState(id, JobStateType::kFailed));
  auto job = client().getJob(id);
  ASSERT_TRUE(job.isOk());
  EXPECT_NE(job->job.state.message.find("exceeds this orchestrator's limit of 1000"),
            std::string::npos)
      << job->job.state.message;
  EXPECT_TRUE(second.running());
  EXPECT_EQ(cod({"job", "list"}).code, 0);
}

}  // namespace
}  // namespace cod::testing
