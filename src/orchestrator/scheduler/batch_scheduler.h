#pragma once

// The batch (and service) scheduler, reference/bacalhau-api.md §8.2. Pure: given an evaluation and
// a snapshot of the job, its executions and the nodes, it returns a Plan and touches nothing.
//
// Per evaluation:
//  1. A terminal job: cancel whatever still runs. A job whose Count is over max_count fails.
//  2. Executions on nodes that are gone fail ("node has disappeared"); they are retried elsewhere.
//  3. Timeouts: the job's TotalTimeout fails the job; an execution running longer than its
//     ExecutionTimeout fails the job (retrying would time out again).
//  4. Executions of older job versions are cancelled.
//  5. Per partition that has executions: a completed partition is done (surplus executions are
//  rejected
//     or cancelled); a running one keeps its oldest execution; otherwise the first accepted bid is
//     approved and the other accepted bids rejected; a partition with nothing live, and every
//     partition (0..Count-1) without executions, needs a new execution. An execution that failed
//     with a non-retryable error fails the job at once.
//  6. New executions need one distinct suitable node per partition (all or nothing). Not enough
//     nodes: if some are only busy, or QueueTimeout has not passed, the job is Queued and
//     re-checked after queue_backoff; else it fails with "not enough nodes to run job…" and the
//     reason for each node.
//  7. At most max_new_executions are created per evaluation; the rest follow after 100 ms.
//  8. Batch: all partitions completed → Completed. A job with an approved execution → Running.

#include <vector>

#include "common/clock.h"
#include "models/evaluation.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/job_validation.h"
#include "models/node.h"
#include "orchestrator/scheduler/plan.h"
#include "orchestrator/selection/node_selector.h"

namespace cod::orchestrator {

struct SchedulerConfig {
  Duration queue_backoff = std::chrono::seconds(5);
  // Bounds the executions one evaluation creates, and so its memory, whatever the job's Count.
  size_t max_new_executions = 20;
  // A job asking for more partitions fails (models::JobLimits::max_count at submit).
  int64_t max_count = models::kDefaultMaxJobCount;
  Duration exec_limit_delay = std::chrono::milliseconds(100);
};

struct SchedulerInput {
  models::Evaluation eval;
  models::Job job;
  std::vector<models::Execution> executions;  // every version
  std::vector<models::NodeState> nodes;       // every known node
  Time now{};
};

class BatchScheduler {
 public:
  BatchScheduler(const selection::NodeSelector* selector, Random* random, SchedulerConfig config);

  Plan process(const SchedulerInput& in) const;

 private:
  const selection::NodeSelector* selector_;
  Random* random_;
  SchedulerConfig config_;
};

}  // namespace cod::orchestrator
