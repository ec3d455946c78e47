#pragma once

// A real API server on port 0 over a real JobService, MemoryJobStore, EvaluationBroker and
// NodeManager, all on a ManualClock; plus a client. Nothing runs the scheduler: jobs stay where
// the API and the test put them.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/api_server.h"
#include "api/test_http_client.h"
#include "common/clock.h"
#include "common/version.h"
#include "orchestrator/broker/evaluation_broker.h"
#include "orchestrator/job_service.h"
#include "orchestrator/nodes/node_manager.h"
#include "store/memory/memory_job_store.h"

namespace cod::api::testing {

// An API on a free loopback port.
inline ApiConfig localApiConfig(int threads) {
  ApiConfig c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.threads = threads;
  return c;
}

inline constexpr const char* kOrchestratorId = "n-0rchestrat0r-0000-0000-0000-000000000000";

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ =
        std::make_unique<orchestrator::EvaluationBroker>(&clock_, orchestrator::BrokerConfig{});
    orchestrator::JobService::Deps jdeps;
    jdeps.store = &store_;
    jdeps.broker = broker_.get();
    jdeps.clock = &clock_;
    jdeps.random = &random_;
    jdeps.orchestrator_id = kOrchestratorId;
    jobs_ = std::make_unique<orchestrator::JobService>(jdeps, orchestrator::JobDefaults{});
    nodes_ = std::make_unique<orchestrator::NodeManager>(&store_, &clock_,
                                                         orchestrator::NodeManagerConfig{});
    ASSERT_TRUE(nodes_->start(selfInfo()).isOk());
    server_ = std::make_unique<ApiServer>(makeDeps(), localApiConfig(2));
    ASSERT_TRUE(server_->start().isOk());
    client_ = std::make_unique<TestHttpClient>(server_->port());
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->stop();
  }

  ApiDeps makeDeps() {
    ApiDeps deps;
    deps.jobs = jobs_.get();
    deps.store = &store_;
    deps.nodes = nodes_.get();
    deps.node_info = [] { return selfInfo(); };
    deps.version.major = "1";
    deps.version.minor = "7";
    deps.version.git_version = gitVersion();
    deps.version.git_commit = "abc123";
    deps.version.goos = "linux";
    deps.version.goarch = "amd64";
    return deps;
  }

  static models::NodeInfo selfInfo() {
    models::NodeInfo info;
    info.node_id = kOrchestratorId;
    info.node_type = models::kNodeTypeRequester;
    info.labels = {{"role", "orchestrator"}};
    return info;
  }

  // A minimal valid batch job submission body.
  static std::string jobBody(const std::string& name, const std::string& labels_json = "{}") {
    return R"({"Job":{"Name":")" + name + R"(","Type":"batch","Count":1,"Labels":)" + labels_json +
           R"(,"Tasks":[{"Name":"main","Engine":{"Type":"docker","Params":{"Image":"busybox"}}}]}})";
  }

  // Submits and returns the job ID; advances the clock so creation order is well defined.
  std::string submit(const std::string& name, const std::string& labels_json = "{}") {
    clock_.advance(std::chrono::seconds(1));
    TestResponse res = client_->put("/api/v1/orchestrator/jobs", jobBody(name, labels_json));
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) return "";
    return std::string(res.json().at("JobID").as_string());
  }

  ManualClock clock_;
  SeededRandom random_{42};
  store::MemoryJobStore store_;
  std::unique_ptr<orchestrator::EvaluationBroker> broker_;
  std::unique_ptr<orchestrator::JobService> jobs_;
  std::unique_ptr<orchestrator::NodeManager> nodes_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<TestHttpClient> client_;
};

}  // namespace cod::api::testing
