#pragma once

// The batch and service schedulers, reference/bacalhau-api.md §7 and §8.2. Both keep Count
// partitions (batch) or replicas (service), one live execution each, and share the steps below;
// they differ in what ends a partition and in how a new version replaces the old one.
//
// Per evaluation (each step a function in batch_scheduler.cc):
//  1. stopIfTerminal: a terminal job cancels whatever still runs. A Count over max_count fails.
//  2. failExecutionsOnLostNodes: executions on nodes that are gone fail, retryable at once.
//  3. enforceTimeouts (batch only): TotalTimeout fails the job; an execution running past its
//     ExecutionTimeout fails the job (retrying would time out again).
//  4. replaceOldVersions: pending executions of older versions are cancelled at once; running
//     ones at most max_update_stops per evaluation — a service stops an old replica only once a
//     replica of the new version runs (a rolling update), a batch job right away.
//  5. reconcilePartitions: per partition with executions, a completed one is done (batch: extra
//     executions are rejected or cancelled); a running one keeps its oldest execution; otherwise
//     the first accepted bid is approved and the others rejected; a partition with nothing live
//     goes to decideRetry (backoff, limit, non-retryable failures fail the job).
//  6. placeExecutions: partitions without an execution and those due for a retry need one
//     distinct suitable node each (all or nothing). Not enough nodes: if some are only busy, or
//     QueueTimeout has not passed, the job is Queued and re-checked after queue_backoff; else it
//     fails with "not enough nodes to run job…" and the reason for each node. At most
//     max_new_executions are created per evaluation; the rest follow after exec_limit_delay.
//  7. updateJobState: batch with every partition completed → Completed; a job with an approved
//     execution → Running. A service never completes.

#include "orchestrator/scheduler/scheduler.h"

namespace cod::orchestrator {

class PartitionScheduler : public Scheduler {
 public:
  PartitionScheduler(const SchedulerDeps& deps, models::JobType type);
  Plan process(const SchedulerInput& in) const override;

 private:
  const selection::NodeSelector* selector_;
  Random* random_;
  SchedulerConfig config_;
  models::JobType type_;
};

class BatchScheduler final : public PartitionScheduler {
 public:
  explicit BatchScheduler(const SchedulerDeps& deps)
      : PartitionScheduler(deps, models::JobType::kBatch) {}
};

class ServiceScheduler final : public PartitionScheduler {
 public:
  explicit ServiceScheduler(const SchedulerDeps& deps)
      : PartitionScheduler(deps, models::JobType::kService) {}
};

}  // namespace cod::orchestrator
