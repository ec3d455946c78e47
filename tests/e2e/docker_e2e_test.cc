// Docker jobs end to end: compute nodes as separate `cod` processes joined over NATS, a real
// dockerd with a locally built image, results downloaded with `cod job get`.

#include <set>

#include <boost/json.hpp>

#include "api/client/websocket_transport.h"
#include "api/test_web_server.h"
#include "common/strings.h"
#include "tests/e2e/cod_fixture.h"
#include "tests/support/dockerd.h"
#include "tests/support/ipfs_node.h"
#include "tests/support/s3_server.h"
#include "tests/support/services.h"

namespace cod::testing {
namespace {

namespace fs = std::filesystem;
using models::ExecutionStateType;
using models::JobStateType;

constexpr const char* kImage = TestDockerd::kImage;

class DockerE2E : public CodFixture {
 protected:
  void SetUp() override {
    CodFixture::SetUp();
    std::string why;
    dockerd_ = TestDockerd::get(&why);
    COD_REQUIRE_SERVICE(dockerd_ != nullptr, why);
    extra_env_["DOCKER_HOST"] = "unix://" + dockerd_->socket();
  }

  std::map<std::string, std::string> env() const override {
    auto e = CodFixture::env();
    for (const auto& [k, v] : extra_env_) e[k] = v;
    return e;
  }

  // The compute nodes of the devstack: node ID → PID.
  std::map<std::string, pid_t> devstackComputes() {
    std::map<std::string, pid_t> out;
    auto manifest = models::parseJson(slurp(fs::path(dataDir()) / "devstack.json"));
    if (!manifest.isOk()) return out;
    for (const auto& c : manifest->as_object().at("Computes").as_array()) {
      out[std::string(c.at("NodeID").as_string())] =
          static_cast<pid_t>(c.at("PID").to_number<int64_t>());
    }
    return out;
  }

  std::vector<models::Execution> executions(const std::string& id) {
    api::client::GetJobOptions o;
    o.include_executions = true;
    auto job = client().getJob(id, o);
    return job.isOk() && job->executions ? *job->executions : std::vector<models::Execution>{};
  }

  size_t containersOfJob(const std::string& job_id) {
    executor::DockerClient docker(dockerd_->socket());
    auto ids = docker.listContainers({{"cod.job-id", job_id}});
    return ids.isOk() ? ids->size() : 999;
  }

