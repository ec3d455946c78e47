#include "orchestrator/scheduler/plan_builder.h"

#include <algorithm>
#include <map>

#include "common/ids.h"
#include "common/units.h"
#include "models/execution_errors.h"
#include "orchestrator/events.h"

namespace cod::orchestrator {

using models::Execution;
using models::ExecutionDesiredStateType;
using models::ExecutionStateType;
using models::JobStateType;

namespace {
using models::kErrorNodeLost;

// "1.2s", "8.4s", "2m 10s": a backoff as a person reads it.
std::string formatDelay(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms < 10'000) {
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + "s";
  }
  return formatDuration(std::chrono::seconds((ms + 500) / 1000));
}
// A service or daemon execution that ran this long was healthy: failures before it stop counting.
constexpr Duration kHealthyRun = std::chrono::minutes(10);
}  // namespace

PlanBuilder::PlanBuilder(const SchedulerInput& in, Random* random) : in_(in), random_(random) {
  plan_.eval = in.eval;
  plan_.job = in.job;
  execs_ = in.executions;
  std::stable_sort(execs_.begin(), execs_.end(), [](const Execution& a, const Execution& b) {
    return a.create_time != b.create_time ? a.create_time < b.create_time : a.id < b.id;
  });
}

JobStateType PlanBuilder::jobState() const {
  return plan_.new_job_state ? plan_.new_job_state->state_type : in_.job.state.state_type;
}

void PlanBuilder::setJobState(JobStateType state, const std::string& message) {
  if (jobState() == state) return;
  models::JobState s;
  s.state_type = state;
  s.message = message;
  plan_.new_job_state = s;
  plan_.events.push_back(events::jobStateChanged(in_.job, now(), state, message));
}

void PlanBuilder::jobEvent(const std::string& topic, const std::string& message,
                           models::StringMap details) {
  plan_.events.push_back(events::jobEvent(in_.job, now(), topic, message, std::move(details)));
}

void PlanBuilder::executionEvent(const Execution& e, const std::string& topic,
                                 const std::string& message, models::StringMap details) {
  plan_.events.push_back(events::executionEvent(e, now(), topic, message, std::move(details)));
}

void PlanBuilder::cancel(Execution& e, const std::string& reason) {
  if (e.isTerminal()) return;
  touch(e);
  e.compute_state = {ExecutionStateType::kCancelled, reason, {}};
  e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
  executionEvent(e, models::kTopicScheduling, "Execution stop requested because " + reason);
  plan_.messages.emplace_back(e.node_id, transport::CancelExecution{e.id, e.job_id, reason});
}

void PlanBuilder::rejectBid(Execution& e, const std::string& reason) {
  touch(e);
  e.compute_state = {ExecutionStateType::kBidRejected, reason, {}};
  e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
  plan_.messages.emplace_back(e.node_id, transport::BidRejected{e.id, e.job_id, reason});
}

void PlanBuilder::discard(Execution& e, const std::string& reason) {
  if (!isLive(e)) return;
  if (e.compute_state.state_type == ExecutionStateType::kAskForBidAccepted) {
    rejectBid(e, reason);
  } else {
    cancel(e, reason);
  }
}

void PlanBuilder::fail(Execution& e, const std::string& reason, bool retryable,
                       models::StringMap details) {
  if (e.isTerminal()) return;
  touch(e);
  e.compute_state = {ExecutionStateType::kFailed, reason, details};
  e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
  e.retryable = retryable;
  if (retryable) details[models::kDetailRetryable] = "true";
  executionEvent(e, models::kTopicScheduling, reason, std::move(details));
}

void PlanBuilder::approve(Execution& e) {
  touch(e);
  e.compute_state = {ExecutionStateType::kBidAccepted, "", {}};
  e.desired_state = {ExecutionDesiredStateType::kRunning, "", {}};
  plan_.messages.emplace_back(e.node_id, transport::BidAccepted{e.id, e.job_id});
  approved_any_ = true;
}

