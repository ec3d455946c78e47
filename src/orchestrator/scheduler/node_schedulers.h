#pragma once

// The ops and daemon schedulers, reference/bacalhau-api.md §7: one execution per matching node
// (Count is 0), created with DesiredState Running so the node runs it on its own bid, without an
// approval round trip. "Matching" is what the node selector calls suitable or only busy (a busy
// node queues the execution); a drained node is not matching, nor one that declined the bid.
//
// ops, per evaluation:
//  1. stopIfTerminal; 2. failExecutionsOnLostNodes (a lost execution counts as failed);
//  3. enforceTimeouts; cancel executions of older versions.
//  4. Placement: one execution on every matching node that has none of this version and was
//     connected when the version's placement began (its first execution), max_new_executions per
//     evaluation. No node matches → Failed with each node's reason.
//  5. Any failed execution fails the job (no retries). Nothing live any more → Completed if an
//     execution completed, else Failed (every node declined: their reasons). Running once an
//     execution runs.
//
// daemon, per evaluation:
//  1. stopIfTerminal; 2. failExecutionsOnLostNodes; no timeouts (it runs until stopped).
//  3. Pending executions of older versions are cancelled; a running old one is cancelled once its
//     node runs the new version (per node rolling update), max_update_stops per evaluation.
//  4. Every matching node without a live execution of this version gets one — nodes that join or
//     are approved later included (their node-join evaluation). A node whose execution failed gets
//     it again after the retry backoff (decideRetry, per node); one lost with its node gets it
//     again as soon as the node is back.
//  5. Never completes: Running once an execution runs; Queued while no node matches.

#include "orchestrator/scheduler/scheduler.h"

namespace cod::orchestrator {

// What both hold.
class PerNodeScheduler : public Scheduler {
 protected:
  explicit PerNodeScheduler(const SchedulerDeps& deps)
      : selector_(deps.selector), random_(deps.random), config_(deps.config) {}

  const selection::NodeSelector* selector_;
  Random* random_;
  SchedulerConfig config_;
};

class OpsScheduler final : public PerNodeScheduler {
 public:
  explicit OpsScheduler(const SchedulerDeps& deps) : PerNodeScheduler(deps) {}
  Plan process(const SchedulerInput& in) const override;
};

class DaemonScheduler final : public PerNodeScheduler {
 public:
  explicit DaemonScheduler(const SchedulerDeps& deps) : PerNodeScheduler(deps) {}
  Plan process(const SchedulerInput& in) const override;
};

}  // namespace cod::orchestrator