  std::string runDetached(std::vector<std::string> args) {
    std::vector<std::string> argv{"docker", "run", "--id-only", "--wait=false"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = cod(argv);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return std::string(trim(r.out));
  }

  TestDockerd* dockerd_ = nullptr;
  std::map<std::string, std::string> extra_env_;
};

TEST_F(DockerE2E, OutputExitCodeAndResultsComeBackWithJobGet) {
  startServer({"devstack", "--computes", "3", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(3));
  auto run = cod({"docker", "run", kImage, "--", "sh", "-c", "echo hello; echo oops >&2; exit 3"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("Completed"), std::string::npos) << run.out;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].run_output.exit_code, 3);

  std::string out = (dir_ / "get").string();
  auto get = cod({"job", "get", id, "--output-dir", out});
  ASSERT_EQ(get.code, 0) << get.out << get.err;
  EXPECT_EQ(slurp(fs::path(out) / "stdout"), "hello\n");
  EXPECT_EQ(slurp(fs::path(out) / "stderr"), "oops\n");
  EXPECT_EQ(slurp(fs::path(out) / "exitCode"), "3");

  // Files written to an output volume come back too.
  auto vol = cod({"docker", "run", "-o", "outputs:/outputs", kImage, "--", "sh", "-c",
                  "echo 15 > /outputs/out.txt"});
  ASSERT_EQ(vol.code, 0) << vol.out << vol.err;
  std::string vol_id = vol.out.substr(vol.out.find("j-"), 38);
  std::string vol_out = (dir_ / "vol").string();
  ASSERT_EQ(cod({"job", "get", vol_id, "--output-dir", vol_out}).code, 0);
  EXPECT_EQ(slurp(fs::path(vol_out) / "outputs" / "out.txt"), "15\n");
  EXPECT_EQ(containersOfJob(id), 0u);
}

TEST_F(DockerE2E, CountThreeRunsOnThreeNodes) {
  startServer({"devstack", "--computes", "3", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(3));
  auto run = cod({"docker", "run", "--count", "3", "--id-only", kImage, "--", "echo", "hi"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id(trim(run.out));
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted));
  std::set<std::string> nodes;
  for (const auto& e : executions(id)) {
    EXPECT_EQ(e.compute_state.state_type, ExecutionStateType::kCompleted);
    EXPECT_EQ(e.run_output.stdout_text, "hi\n");
    nodes.insert(e.node_id);
  }
  EXPECT_EQ(nodes.size(), 3u);
}

TEST_F(DockerE2E, FailuresAreExplained) {
  startServer({"devstack", "--computes", "1", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(1));
  auto missing = cod({"docker", "run", "cod-test/no-such-image:1.0", "--", "true"});
  EXPECT_NE(missing.code, 0);
  std::string missing_id = missing.out.substr(missing.out.find("j-"), 38);
  auto describe = cod({"job", "describe", missing_id});
  EXPECT_NE(describe.out.find("could not pull image cod-test/no-such-image:1.0"), std::string::npos)
      << describe.out;

  auto slow = cod({"docker", "run", "--timeout", "2", kImage, "--", "sleep", "30"});
  EXPECT_NE(slow.code, 0);
  std::string slow_id = slow.out.substr(slow.out.find("j-"), 38);
  EXPECT_EQ(jobState(slow_id), JobStateType::kFailed);
  auto slow_job = client().getJob(slow_id);
  EXPECT_NE(slow_job->job.state.message.find("timed out"), std::string::npos)
      << slow_job->job.state.message;
  EXPECT_EQ(containersOfJob(slow_id), 0u);
}

// The node's sandbox options, from a config file through devstack to the container: only the
// named capabilities, a read-only root, a fixed user that still writes its results.
TEST_F(DockerE2E, TheNodesSandboxConfigConfinesTheContainer) {
  fs::path config = dir_ / "sandbox.yaml";
  std::ofstream(config) << "Engines:\n  Types:\n    Docker:\n"
                           "      Capabilities: [KILL]\n"
                           "      ReadOnlyRootFilesystem: true\n"
                           "      User: \"2000:2000\"\n";
  startServer({"devstack", "--computes", "1", "--nats-port", "0", "--publisher-port", "0", "-c",
               config.string()});
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run = cod({"docker", "run", "-o", "outputs:/outputs", kImage, "--", "sh", "-c",
                  "id -u; grep '^CapBnd:' /proc/self/status; touch /etc/x || echo read-only; "
                  "echo kept > /outputs/o"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  std::string out = (dir_ / "get").string();
  ASSERT_EQ(cod({"job", "get", id, "--output-dir", out}).code, 0);
  EXPECT_EQ(slurp(fs::path(out) / "stdout"), "2000\nCapBnd:\t0000000000000020\nread-only\n");
  EXPECT_EQ(slurp(fs::path(out) / "outputs" / "o"), "kept\n");
}

// A node that must run containers in a user namespace, under a dockerd that does not, declines
// the job, and the user reads why; a node given a user name rather than numbers does not start.
TEST_F(DockerE2E, ANodeRequiringUserNamespacesSaysWhyItDeclines) {
  auto bad = cod({"serve", "--orchestrator", "--compute", "--data-dir", dataDir(), "--docker-user",
                  "nobody", "--nats-port", "0", "--publisher-port", "0", "--api-port", "0"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE((bad.out + bad.err).find("expected numeric uid:gid"), std::string::npos)
      << bad.out << bad.err;

  startServer({"devstack", "--computes", "1", "--nats-port", "0", "--publisher-port", "0",
               "--docker-require-userns-remap"});
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run = cod({"docker", "run", kImage, "--", "true"});
  EXPECT_NE(run.code, 0);
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto describe = cod({"job", "describe", id});
  EXPECT_NE(describe.out.find("does not remap"), std::string::npos) << describe.out;
}

TEST_F(DockerE2E, StopLeavesNoContainerBehind) {
  startServer({"devstack", "--computes", "1", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(1));
  std::string id = runDetached({kImage, "--", "sleep", "60"});
  ASSERT_TRUE(eventually([&] { return containersOfJob(id) == 1; }));
  auto stop = cod({"job", "stop", id});
  ASSERT_EQ(stop.code, 0) << stop.err;
  EXPECT_TRUE(eventually([&] { return containersOfJob(id) == 0; }));
  EXPECT_EQ(jobState(id), JobStateType::kStopped);
}

// Live logs (reference §3): a job printing a line a second is followed while it runs, the frames
// on the wire are Bacalhau's, --tail starts at the end, and the log stays readable after the end.
TEST_F(DockerE2E, LogsStreamWhileTheJobRunsAndStayAfterItEnds) {
  startServer({"devstack", "--computes", "1", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(1));
  std::string id = runDetached({kImage, "--", "sh", "-c",
                                "for i in 1 2 3 4; do echo tick $i; sleep 1; done; echo oops >&2"});

  struct Arrival {
    api::client::LogLine line;
    std::chrono::steady_clock::time_point at;
    JobStateType job_state;
  };
  std::vector<Arrival> arrivals;
  api::client::LogsOptions follow;
  follow.follow = true;
  Status streamed = client().streamLogs(id, follow, [&](const api::client::LogLine& l) {
    arrivals.push_back({l, std::chrono::steady_clock::now(), jobState(id)});
  });
  ASSERT_TRUE(streamed.isOk()) << streamed.toString();
  std::string stdout_text;
  std::string stderr_text;
  for (const auto& a : arrivals) {
    (a.line.type == api::client::kLogStderr ? stderr_text : stdout_text) += a.line.line;
  }
  EXPECT_EQ(stdout_text, "tick 1\ntick 2\ntick 3\ntick 4\n");
  EXPECT_EQ(stderr_text, "oops\n");
  ASSERT_GE(arrivals.size(), 5u);
  // Streaming, not a dump at the end: the first line came while the job ran, seconds before the
  // last one.
  EXPECT_NE(arrivals.front().job_state, JobStateType::kCompleted);
  EXPECT_GE(arrivals.back().at - arrivals.front().at, std::chrono::seconds(2));
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted));

  // After the end: the whole log again, stdout to stdout and stderr to stderr.
  auto after = cod({"job", "logs", id});
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.out, "tick 1\ntick 2\ntick 3\ntick 4\n");
  EXPECT_EQ(after.err, "oops\n");

  // The frames as Bacalhau's CLI and web UI read them, then close 1000.
  api::client::BeastWebSocketOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(api_port_);
  auto ws = api::client::makeBeastWebSocketTransport(o);
  auto conn = ws->connect("/api/v1/orchestrator/jobs/" + id + "/logs");
  ASSERT_TRUE(conn.isOk()) << conn.status().toString();
  auto first = (*conn)->read();
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(first->text, R"({"value":{"Type":1,"Line":"tick 1\n"}})");
  api::client::WebSocketMessage m;
  int frames = 1;
  while (true) {
    auto next = (*conn)->read();
    ASSERT_TRUE(next.isOk()) << next.status().toString();
    m = *next;
    if (m.closed) break;
    ++frames;
  }
  EXPECT_EQ(frames, 5);
  EXPECT_EQ(m.close_code, 1000);
  auto unknown = ws->connect("/api/v1/orchestrator/jobs/j-nope/logs");
  ASSERT_TRUE(unknown.isOk());
  auto error = (*unknown)->read();
  ASSERT_TRUE(error.isOk());
  EXPECT_NE(error->text.find(R"("error":)"), std::string::npos) << error->text;
  EXPECT_NE(error->text.find(R"("value":{"Type":0,"Line":""})"), std::string::npos);
  auto close = (*unknown)->read();
  ASSERT_TRUE(close.isOk());
  EXPECT_TRUE(close->closed);
  EXPECT_EQ(close->close_code, 1000);

  // --tail on a running job starts at the end: the first lines are not sent again.
  std::string slow =
      runDetached({kImage, "--", "sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 1; done"});
  ASSERT_TRUE(eventually(
      [&] {
        return cod({"job", "logs", slow}).out.find("line 2") != std::string::npos;
      },
      std::chrono::seconds(30)));
  auto tail = cod({"job", "logs", slow, "--tail", "--follow"});
  ASSERT_EQ(tail.code, 0) << tail.err;
  EXPECT_EQ(tail.out.find("line 1"), std::string::npos) << tail.out;
  EXPECT_NE(tail.out.find("line 5\n"), std::string::npos) << tail.out;
}

TEST_F(DockerE2E, KilledComputeNodesWorkIsRescheduled) {
  startServer({"devstack", "--computes", "2", "--nats-port", "0", "--publisher-port", "0",
               "--node-disconnect-timeout", "3s"});
  ASSERT_TRUE(waitForComputeNodes(2));
  std::string id = runDetached({kImage, "--", "sleep", "6"});
  std::string node;
  ASSERT_TRUE(eventually([&] {
    auto execs = executions(id);
    if (execs.empty() || execs[0].compute_state.state_type != ExecutionStateType::kBidAccepted) {
      return false;
    }
    node = execs[0].node_id;
    return containersOfJob(id) == 1;
  }));
  auto computes = devstackComputes();
  ASSERT_TRUE(computes.count(node)) << node;
  ::kill(computes[node], SIGKILL);
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted, std::chrono::seconds(60)));
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].compute_state.state_type, ExecutionStateType::kFailed);
  EXPECT_EQ(execs[1].compute_state.state_type, ExecutionStateType::kCompleted);
  EXPECT_NE(execs[1].node_id, node);
}

TEST_F(DockerE2E, OrchestratorAndNatsRestartsDoNotLoseTheJob) {
  int nats_port = freePort();
  std::string token = "e2e-" + newUuid().substr(0, 8);
  Process& orch = startServer(
      {"serve", "--orchestrator", "--nats-port", std::to_string(nats_port), "--token", token});
  Process& compute = startCompute(nats_port, token);
  ASSERT_TRUE(waitForComputeNodes(1)) << compute.stderrText();

  std::string id = runDetached({kImage, "--", "sleep", "4"});
  ASSERT_TRUE(eventually([&] { return containersOfJob(id) == 1; }));
  orch.kill(SIGKILL);
  orch.wait(std::chrono::seconds(10));
  startServer(
      {"serve", "--orchestrator", "--nats-port", std::to_string(nats_port), "--token", token});
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted, std::chrono::seconds(60)));
  EXPECT_EQ(executions(id).size(), 1u) << "the running container was kept, not rescheduled";