void PlanBuilder::create(const models::NodeState& node, int64_t partition,
                         const models::Resources& res, bool run_directly) {
  if (!job_snapshot_) job_snapshot_ = std::make_shared<const models::Job>(in_.job);
  Execution e;
  e.id = newExecutionId(*random_);
  e.ns = in_.job.ns;
  e.job_id = in_.job.id;
  e.eval_id = in_.eval.id;
  e.node_id = node.info.node_id;
  e.job_version = in_.job.version;
  e.allocated_resources.tasks[in_.job.task().name] = res;
  e.desired_state = {
      run_directly ? ExecutionDesiredStateType::kRunning : ExecutionDesiredStateType::kPending,
      "",
      {}};
  e.compute_state = {ExecutionStateType::kNew, "", {}};
  e.partition_index = partition;
  e.create_time = e.modify_time = toUnixNanos(now());
  executionEvent(e, models::kTopicScheduling, "Requested execution on " + shortId(e.node_id),
                 {{models::kDetailNodeId, e.node_id}});
  if (run_directly) approved_any_ = true;
  Execution with_job = e;
  with_job.job = job_snapshot_;
  plan_.messages.emplace_back(e.node_id, transport::AskForBid{std::move(with_job), run_directly});
  plan_.new_executions.push_back(std::move(e));
}

std::string PlanBuilder::followUp(const std::string& trigger, Duration delay) {
  models::Evaluation ev;
  ev.id = newEvaluationId(now(), *random_);
  ev.ns = in_.job.ns;
  ev.job_id = in_.job.id;
  ev.triggered_by = trigger;
  ev.priority = in_.job.priority;
  ev.type = in_.job.type;
  ev.status = models::kEvalStatusPending;
  ev.wait_until = now() + delay;
  ev.create_time = ev.modify_time = toUnixNanos(now());
  std::string id = ev.id;
  plan_.new_evaluations.push_back(std::move(ev));
  return id;
}

void PlanBuilder::failJob(const std::string& reason, const std::string& topic) {
  if (jobTerminal()) return;
  setJobState(JobStateType::kFailed, reason);
  if (topic != models::kTopicScheduling) {
    jobEvent(topic, reason, {{models::kDetailIsError, "true"}});
  }
  for (auto& e : execs_) {
    if (!e.isTerminal()) cancel(e, "job failed");
  }
}

Plan PlanBuilder::finish() {
  for (auto& e : execs_) {
    if (changed_.count(e.id)) {
      e.modify_time = toUnixNanos(now());
      plan_.updated_executions.push_back(e);
    }
  }
  return std::move(plan_);
}

// ---- shared steps ----

bool stopIfTerminal(PlanBuilder& b) {
  if (!b.jobTerminal()) return false;
  const models::Job& job = b.job();
  std::string reason = job.state.state_type == JobStateType::kStopped
                           ? "job has been stopped"
                           : "job is " + models::jobStateName(job.state.state_type);
  for (auto& e : b.executions()) b.cancel(e, reason);
  return true;
}

selection::NodeRefs failExecutionsOnLostNodes(PlanBuilder& b) {
  // Only the nodes of live executions are looked up: with 10,000 nodes, a map of them all per
  // pass cost more than the pass.
  std::map<std::string, const models::NodeState*> nodes_by_id;
  for (const auto& e : b.executions()) {
    if (isLive(e)) nodes_by_id.emplace(e.node_id, nullptr);
  }
  selection::NodeRefs schedulable;
  for (const auto& n : b.in().allNodes()) {
    if (!nodes_by_id.empty()) {
      if (auto it = nodes_by_id.find(n.info.node_id); it != nodes_by_id.end()) it->second = &n;
    }
    if (n.info.node_type == models::kNodeTypeCompute && n.isConnected() &&
        n.membership == models::kMembershipApproved) {
      schedulable.push_back(&n);
    }
  }
  for (auto& e : b.executions()) {
    if (!isLive(e)) continue;
    auto it = nodes_by_id.find(e.node_id);
    const char* why = nullptr;
    if (it == nodes_by_id.end() || it->second == nullptr || !it->second->isConnected()) {
      why = "node has disappeared";
    } else if (it->second->membership == models::kMembershipRejected) {
      why = "node has been rejected";
    }
    if (why) {
      b.fail(e, why, /*retryable=*/true,
             {{models::kDetailNodeId, e.node_id}, {models::kDetailErrorCode, kErrorNodeLost}});
    }
  }
  return schedulable;
}

