// The four job types and retries through the `cod` binary, with compute nodes as their own
// processes: ops on every node, a daemon picking up a node started later, a service keeping its
// replicas when a node is killed and rolling over to a new version, a retry's backoff in the
// history.

#include <cstdio>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/strings.h"
#include "tests/e2e/cod_fixture.h"

namespace cod::testing {
namespace {

using models::ExecutionStateType;
using models::JobStateType;

std::string noopSpec(const std::string& type, const std::string& params,
                     const std::string& extra = "") {
  return "Type: " + type + "\n" + extra +
         "Tasks:\n  - Name: main\n    Engine:\n      Type: noop\n      Params: " + params + "\n";
}

class JobTypesE2E : public CodFixture {
 protected:
  // An orchestrator and `computes` compute processes joined over NATS.
  void cluster(int computes, std::vector<std::string> extra = {}) {
    nats_port_ = freePort();
    token_ = "e2e-" + newUuid().substr(0, 8);
    std::vector<std::string> args{
        "serve", "--orchestrator", "--nats-port", std::to_string(nats_port_), "--token", token_};
    args.insert(args.end(), extra.begin(), extra.end());
    startServer(args);
    for (int i = 0; i < computes; ++i) addCompute();
    ASSERT_TRUE(waitForComputeNodes(static_cast<size_t>(computes)));
  }
  Process& addCompute() {
    return startCompute(nats_port_, token_, "compute-" + std::to_string(computes_++));
  }

  // GET /api/v1/agent/debug, read with curl as an operator would.
  boost::json::object debugInfo() {
    std::string cmd =
        "curl -fsS http://127.0.0.1:" + std::to_string(api_port_) + "/api/v1/agent/debug";
    std::string body;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n = 0;
      while ((n = fread(buf, 1, sizeof buf, p)) > 0) body.append(buf, n);
      pclose(p);
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
  }

  std::string submit(const std::string& name, const std::string& yaml) {
    auto r = cod({"job", "run", "--id-only", "--wait=false", writeFile(name, yaml)});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return std::string(trim(r.out));
  }

  std::vector<models::Execution> executions(const std::string& id) {
    api::client::GetJobOptions o;
    o.include_executions = true;
    auto job = client().getJob(id, o);
    return job.isOk() && job->executions ? *job->executions : std::vector<models::Execution>{};
  }

  // Nodes with a live execution of the job (of `version`, 0 = any) that a node accepted.
  std::set<std::string> runningOn(const std::string& id, uint64_t version = 0) {
    std::set<std::string> out;
    for (const auto& e : executions(id)) {
      if (e.compute_state.state_type == ExecutionStateType::kBidAccepted &&
          (version == 0 || e.job_version == version)) {
        out.insert(e.node_id);
      }
    }
    return out;
  }

  int nats_port_ = 0;
  std::string token_;
  int computes_ = 0;
};

TEST_F(JobTypesE2E, AnOpsJobRunsOnceOnEveryNode) {
  cluster(3);
  std::string id = submit("ops.yaml", noopSpec("ops", "{Stdout: \"cleaned\\n\"}"));
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted)) << models::jobStateName(jobState(id));
  auto execs = executions(id);
  std::set<std::string> nodes;
  for (const auto& e : execs) {
    EXPECT_EQ(e.compute_state.state_type, ExecutionStateType::kCompleted);
    EXPECT_EQ(e.run_output.stdout_text, "cleaned\n");
    nodes.insert(e.node_id);
  }
  EXPECT_EQ(execs.size(), 3u);
  EXPECT_EQ(nodes.size(), 3u);

  // What bench/ divides by the jobs: the store committed the job's writes and the orchestrator's
  // NATS connection carried a run request to each node and each node's answers.
  auto debug = debugInfo();
  ASSERT_TRUE(debug.contains("Store") && debug.contains("Transport"))
      << boost::json::serialize(debug);
  EXPECT_GT(debug.at("Store").at("Commits").to_number<int64_t>(), 0);
  EXPECT_GT(debug.at("Store").at("BytesWritten").to_number<int64_t>(), 0);
  EXPECT_GE(debug.at("Transport").at("MessagesOut").to_number<int64_t>(), 3);
  EXPECT_GE(debug.at("Transport").at("MessagesIn").to_number<int64_t>(), 3);
}