  // Kill nats-server itself: the orchestrator restarts it, the node reconnects, work flows.
  std::string pid_text = slurp(fs::path(dataDir()) / "orchestrator" / "nats" / "nats-server.pid");
  ASSERT_FALSE(pid_text.empty());
  ::kill(std::stoi(pid_text), SIGKILL);
  std::string after = runDetached({kImage, "--", "echo", "after"});
  ASSERT_TRUE(waitForState(after, JobStateType::kCompleted, std::chrono::seconds(60)));
}

TEST_F(DockerE2E, RestartedComputeNodeCleansUpAndReportsWhatHappened) {
  int nats_port = freePort();
  std::string token = "e2e-" + newUuid().substr(0, 8);
  startServer({"serve", "--orchestrator", "--nats-port", std::to_string(nats_port), "--token",
               token, "--node-disconnect-timeout", "60s"});
  Process& compute = startCompute(nats_port, token);
  ASSERT_TRUE(waitForComputeNodes(1));

  std::string id = runDetached({kImage, "--", "sleep", "3"});
  ASSERT_TRUE(eventually([&] { return containersOfJob(id) == 1; }));
  // The node dies; its container is left behind, still running.
  compute.kill(SIGKILL);
  compute.wait(std::chrono::seconds(10));
  EXPECT_EQ(containersOfJob(id), 1u);

  // Back with the same data dir: it removes the orphan, reports the execution as failed (its
  // process died with the node), and the job runs again and completes.
  Process& again = startCompute(nats_port, token);
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted, std::chrono::seconds(60)))
      << again.stderrText();
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].compute_state.state_type, ExecutionStateType::kFailed);
  EXPECT_NE(execs[0].compute_state.message.find("restarted"), std::string::npos)
      << execs[0].compute_state.message;
  EXPECT_EQ(execs[1].compute_state.state_type, ExecutionStateType::kCompleted);
  EXPECT_TRUE(eventually([&] { return containersOfJob(id) == 0; }));
}