bool enforceTimeouts(PlanBuilder& b) {
  const models::Job& job = b.job();
  if (job.isLongRunning()) return false;
  const auto& timeouts = job.task().timeouts;
  if (timeouts.total_timeout > 0 &&
      b.now() - fromUnixNanos(job.create_time) > std::chrono::seconds(timeouts.total_timeout)) {
    b.failJob("Job timed out. Job took longer than " +
                  formatDuration(std::chrono::seconds(timeouts.total_timeout)),
              models::kTopicJobTimeout);
    return true;
  }
  int64_t exec_timeout =
      timeouts.execution_timeout > 0 ? timeouts.execution_timeout : timeouts.total_timeout;
  if (exec_timeout <= 0) return false;
  for (auto& e : b.executions()) {
    if (!models::isExecuting(e.compute_state.state_type)) continue;
    // The compute node enforces the exact timeout and reports it; this is the backstop for a
    // node that stopped reporting, so it allows some slack.
    auto limit = std::chrono::seconds(exec_timeout) + std::chrono::seconds(10);
    if (b.now() - fromUnixNanos(e.modify_time) > limit) {
      std::string msg = "Execution timed out. Execution took longer than " +
                        formatDuration(std::chrono::seconds(exec_timeout));
      b.fail(e, msg, /*retryable=*/false,
             events::errorDetails("Increase the task timeout or allocate more resources", true,
                                  false));
      b.failJob(msg);
      return true;
    }
  }
  return false;
}

RetryVerdict decideRetry(PlanBuilder& b, const RetryPolicy& policy,
                         const std::vector<Execution*>& slot, const std::string& where,
                         bool others_available) {
  std::vector<Execution*> ordered = slot;
  std::sort(ordered.begin(), ordered.end(), [](const Execution* x, const Execution* y) {
    return x->create_time != y->create_time ? x->create_time < y->create_time : x->id < y->id;
  });
  // Failures that count: not those lost with their node (the job did nothing wrong), and for a
  // service or daemon only those since its last run of kHealthyRun or more, so that a replica
  // that crashes once a week does not wait the longest backoff forever.
  Execution* last = nullptr;
  int64_t failures = 0;
  for (Execution* e : ordered) {
    if (b.job().isLongRunning() && e->isTerminal() &&
        fromUnixNanos(e->modify_time) - fromUnixNanos(e->create_time) >= kHealthyRun) {
      failures = 0;
    }
    if (e->compute_state.state_type != ExecutionStateType::kFailed) continue;
    if (!models::lostWithNode(*e)) ++failures;
    if (!last || e->modify_time > last->modify_time ||
        (e->modify_time == last->modify_time && e->create_time > last->create_time)) {
      last = e;
    }
  }
  // Nothing failed (bids declined, executions cancelled): try again at once.
  if (!last) return RetryVerdict::kNow;
  if (!last->retryable) {
    b.failJob("Job failed because an execution failed: " + last->compute_state.message);
    return RetryVerdict::kFailed;
  }
  const bool lost = models::lostWithNode(*last);
  if (!lost && policy.limit && failures > *policy.limit) {
    std::string tries = *policy.limit == 0 ? ""
                                           : " after " + std::to_string(*policy.limit) +
                                                 (*policy.limit == 1 ? " retry" : " retries");
    b.failJob("Job failed because an execution failed" + tries + " (" + where +
              "): " + last->compute_state.message);
    return RetryVerdict::kFailed;
  }
  Duration delay = lost ? Duration::zero() : retryDelay(policy, failures, last->id);
  Time due = fromUnixNanos(last->modify_time) + delay;
  bool first_look = last->followup_eval_id.empty();
  if (first_look) {
    std::string which = lost ? ""
                             : " " + std::to_string(failures) +
                                   (policy.limit ? " of " + std::to_string(*policy.limit) : "");
    std::string when = delay > Duration::zero() ? " in " + formatDelay(delay) : " now";
    std::string on = others_available ? " on another node" : "";
    std::string id = b.now() < due ? b.followUp(models::kEvalTriggerExecFailure, due - b.now())
                                   : std::string("now");
    last->followup_eval_id = id;
    b.touch(*last);
    b.executionEvent(*last, models::kTopicScheduling,
                     "Retry" + which + when + on + " (" + where +
                         " failed: " + last->compute_state.message + ")",
                     {{models::kDetailNodeId, last->node_id}});
    return b.now() < due ? RetryVerdict::kLater : RetryVerdict::kNow;
  }
  if (b.now() < due) {
    // Evaluations are not stored: after a restart this one brings the retry back on time.
    b.followUp(models::kEvalTriggerExecFailure, due - b.now());
    return RetryVerdict::kLater;
  }
  return RetryVerdict::kNow;
}

}  // namespace cod::orchestrator
