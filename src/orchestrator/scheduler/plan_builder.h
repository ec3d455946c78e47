#pragma once

// Builds one Plan over a working copy of an evaluation's executions, remembering which ones
// changed, plus the steps every scheduler shares (reference §8.2 steps 1–3 and retries). Used by
// the schedulers in this folder; pure like them.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/node.h"
#include "orchestrator/scheduler/plan.h"
#include "orchestrator/scheduler/retry_policy.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/selection/node_selector.h"

namespace cod::orchestrator {

class PlanBuilder {
 public:
  PlanBuilder(const SchedulerInput& in, Random* random);

  const SchedulerInput& in() const { return in_; }
  const models::Job& job() const { return in_.job; }
  // Sorted by creation time (then ID): the oldest first.
  std::vector<models::Execution>& executions() { return execs_; }
  Time now() const { return in_.now; }
  models::JobStateType jobState() const;
  bool jobTerminal() const { return models::isTerminal(jobState()); }

  void setJobState(models::JobStateType state, const std::string& message);
  void jobEvent(const std::string& topic, const std::string& message,
                models::StringMap details = {});
  void executionEvent(const models::Execution& e, const std::string& topic,
                      const std::string& message, models::StringMap details = {});

  // Stops a live execution: Cancelled on our side, and the node is told.
  void cancel(models::Execution& e, const std::string& reason);
  // An accepted bid that is not needed.
  void rejectBid(models::Execution& e, const std::string& reason);
  // Cancels an execution, or rejects it when it is an accepted bid waiting for approval.
  void discard(models::Execution& e, const std::string& reason);
  // Fails an execution without telling its node (it is gone, or the job is failing).
  void fail(models::Execution& e, const std::string& reason, bool retryable,
            models::StringMap details = {});
  void approve(models::Execution& e);
  // Marks an execution changed (a field the scheduler set itself, e.g. followup_eval_id).
  void touch(const models::Execution& e) { changed_.insert(e.id); }
  // A new execution of the current version. run_directly: the node runs it on its own bid, no
  // approval round trip (ops and daemon; DesiredState starts Running).
  void create(const models::NodeState& node, int64_t partition, const models::Resources& res,
              bool run_directly);
  // A delayed evaluation of the job; returns its ID.
  std::string followUp(const std::string& trigger, Duration delay);
  // Fails the job and everything still live with it.
  void failJob(const std::string& reason, const std::string& topic = models::kTopicScheduling);

  bool approvedAny() const { return approved_any_; }
  Plan finish();

 private:
  const SchedulerInput& in_;
  Random* random_;
  Plan plan_;
  std::vector<models::Execution> execs_;
  std::set<std::string> changed_;
  std::shared_ptr<const models::Job> job_snapshot_;
  bool approved_any_ = false;
};

inline bool isLive(const models::Execution& e) { return !e.isTerminal(); }
inline bool desiredRunning(const models::Execution& e) {
  return e.desired_state.state_type == models::ExecutionDesiredStateType::kRunning;
}

// ---- steps shared by the schedulers ----

// 1. A terminal job: cancel whatever still runs. True when the job is terminal (nothing else to
// do).
bool stopIfTerminal(PlanBuilder& b);

// 2. Executions on nodes that are gone (or rejected) fail, retryable and marked lost. Returns the
// nodes new work may go to: connected, approved compute nodes.
selection::NodeRefs failExecutionsOnLostNodes(PlanBuilder& b);

// 3. Timeouts, for jobs that do not run until stopped: TotalTimeout fails the job; an execution
// running past its ExecutionTimeout (plus slack: the node enforces the exact one) fails it and the
// job. True when the job failed.
bool enforceTimeouts(PlanBuilder& b);

// What to do about a slot (a partition, or a daemon's node) whose executions of the current version
// all ended without success.
enum class RetryVerdict {
  kNow,     // create a new execution now
  kLater,   // backing off: a follow-up evaluation is in the plan
  kFailed,  // the job failed (non-retryable failure, or retries exhausted)
};

// Decides a retry from the slot's executions (current version, any order), under the job's
// policy (retry_policy.h: which failures count, the backoff, the limit). The first time it sees a
// failure it records "Retry 2 of 3 in 8s on another node" in the history (and the follow-up
// evaluation's ID on the failed execution, so the event is written once). `where` names the slot in
// messages ("partition 1", "node n-1a2b3c4d"); `others_available`: whether a node other than the
// failed one could take it.
RetryVerdict decideRetry(PlanBuilder& b, const RetryPolicy& policy,
                         const std::vector<models::Execution*>& slot, const std::string& where,
                         bool others_available);

}  // namespace cod::orchestrator