// Binary on stdout was stored as raw bytes: the execution became "unreadable: invalid JSON", the
// job stayed Running for ever and its executions endpoint answered 500.
TEST_F(DockerE2E, BinaryOutputLeavesTheJobReadable) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run = cod({"docker", "run", kImage, "--", "sh", "-c",
                  "printf a; head -c 3000 /dev/zero | tr '\\0' '\\377'"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("Completed"), std::string::npos) << run.out;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 1u);
  const auto& out = execs[0].run_output;
  EXPECT_TRUE(isValidUtf8(out.stdout_text));
  EXPECT_LE(out.stdout_text.size(), models::kRunOutputLimit);
  EXPECT_EQ(out.stdout_text.substr(0, 4), "a\xEF\xBF\xBD");
  EXPECT_TRUE(out.stdout_truncated);
  auto describe = cod({"job", "describe", id});
  EXPECT_EQ(describe.code, 0) << describe.err;
  EXPECT_NE(describe.out.find("Completed"), std::string::npos);
  // The whole output is in the published results, byte for byte: the executor reads the
  // container's stdio, not Docker's log file (whose json-file driver turns such bytes into U+FFFD).
  std::string dir = (dir_ / "get").string();
  ASSERT_EQ(cod({"job", "get", id, "--output-dir", dir}).code, 0);
  std::string published = slurp(fs::path(dir) / "stdout");
  EXPECT_EQ(published, "a" + std::string(3000, '\xFF'));
}

// Network Host reached the cod API on 127.0.0.1 from inside a container.
TEST_F(DockerE2E, NetworkedJobsNeedTheOperatorsConsent) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  auto host = cod({"docker", "run", "--network", "host", kImage, "--", "true"});
  EXPECT_NE(host.code, 0);
  EXPECT_NE((host.out + host.err).find("--allow-host-network"), std::string::npos)
      << host.out << host.err;
  std::string id = host.out.substr(host.out.find("j-"), 38);
  auto describe = cod({"job", "describe", id});
  EXPECT_NE(describe.out.find("--allow-host-network"), std::string::npos) << describe.out;
  auto full = cod({"docker", "run", "--network", "full", kImage, "--", "true"});
  EXPECT_NE(full.code, 0);
  EXPECT_NE((full.out + full.err).find("--allow-networked-jobs"), std::string::npos)
      << full.out << full.err;
  auto none = cod({"docker", "run", kImage, "--", "true"});
  EXPECT_EQ(none.code, 0) << none.out << none.err;
}

