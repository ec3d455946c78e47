#pragma once

// An in-process cluster for integration tests: one orchestrator and N compute nodes with the noop
// engine, joined by the in-process transport. They share a ManualClock that only the test moves
// (advance()): heartbeats, disconnect detection, reconciliation and every delayed evaluation
// (queue and retry backoffs) happen when the test advances it, never by waiting. Work the threads
// do (bids, runs, the noop engine's Delay, which is real time) is waited for with waitFor.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "compute/compute_node.h"
#include "executor/noop/noop_executor.h"
#include "models/job.h"
#include "orchestrator/orchestrator.h"
#include "publisher/noop/noop_publisher.h"
#include "store/memory/memory_execution_store.h"
#include "store/memory/memory_job_store.h"
#include "transport/inproc/inproc_transport.h"

namespace cod::testing {

// Polls `condition` until it holds or `timeout` (real time) passes. Returns whether it held.
inline bool waitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10),
                    std::chrono::microseconds poll = std::chrono::milliseconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);
  }
  return condition();
}

struct ComputeHandle {
  std::unique_ptr<transport::ComputeTransport> transport;
  store::MemoryExecutionStore store;
  executor::NoopExecutor noop;
  publisher::NoopPublisher noop_publisher;
  std::unique_ptr<compute::ComputeNode> node;
};

class InprocCluster {
 public:
  explicit InprocCluster(int computes, orchestrator::OrchestratorConfig config = defaultConfig())
      : dir_(std::filesystem::temp_directory_path() /
             ("cod-cluster-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++))) {
    orchestrator_transport_ = hub_.orchestratorTransport();
    orchestrator_ = std::make_unique<orchestrator::Orchestrator>(
        orchestrator::Orchestrator::Deps{&store_, orchestrator_transport_.get(), &clock_,
                                         &SystemRandom::instance()},
        config);
    models::NodeInfo self;
    self.node_id = "n-orchestrator";
    self.node_type = models::kNodeTypeRequester;
    EXPECT_TRUE(orchestrator_->start(self).isOk());
    for (int i = 0; i < computes; ++i) addCompute("n-compute-" + std::to_string(i));
  }

  ~InprocCluster() {
    for (auto& c : computes_) {
      if (c) c->node->stop();
    }
    orchestrator_->stop();
    hub_.shutdown();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static orchestrator::OrchestratorConfig defaultConfig() {
    orchestrator::OrchestratorConfig c;
    c.nodes.disconnect_timeout = std::chrono::seconds(1);
    c.scheduler.queue_backoff = std::chrono::milliseconds(200);
    return c;
  }

  ComputeHandle& addCompute(const std::string& id) {
    auto c = std::make_unique<ComputeHandle>();
    c->transport = hub_.computeTransport();
    compute::ComputeConfig config;
    config.node_id = id;
    config.data_dir = (dir_ / id).string();
    config.heartbeat_interval = kHeartbeatInterval;
    config.reconcile_interval = std::chrono::milliseconds(500);
    config.capacity.cpu = 4;
    config.capacity.memory = 8'000'000'000;
    config.capacity.disk = 10'000'000'000;
    compute::Plugins plugins{{&c->noop}, {}, {&c->noop_publisher}};
    c->node = std::make_unique<compute::ComputeNode>(
        compute::ComputeDeps{c->transport.get(), &c->store, plugins, &clock_, nullptr}, config);
    EXPECT_TRUE(c->node->start().isOk());
    EXPECT_TRUE(c->node->waitUntilRegistered(std::chrono::seconds(5)));
    computes_.push_back(std::move(c));
    return *computes_.back();
  }

  // Simulates a crash: the node stops answering and its state is gone.
  void killCompute(size_t index) {
    computes_[index]->node->stop();
    computes_[index].reset();
  }

  // While a node is partitioned, messages to and from it are dropped (advance() does not wait
  // for its heartbeats).
  void setPartitioned(const std::string& node_id, bool partitioned) {
    hub_.setPartitioned(node_id, partitioned);
    if (partitioned) {
      partitioned_.insert(node_id);
    } else {
      partitioned_.erase(node_id);
    }
  }

  // Moves the cluster's clock forward by `d` the way time passes in a live cluster: one heartbeat
  // interval at a time, and after each step every live compute node's heartbeat is in (the
  // orchestrator has heard from it within the interval) and the orchestrator's timers have run.
  // Killed and partitioned nodes fall silent, so advancing past the disconnect timeout loses
  // exactly them.
  void advance(Duration d) {
    while (d > Duration::zero()) {
      Duration step = std::min<Duration>(d, kHeartbeatInterval);
      d -= step;
      clock_.advance(step);
      Time now = clock_.now();
      for (auto& c : computes_) {
        if (!c || partitioned_.count(c->node->nodeId())) continue;
        c->node->clockAdvanced();
        const std::string& id = c->node->nodeId();
        ASSERT_TRUE(waitFor([&] { return now - lastHeartbeat(id) < kHeartbeatInterval; },
                            std::chrono::seconds(10), std::chrono::microseconds(200)))
            << id << " sent no heartbeat at " << formatRfc3339(now);
      }
      orchestrator_->tick();
    }
  }

  static constexpr Duration kHeartbeatInterval = std::chrono::milliseconds(100);

  ManualClock& clock() { return clock_; }
  orchestrator::Orchestrator& orchestrator() { return *orchestrator_; }
  store::MemoryJobStore& store() { return store_; }
  transport::InprocHub& hub() { return hub_; }
  ComputeHandle& compute(size_t i) { return *computes_[i]; }

  models::JobStateType jobState(const std::string& id) {
    auto job = store_.getJob(id);
    return job.isOk() ? job->state.state_type : models::JobStateType::kUndefined;
  }

  bool waitForJobState(const std::string& id, models::JobStateType state,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return waitFor([&] { return jobState(id) == state; }, timeout);
  }

  // When the orchestrator last heard from the node (Time{} when it does not know it).
  Time lastHeartbeat(const std::string& node_id) {
    for (const auto& n : orchestrator_->nodes().list()) {
      if (n.info.node_id == node_id) return n.connection_state.last_heartbeat;
    }
    return Time{};
  }

  std::vector<models::Execution> executions(const std::string& job_id) {
    store::ExecutionQuery q;
    q.job_id = job_id;
    q.all_versions = true;
    auto r = store_.getExecutions(q);
    return r.isOk() ? *r : std::vector<models::Execution>{};
  }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }

  std::filesystem::path dir_;
  ManualClock clock_;  // before everything that reads it
  transport::InprocHub hub_;
  store::MemoryJobStore store_;
  std::unique_ptr<transport::OrchestratorTransport> orchestrator_transport_;
  std::unique_ptr<orchestrator::Orchestrator> orchestrator_;
  std::vector<std::unique_ptr<ComputeHandle>> computes_;
  std::set<std::string> partitioned_;
};

// A noop batch job; params are noop engine params (Delay, ExitCode, Stdout, Error, Retryable).
inline models::Job noopJob(int64_t count, boost::json::object params = {}) {
  models::Job j;
  j.type = models::kJobTypeBatch;
  j.count = count;
  models::Task t;
  t.name = "main";
  t.engine.type = "noop";
  t.engine.params = std::move(params);
  j.tasks.push_back(std::move(t));
  return j;
}

}  // namespace cod::testing
