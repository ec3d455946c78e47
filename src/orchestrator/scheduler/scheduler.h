#pragma once

// The scheduler seam (reference/bacalhau-api.md §7, §8.2). A Scheduler is pure: given an
// evaluation and a snapshot of the job, its executions and the nodes, it returns a Plan that the
// planner applies, and touches nothing. One implementation per job type, looked up in a
// SchedulerTable by models::JobType:
//
//   batch    BatchScheduler      Count partitions run to completion
//   service  ServiceScheduler    Count replicas kept running; never completes
//   ops      OpsScheduler        one execution per matching node, once; no retries
//   daemon   DaemonScheduler     one execution per matching node, nodes that join included

#include <array>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "models/evaluation.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/job_validation.h"
#include "models/node.h"
#include "orchestrator/scheduler/plan.h"
#include "orchestrator/scheduler/retry_policy.h"
#include "orchestrator/selection/node_selector.h"

namespace cod::orchestrator {

struct SchedulerConfig {
  Duration queue_backoff = std::chrono::seconds(5);
  // Bounds the executions one evaluation creates, and so its memory, whatever the job's Count or
  // the number of nodes.
  size_t max_new_executions = 20;
  // A job asking for more partitions fails (models::JobLimits::max_count at submit).
  int64_t max_count = models::kDefaultMaxJobCount;
  Duration exec_limit_delay = std::chrono::milliseconds(100);
  // Running executions of an older job version stopped per evaluation (a rolling update); the
  // rest follow after exec_limit_delay. Services stop an old replica only once a new one runs.
  size_t max_update_stops = 4;
  // Retry defaults per job type (indexed by models::JobType), overridable per job in Meta.
  std::array<RetryPolicy, models::kJobTypeCount> retry = defaultRetryPolicies();
};

struct SchedulerInput {
  models::Evaluation eval;
  models::Job job;
  std::vector<models::Execution> executions;  // every version
  std::vector<models::NodeState> nodes;       // every known node
  Time now{};
  // The orchestrator passes its shared snapshot (NodeManager::snapshot) here instead of copying
  // every node into `nodes`; schedulers read allNodes().
  std::shared_ptr<const std::vector<models::NodeState>> node_snapshot;
  const std::vector<models::NodeState>& allNodes() const {
    return node_snapshot ? *node_snapshot : nodes;
  }
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual Plan process(const SchedulerInput& in) const = 0;
};

// What every scheduler is built from.
struct SchedulerDeps {
  const selection::NodeSelector* selector = nullptr;
  Random* random = nullptr;
  SchedulerConfig config;
};

class SchedulerTable {
 public:
  explicit SchedulerTable(const SchedulerDeps& deps);
  const Scheduler& forType(models::JobType type) const;

 private:
  std::array<std::unique_ptr<Scheduler>, models::kJobTypeCount> schedulers_;
};

}  // namespace cod::orchestrator