// Compute over data: a URL, a file of this machine (sent inline) and an allow-listed path of the
// compute node each feed one job, which proves it read them.
TEST_F(DockerE2E, UrlInlineAndLocalInputsFeedTheJob) {
  api::testing::TestWebServer web([](const api::HttpRequest& req) {
    if (req.path == "/words.txt") return api::testing::TestWebServer::text(200, "from the web\n");
    return api::testing::TestWebServer::text(404, "no such thing");
  });
  ASSERT_TRUE(web.started().isOk());
  fs::path shared = dir_ / "shared";
  fs::create_directories(shared / "data");
  std::ofstream(shared / "data" / "node.txt") << "from the node\n";
  fs::create_directories(dir_ / "secret");
  std::ofstream(dir_ / "secret" / "key") << "do not read\n";
  std::string local_file = writeFile("client.txt", "from the client\n");
  fs::create_directories(dir_ / "folder" / "sub");
  std::ofstream(dir_ / "folder" / "sub" / "deep.txt") << "from a client folder\n";

  startServer({"serve", "--orchestrator", "--compute", "--nats-port", "0", "--publisher-port", "0",
               "--allow-listed-local-paths", shared.string()});
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run =
      cod({"docker", "run", "-i", "src=" + web.url("/words.txt") + ",dst=/in/url", "-i",
           "src=" + local_file + ",dst=/in/client.txt", "-i",
           "src=" + (dir_ / "folder").string() + ",dst=/in/folder", "-i",
           "src=file://" + (shared / "data").string() + ",dst=/in/node", kImage, "--", "sh", "-c",
           "cat /in/url/words.txt /in/client.txt /in/folder/sub/deep.txt /in/node/node.txt; "
           "touch /in/node/written 2>/dev/null && echo WROTE || echo read-only"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].run_output.stdout_text,
            "from the web\nfrom the client\nfrom a client folder\nfrom the node\nread-only\n");
  EXPECT_FALSE(fs::exists(shared / "data" / "written"));
  // Nothing staged is left behind on the node.
  EXPECT_TRUE(eventually([&] {
    for (const auto& e : fs::directory_iterator(fs::path(dataDir()) / "compute" / "executions")) {
      (void)e;
      return false;
    }
    return true;
  }));

  // A path outside the allow-list is refused at bid time, naming the list.
  auto outside = cod({"docker", "run", "-i", "file://" + (dir_ / "secret").string(), kImage, "--",
                      "cat", "/inputs/key"});
  EXPECT_NE(outside.code, 0);
  std::string outside_id = outside.out.substr(outside.out.find("j-"), 38);
  auto describe = cod({"job", "describe", outside_id});
  EXPECT_NE(describe.out.find("is not below a path this node allows"), std::string::npos)
      << describe.out;
  // A URL with nothing behind it fails the execution with that reason.
  auto missing = cod({"docker", "run", "-i", web.url("/missing.csv"), kImage, "--", "true"});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE((missing.out + missing.err).find("HTTP 404"), std::string::npos)
      << missing.out << missing.err;
}

// A bucket prefix on a real S3 server (it verifies signatures), uploaded with awscli, read by a
// job on a compute node that finds its credentials the standard AWS way.
TEST_F(DockerE2E, S3PrefixFeedsTheJob) {
  std::string why;
  TestS3Server* s3 = TestS3Server::get(&why);
  ASSERT_NE(s3, nullptr) << why;
  for (int i = 1; i <= 3; ++i) {
    std::string file =
        writeFile("part" + std::to_string(i) + ".txt", "line " + std::to_string(i) + "\n");
    ASSERT_TRUE(s3->upload(file, "e2e/words/part" + std::to_string(i) + ".txt"));
  }
  for (const auto& [k, v] : s3->awsEnv()) {
    if (k != "HOME") extra_env_[k] = v;
  }
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  std::string src = std::string("src=s3://") + TestS3Server::kBucket +
                    "/e2e/words/,dst=/in,opt=endpoint=" + s3->endpoint() + ",opt=region=us-east-1";
  auto run = cod({"docker", "run", "-i", src, kImage, "--", "sh", "-c", "cat /in/*.txt"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].run_output.stdout_text, "line 1\nline 2\nline 3\n");

  // A key that is not there fails the execution with S3's reason.
  auto missing = cod({"docker", "run", "-i",
                      std::string("src=s3://") + TestS3Server::kBucket +
                          "/no/such/prefix/,opt=endpoint=" + s3->endpoint(),
                      kImage, "--", "true"});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE((missing.out + missing.err).find("no objects in s3://"), std::string::npos)
      << missing.out << missing.err;
}