TEST_F(JobTypesE2E, ADaemonStartsOnANodeThatJoinsLater) {
  cluster(3);
  std::string id = submit("daemon.yaml", noopSpec("daemon", "{Delay: 1h}"));
  ASSERT_TRUE(eventually([&] { return runningOn(id).size() == 3; })) << executions(id).size();
  EXPECT_EQ(jobState(id), JobStateType::kRunning);
  addCompute();
  ASSERT_TRUE(waitForComputeNodes(4));
  ASSERT_TRUE(eventually([&] { return runningOn(id).size() == 4; }))
      << "the fourth node got no execution";
  EXPECT_EQ(executions(id).size(), 4u);
  auto stop = cod({"job", "stop", id});
  EXPECT_EQ(stop.code, 0) << stop.err;
  EXPECT_TRUE(waitForState(id, JobStateType::kStopped));
}

TEST_F(JobTypesE2E, AServiceKeepsItsReplicasWhenANodeIsKilled) {
  cluster(0, {"--node-disconnect-timeout", "3s"});
  std::vector<Process*> computes;
  for (int i = 0; i < 3; ++i) computes.push_back(&addCompute());
  ASSERT_TRUE(waitForComputeNodes(3));
  std::string id = submit("svc.yaml", noopSpec("service", "{Delay: 1h}", "Count: 2\n"));
  std::set<std::string> before;
  ASSERT_TRUE(eventually([&] { return (before = runningOn(id)).size() == 2; }));
  EXPECT_EQ(jobState(id), JobStateType::kRunning);

  // Kill -9 the compute process that runs the first replica.
  auto nodes = client().listNodes({});
  ASSERT_TRUE(nodes.isOk());
  std::string victim = *before.begin();
  Process* victim_process = nullptr;
  for (int i = 0; i < 3; ++i) {
    std::string node_id = slurp(dir_ / ("compute-" + std::to_string(i)) / "compute" / "node_id");
    if (trim(node_id) == victim) victim_process = computes[static_cast<size_t>(i)];
  }
  ASSERT_NE(victim_process, nullptr) << "no compute data dir names node " << victim;
  victim_process->kill(SIGKILL);

  std::set<std::string> after;
  ASSERT_TRUE(eventually(
      [&] {
        after = runningOn(id);
        return after.size() == 2 && !after.contains(victim);
      },
      std::chrono::seconds(45)))
      << "replicas on " << join({after.begin(), after.end()}, ",");
  EXPECT_EQ(jobState(id), JobStateType::kRunning) << "a service never completes";
}

TEST_F(JobTypesE2E, AServiceUpdateRollsItsReplicasOver) {
  cluster(3);
  std::string v1 = noopSpec("service", "{Delay: 1h, Stdout: v1}", "Name: web\nCount: 2\n");
  std::string id = submit("web1.yaml", v1);
  ASSERT_TRUE(eventually([&] { return runningOn(id, 1).size() == 2; }));
  std::string v2 = noopSpec("service", "{Delay: 1h, Stdout: v2}", "Name: web\nCount: 2\n");
  EXPECT_EQ(submit("web2.yaml", v2), id) << "an update keeps the job's ID";
  ASSERT_TRUE(eventually([&] { return runningOn(id, 2).size() == 2 && runningOn(id, 1).empty(); }))
      << "v1 replicas still running: " << runningOn(id, 1).size();
  auto job = client().getJob(id);
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->job.version, 2u);
  EXPECT_EQ(job->job.state.state_type, JobStateType::kRunning);
  auto history = cod({"job", "history", id, "--wide", "--all-versions"});
  EXPECT_NE(history.out.find("job has been updated"), std::string::npos) << history.out;
}

TEST_F(JobTypesE2E, ARetriedExecutionsBackoffShowsInTheHistory) {
  cluster(3);
  std::string id = submit(
      "flaky.yaml", noopSpec("batch", "{Error: \"connection reset by peer\", Retryable: true}",
                             "Meta:\n  cod.retry.delay: 300ms\n  cod.retry.limit: \"2\"\n"));
  ASSERT_TRUE(waitForState(id, JobStateType::kFailed)) << models::jobStateName(jobState(id));
  auto history = cod({"job", "history", id, "--wide"});
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_NE(history.out.find("Retry 1 of 2 in "), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("Retry 2 of 2 in "), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("on another node"), std::string::npos) << history.out;
  auto job = client().getJob(id);
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->job.state.message,
            "Job failed because an execution failed after 2 retries (partition 0): connection "
            "reset by peer");
  EXPECT_EQ(executions(id).size(), 3u);
}

}  // namespace
}  // namespace cod::testing