// Compute over data across a cluster: 12 text files uploaded with awscli, one job with Count 3
// whose input is the bucket prefix with object partitioning, on three compute processes, each
// publishing to S3 under {jobID}/{executionID}. Each partition counts the words of its share;
// `cod job get` fetches the three results from S3 and merges them; together the shares hold every
// file exactly once and their counts sum to the words of all files.
TEST_F(DockerE2E, WordCountOverAPartitionedS3Prefix) {
  std::string why;
  TestS3Server* s3 = TestS3Server::get(&why);
  ASSERT_NE(s3, nullptr) << why;
  int total_words = 0;
  std::set<std::string> names;
  for (int i = 0; i < 12; ++i) {
    std::string text;
    for (int w = 0; w <= i; ++w) text += "word" + std::to_string(w) + (w % 5 == 4 ? "\n" : " ");
    total_words += i + 1;
    std::string name = "doc" + std::to_string(i) + ".txt";
    names.insert(name);
    ASSERT_TRUE(s3->upload(writeFile(name, text + "\n"), "wordcount/" + name));
  }
  for (const auto& [k, v] : s3->awsEnv()) {
    if (k != "HOME") extra_env_[k] = v;
  }
  std::string spec = R"(Name: word-count
Type: batch
Count: 3
Tasks:
  - Name: main
    Engine:
      Type: docker
      Params:
        Image: )" + std::string(kImage) +
                     R"(
        Entrypoint: ["sh", "-c"]
        Parameters:
          - "cd /in && ls > /outputs/files-$BACALHAU_PARTITION_INDEX && cat /dev/null $(ls) | wc -w > /outputs/words-$BACALHAU_PARTITION_INDEX"
    InputSources:
      - Target: /in
        Source:
          Type: s3
          Params:
            Bucket: )" +
                     TestS3Server::kBucket + R"(
            Key: wordcount/
            Endpoint: )" +
                     s3->endpoint() + R"(
            Region: us-east-1
            Partition:
              Type: object
    Publisher:
      Type: s3
      Params:
        Bucket: )" + TestS3Server::kBucket +
                     R"(
        Key: "results/{jobID}/{executionID}"
        Endpoint: )" +
                     s3->endpoint() + R"(
    ResultPaths:
      - Name: outputs
        Path: /outputs
)";
  startServer({"devstack", "--computes", "3", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(3));
  auto run = cod({"job", "run", writeFile("wordcount.yaml", spec)});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  // The orchestrator has AWS credentials, so the results API hands out presigned URLs and the
  // client needs none of its own.
  auto results = client().jobResults(id);
  ASSERT_TRUE(results.isOk()) << results.status().toString();
  ASSERT_EQ(results->size(), 3u);
  for (const auto& r : *results) {
    EXPECT_EQ(r.type, "s3PreSigned");
    const auto* url = models::findKey(r.params, "PreSignedURL");
    ASSERT_TRUE(url != nullptr && url->is_string());
    EXPECT_NE(std::string(url->as_string()).find("X-Amz-Signature="), std::string::npos);
  }
  for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) extra_env_.erase(k);
  extra_env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "no-credentials").string();
  extra_env_["AWS_CONFIG_FILE"] = (dir_ / "no-config").string();
  std::string out = (dir_ / "counts").string();
  auto get = cod({"job", "get", id, "--output-dir", out});
  ASSERT_EQ(get.code, 0) << get.out << get.err;
  std::multiset<std::string> seen;
  int words = 0;
  for (int p = 0; p < 3; ++p) {
    for (const std::string& f :
         split(std::string(trim(slurp(fs::path(out) / "outputs" / ("files-" + std::to_string(p))))),
               '\n')) {
      if (!f.empty()) seen.insert(f);
    }
    words += std::stoi(
        std::string(trim(slurp(fs::path(out) / "outputs" / ("words-" + std::to_string(p))))));
  }
  EXPECT_EQ(seen, std::multiset<std::string>(names.begin(), names.end()))
      << "each file must be in exactly one partition";
  EXPECT_EQ(words, total_words);
  // The results are in the bucket where the key says, one object per execution.
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 3u);
  for (const auto& e : execs) {
    EXPECT_EQ(e.published_result.type, "s3");
    std::string key(e.published_result.params.at("Key").as_string());
    EXPECT_EQ(key, "results/" + id + "/" + e.id + ".tar.gz");
  }
}

// An IPFS round trip on three compute processes: a folder added with the js-ipfs CLI, a job whose
// input is its CID and whose results go to IPFS, and `cod job get` fetching them back through the
// IPFS node. The js-ipfs CLI reads the published CID too, independently of cod.
TEST_F(DockerE2E, IpfsRoundTrip) {
  std::string why;
  TestIpfsNode* ipfs = TestIpfsNode::get(&why);
  ASSERT_NE(ipfs, nullptr) << why;
  fs::create_directories(dir_ / "ipfs-in/sub");
  std::ofstream(dir_ / "ipfs-in/a.txt") << "alpha\n";
  std::ofstream(dir_ / "ipfs-in/sub/b.txt") << "beta\n";
  std::string cid = ipfs->add((dir_ / "ipfs-in").string());
  ASSERT_FALSE(cid.empty());

  startServer({"devstack", "--computes", "3", "--nats-port", "0", "--publisher-port", "0",
               "--ipfs-connect", ipfs->multiaddr()});
  ASSERT_TRUE(waitForComputeNodes(3));
  auto run =
      cod({"docker", "run", "-i", "src=ipfs://" + cid + ",dst=/in", "-o", "outputs:/outputs", "-p",
           "ipfs", kImage, "--", "sh", "-c", "cat /in/a.txt /in/sub/b.txt | tee /outputs/joined"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 1u);
  ASSERT_EQ(execs[0].published_result.type, "ipfs");
  std::string published(execs[0].published_result.params.at("CID").as_string());
  EXPECT_EQ(ipfs->cat(published + "/outputs/joined"), "alpha\nbeta\n");

  std::string out = (dir_ / "back").string();
  auto get = cod({"job", "get", id, "--output-dir", out, "--ipfs-connect", ipfs->multiaddr()});
  ASSERT_EQ(get.code, 0) << get.out << get.err;
  EXPECT_EQ(slurp(fs::path(out) / "outputs" / "joined"), "alpha\nbeta\n");
  EXPECT_EQ(slurp(fs::path(out) / "stdout"), "alpha\nbeta\n");

  // Without an IPFS node to go through, job get says what to pass.
  auto no_node = cod({"job", "get", id, "--output-dir", (dir_ / "nowhere").string()});
  EXPECT_NE(no_node.code, 0);
  EXPECT_NE(no_node.err.find("--ipfs-connect"), std::string::npos) << no_node.err;
}

// A node with no IPFS endpoint does not advertise ipfs inputs, and the job says why.
TEST_F(DockerE2E, IpfsInputsNeedANodeWithAnIpfsEndpoint) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  auto run = cod({"docker", "run", "-i", "ipfs://QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa",
                  kImage, "--", "true"});
  EXPECT_NE(run.code, 0);
  EXPECT_NE((run.out + run.err).find("does not support input source \"ipfs\""), std::string::npos)
      << run.out << run.err;
}

// The input cache and data locality on three compute processes: a job over an S3 prefix, then the
// same job again. The node that ran it advertises what its cache holds, the second run is placed
// there and stages every object from the cache (no GET: the misses do not grow), and
// `cod node describe` shows the cache.
TEST_F(DockerE2E, ARepeatedJobRunsWhereItsDataIsAndStagesFromTheCache) {
  std::string why;
  TestS3Server* s3 = TestS3Server::get(&why);
  ASSERT_NE(s3, nullptr) << why;
  for (int i = 0; i < 3; ++i) {
    std::string name = "c" + std::to_string(i) + ".txt";
    ASSERT_TRUE(s3->upload(writeFile(name, "cached line " + std::to_string(i) + "\n"),
                           "cache-e2e/" + name));
  }
  for (const auto& [k, v] : s3->awsEnv()) {
    if (k != "HOME") extra_env_[k] = v;
  }
  startServer({"devstack", "--computes", "3", "--nats-port", "0", "--publisher-port", "0"});
  ASSERT_TRUE(waitForComputeNodes(3));
  const std::vector<std::string> job{"docker",
                                     "run",
                                     "-i",
                                     std::string("src=s3://") + TestS3Server::kBucket +
                                         "/cache-e2e/,dst=/in,opt=endpoint=" + s3->endpoint() +
                                         ",opt=region=us-east-1",
                                     kImage,
                                     "--",
                                     "sh",
                                     "-c",
                                     "cat /in/*.txt"};
  auto first = cod(job);
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  auto first_execs = executions(first.out.substr(first.out.find("j-"), 38));
  ASSERT_EQ(first_execs.size(), 1u);
  const std::string node_id = first_execs[0].node_id;
  EXPECT_EQ(first_execs[0].run_output.stdout_text, "cached line 0\ncached line 1\ncached line 2\n");

  // The orchestrator hears what the node's cache holds with a heartbeat.
  models::InputCacheInfo cache;
  ASSERT_TRUE(eventually(
      [&] {
        auto node = client().getNode(node_id);
        if (!node.isOk()) return false;
        cache = node->info.compute_node_info.input_cache;
        return cache.entries == 3 && cache.inputs.size() == 1;
      },
      std::chrono::seconds(30)))
      << "entries " << cache.entries;
  EXPECT_EQ(cache.misses, 3u);

  auto second = cod(job);
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  auto second_execs = executions(second.out.substr(second.out.find("j-"), 38));
  ASSERT_EQ(second_execs.size(), 1u);
  EXPECT_EQ(second_execs[0].node_id, node_id) << "placed where its data is";
  EXPECT_EQ(second_execs[0].run_output.stdout_text, first_execs[0].run_output.stdout_text);
  ASSERT_TRUE(eventually(
      [&] {
        auto node = client().getNode(node_id);
        if (!node.isOk()) return false;
        cache = node->info.compute_node_info.input_cache;
        return cache.hits == 3;
      },
      std::chrono::seconds(30)))
      << "hits " << cache.hits;
  EXPECT_EQ(cache.misses, 3u) << "nothing downloaded again";

  auto describe = cod({"node", "describe", node_id});
  ASSERT_EQ(describe.code, 0) << describe.err;
  EXPECT_NE(describe.out.find("InputCache"), std::string::npos) << describe.out;
  EXPECT_NE(describe.out.find("Hits: 3"), std::string::npos) << describe.out;
}

// The s3managed publisher: results go to the bucket the orchestrator manages, through upload URLs
// it presigns per execution; the results API hands out download URLs, so neither the compute
// nodes' publisher nor the client needs bucket names or credentials of its own.
TEST_F(DockerE2E, S3ManagedResultsGoToTheOrchestratorsBucket) {
  std::string why;
  TestS3Server* s3 = TestS3Server::get(&why);
  ASSERT_NE(s3, nullptr) << why;
  for (const auto& [k, v] : s3->awsEnv()) {
    if (k != "HOME") extra_env_[k] = v;
  }
  std::string config = writeFile("managed.yaml", std::string(R"(Publishers:
  Types:
    S3Managed:
      Bucket: )") + TestS3Server::kBucket + R"(
      Key: managed
      Endpoint: )" + s3->endpoint() + R"(
      Region: us-east-1
)");
  startServer(
      {"devstack", "--computes", "2", "--nats-port", "0", "--publisher-port", "0", "-c", config});
  ASSERT_TRUE(waitForComputeNodes(2));
  auto run = cod({"docker", "run", "-o", "outputs:/outputs", "-p", "s3managed", kImage, "--", "sh",
                  "-c", "echo managed | tee /outputs/note"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  std::string id = run.out.substr(run.out.find("j-"), 38);
  auto execs = executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].published_result.type, "s3managed");
  // In the bucket where the orchestrator said, read back with awscli.
  std::string object = "managed/" + id + "/" + execs[0].id + ".tar.gz";
  ASSERT_TRUE(s3->download(object, (dir_ / "managed.tar.gz").string())) << object;
  auto results = client().jobResults(id);
  ASSERT_TRUE(results.isOk() && results->size() == 1u) << results.status().toString();
  EXPECT_EQ((*results)[0].type, "s3PreSigned");
  EXPECT_TRUE(models::findKey((*results)[0].params, "Managed")->as_bool());

  for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) extra_env_.erase(k);
  extra_env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "no-credentials").string();
  std::string out = (dir_ / "managed-out").string();
  auto get = cod({"job", "get", id, "--output-dir", out});
  ASSERT_EQ(get.code, 0) << get.out << get.err;
  EXPECT_EQ(slurp(fs::path(out) / "outputs" / "note"), "managed\n");
}

// Writes greet-1.0-py3-none-any.whl (a wheel is a zip: the package, its METADATA, WHEEL and a
// RECORD with the files' hashes) into `dir`, with the host's Python (awscli brings it).
constexpr const char* kMakeWheel = R"(import base64, hashlib, os, sys, zipfile
files = {
    "greet/__init__.py": 'def hello():\n    return "hello from a wheel"\n',
    "greet-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n",
    "greet-1.0.dist-info/WHEEL":
        "Wheel-Version: 1.0\nGenerator: cod-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def digest(text):
    d = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()
record = "".join(f"{n},{digest(t)},{len(t.encode())}\n" for n, t in files.items())
files["greet-1.0.dist-info/RECORD"] = record + "greet-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(os.path.join(sys.argv[1], "greet-1.0-py3-none-any.whl"), "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
)";

// `cod run python --deterministic=false`: a Docker job on a Debian python image. Its job script
// pip-installs the context folder's requirements (a wheel made here: no network) from /code and
// runs the program; arguments reach Python as they were given, never as shell text.
TEST_F(DockerE2E, RunPythonInDockerInstallsTheContextsRequirements) {
  std::string why;
  COD_REQUIRE_SERVICE(dockerd_->loadPythonImage(&why), why);
  fs::create_directories(dir_ / "ctx");
  std::string make_wheel = writeFile("make_wheel.py", kMakeWheel);
  auto wheel = run({"/usr/bin/python3", make_wheel, (dir_ / "ctx").string()}, {}, dir_ / "logs");
  ASSERT_EQ(wheel.code, 0) << wheel.out << wheel.err;
  writeFile("ctx/requirements.txt", "./greet-1.0-py3-none-any.whl\n");
  writeFile("ctx/main.py", "import greet, sys\nprint(greet.hello(), sys.argv[1:])\n");
  devstack(1);
  ASSERT_TRUE(waitForComputeNodes(1));

  const std::string image = TestDockerd::kPythonImage;
  auto r = cod({"run", "python", "--deterministic=false", "--image", image, "--context-path",
                (dir_ / "ctx").string(), "-r", "requirements.txt", "main.py", "a", "b"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Completed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Standard output:\nhello from a wheel ['a', 'b']\n"), std::string::npos)
      << r.out;

  // Shell syntax in an argument stays a string: had a shell run it, /tmp/pwned would exist.
  r = cod({"run", "python", "--deterministic=false", "--image", image, "-c",
           "import os, sys; print(sys.argv[1:], os.path.exists('/tmp/pwned'))",
           "$(touch /tmp/pwned)", "; touch /tmp/pwned"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Standard output:\n['$(touch /tmp/pwned)', '; touch /tmp/pwned'] False\n"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace cod::testing
