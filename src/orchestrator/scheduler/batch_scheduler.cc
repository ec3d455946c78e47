#include "orchestrator/scheduler/batch_scheduler.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "common/ids.h"
#include "common/units.h"
#include "orchestrator/events.h"

namespace cod::orchestrator {

using models::Execution;
using models::ExecutionDesiredStateType;
using models::ExecutionStateType;
using models::JobStateType;

namespace {

// Builds one Plan over a working copy of the executions, remembering which ones changed.
class PlanBuilder {
 public:
  PlanBuilder(const SchedulerInput& in, Random* random) : in_(in), random_(random) {
    plan_.eval = in.eval;
    plan_.job = in.job;
    execs_ = in.executions;
    std::stable_sort(execs_.begin(), execs_.end(), [](const Execution& a, const Execution& b) {
      return a.create_time != b.create_time ? a.create_time < b.create_time : a.id < b.id;
    });
  }

  const SchedulerInput& in() const { return in_; }
  std::vector<Execution>& executions() { return execs_; }
  Time now() const { return in_.now; }
  JobStateType jobState() const {
    return plan_.new_job_state ? plan_.new_job_state->state_type : in_.job.state.state_type;
  }
  bool jobTerminal() const { return models::isTerminal(jobState()); }

  void setJobState(JobStateType state, const std::string& message) {
    if (jobState() == state) return;
    models::JobState s;
    s.state_type = state;
    s.message = message;
    plan_.new_job_state = s;
    plan_.events.push_back(events::jobStateChanged(in_.job, now(), state, message));
  }

  void jobEvent(const std::string& topic, const std::string& message,
                models::StringMap details = {}) {
    plan_.events.push_back(events::jobEvent(in_.job, now(), topic, message, std::move(details)));
  }

  // Stops a live execution: Cancelled on our side, and the node is told.
  void cancel(Execution& e, const std::string& reason) {
    if (e.isTerminal()) return;
    touch(e);
    e.compute_state = {ExecutionStateType::kCancelled, reason, {}};
    e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
    plan_.events.push_back(events::executionEvent(e, now(), models::kTopicScheduling,
                                                  "Execution stop requested because " + reason));
    plan_.messages.emplace_back(e.node_id, transport::CancelExecution{e.id, e.job_id, reason});
  }

  // An accepted bid that is not needed.
  void rejectBid(Execution& e, const std::string& reason) {
    touch(e);
    e.compute_state = {ExecutionStateType::kBidRejected, reason, {}};
    e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
    plan_.messages.emplace_back(e.node_id, transport::BidRejected{e.id, e.job_id, reason});
  }

  // Fails an execution without telling its node (it is gone, or the job is failing).
  void fail(Execution& e, const std::string& reason, models::StringMap details = {}) {
    if (e.isTerminal()) return;
    touch(e);
    e.compute_state = {ExecutionStateType::kFailed, reason, details};
    e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
    plan_.events.push_back(
        events::executionEvent(e, now(), models::kTopicScheduling, reason, std::move(details)));
  }

  void approve(Execution& e) {
    touch(e);
    e.compute_state = {ExecutionStateType::kBidAccepted, "", {}};
    e.desired_state = {ExecutionDesiredStateType::kRunning, "", {}};
    plan_.messages.emplace_back(e.node_id, transport::BidAccepted{e.id, e.job_id});
    approved_any_ = true;
  }

  void create(const models::NodeState& node, int64_t partition, const models::Resources& res) {
    if (!job_snapshot_) job_snapshot_ = std::make_shared<const models::Job>(in_.job);
    Execution e;
    e.id = newExecutionId(*random_);
    e.ns = in_.job.ns;
    e.job_id = in_.job.id;
    e.eval_id = in_.eval.id;
    e.node_id = node.info.node_id;
    e.job_version = in_.job.version;
    e.allocated_resources.tasks[in_.job.task().name] = res;
    e.desired_state = {ExecutionDesiredStateType::kPending, "", {}};
    e.compute_state = {ExecutionStateType::kNew, "", {}};
    e.partition_index = partition;
    e.create_time = e.modify_time = toUnixNanos(now());
    plan_.events.push_back(events::executionEvent(e, now(), models::kTopicScheduling,
                                                  "Requested execution on " + shortId(e.node_id),
                                                  {{models::kDetailNodeId, e.node_id}}));
    Execution with_job = e;
    with_job.job = job_snapshot_;
    plan_.messages.emplace_back(e.node_id, transport::AskForBid{std::move(with_job), false});
    plan_.new_executions.push_back(std::move(e));
  }

  void followUp(const std::string& trigger, Duration delay) {
    models::Evaluation ev;
    ev.id = newEvaluationId(*random_);
    ev.ns = in_.job.ns;
    ev.job_id = in_.job.id;
    ev.triggered_by = trigger;
    ev.priority = in_.job.priority;
    ev.type = in_.job.type;
    ev.status = models::kEvalStatusPending;
    ev.wait_until = now() + delay;
    ev.create_time = ev.modify_time = toUnixNanos(now());
    plan_.new_evaluations.push_back(std::move(ev));
  }

  // Fails the job and everything still live with it.
  void failJob(const std::string& reason, const std::string& topic = models::kTopicScheduling) {
    if (jobTerminal()) return;
    setJobState(JobStateType::kFailed, reason);
    if (topic != models::kTopicScheduling)
      jobEvent(topic, reason, {{models::kDetailIsError, "true"}});
    for (auto& e : execs_) {
      if (!e.isTerminal()) cancel(e, "job failed");
    }
  }

  bool approvedAny() const { return approved_any_; }

  Plan finish() {
    for (auto& e : execs_) {
      if (changed_.count(e.id)) {
        e.modify_time = toUnixNanos(now());
        plan_.updated_executions.push_back(e);
      }
    }
    return std::move(plan_);
  }

 private:
  void touch(const Execution& e) { changed_.insert(e.id); }

  const SchedulerInput& in_;
  Random* random_;
  Plan plan_;
  std::vector<Execution> execs_;
  std::set<std::string> changed_;
  std::shared_ptr<const models::Job> job_snapshot_;
  bool approved_any_ = false;
};

bool isLive(const Execution& e) { return !e.isTerminal(); }

}  // namespace

BatchScheduler::BatchScheduler(const selection::NodeSelector* selector, Random* random,
                               SchedulerConfig config)
    : selector_(selector), random_(random), config_(config) {}

Plan BatchScheduler::process(const SchedulerInput& in) const {
  PlanBuilder b(in, random_);
  const models::Job& job = in.job;
  auto& execs = b.executions();

  // 1. A terminal job: stop whatever still runs.
  if (b.jobTerminal()) {
    std::string reason = job.state.state_type == JobStateType::kStopped
                             ? "job has been stopped"
                             : "job is " + models::jobStateName(job.state.state_type);
    for (auto& e : execs) b.cancel(e, reason);
    return b.finish();
  }

  // 1b. A job stored before this orchestrator's Count limit (or under a higher one) cannot be
  // planned within bounded memory: it fails with the reason instead of taking the process down.
  if (job.count > config_.max_count) {
    b.failJob("Job.Count " + std::to_string(job.count) + " exceeds this orchestrator's limit of " +
              std::to_string(config_.max_count) +
              " (--max-job-count); submit it again with a lower Count");
    return b.finish();
  }

  // 2. Executions on nodes that are gone.
  std::map<std::string, const models::NodeState*> nodes_by_id;
  std::vector<models::NodeState> schedulable;
  for (const auto& n : in.nodes) {
    nodes_by_id[n.info.node_id] = &n;
    if (n.info.node_type == models::kNodeTypeCompute && n.isConnected() &&
        n.membership == models::kMembershipApproved) {
      schedulable.push_back(n);
    }
  }
  for (auto& e : execs) {
    if (!isLive(e)) continue;
    auto it = nodes_by_id.find(e.node_id);
    if (it == nodes_by_id.end() || !it->second->isConnected()) {
      b.fail(e, "node has disappeared",
             {{models::kDetailNodeId, e.node_id}, {models::kDetailRetryable, "true"}});
    } else if (it->second->membership == models::kMembershipRejected) {
      b.fail(e, "node has been rejected",
             {{models::kDetailNodeId, e.node_id}, {models::kDetailRetryable, "true"}});
    }
  }

  // 3. Timeouts (not for jobs that run until stopped).
  const auto& timeouts = job.task().timeouts;
  if (!job.isLongRunning()) {
    if (timeouts.total_timeout > 0 &&
        b.now() - fromUnixNanos(job.create_time) > std::chrono::seconds(timeouts.total_timeout)) {
      b.failJob("Job timed out. Job took longer than " +
                    formatDuration(std::chrono::seconds(timeouts.total_timeout)),
                models::kTopicJobTimeout);
      return b.finish();
    }
    int64_t exec_timeout =
        timeouts.execution_timeout > 0 ? timeouts.execution_timeout : timeouts.total_timeout;
    if (exec_timeout > 0) {
      for (auto& e : execs) {
        if (!models::isExecuting(e.compute_state.state_type)) continue;
        // The compute node enforces the exact timeout and reports it; this is the backstop for a
        // node that stopped reporting, so it allows some slack.
        auto limit = std::chrono::seconds(exec_timeout) + std::chrono::seconds(10);
        if (b.now() - fromUnixNanos(e.modify_time) > limit) {
          std::string msg = "Execution timed out. Execution took longer than " +
                            formatDuration(std::chrono::seconds(exec_timeout));
          b.fail(e, msg,
                 events::errorDetails("Increase the task timeout or allocate more resources", true,
                                      false));
          b.failJob(msg);
          return b.finish();
        }
      }
    }
  }

  // 4. Executions of older versions.
  for (auto& e : execs) {
    if (isLive(e) && e.job_version != job.version) b.cancel(e, "job has been updated");
  }

  // 5. Partitions. Only partitions that have executions are looked at one by one: the work and
  // the memory of an evaluation grow with the executions the job has, never with its Count.
  std::map<int64_t, std::vector<Execution*>> partitions;
  for (auto& e : execs) {
    if (e.job_version != job.version) continue;
    if (e.partition_index < 0 || e.partition_index >= job.count) {
      b.cancel(e, "there are more executions than needed");
      continue;
    }
    partitions[e.partition_index].push_back(&e);
  }
  int64_t completed = 0;
  std::set<int64_t> retry;  // partitions whose executions all ended without completing
  const Execution* fatal = nullptr;
  for (auto& [p, es] : partitions) {
    auto done = std::find_if(es.begin(), es.end(), [](const Execution* e) {
      return e->compute_state.state_type == ExecutionStateType::kCompleted;
    });
    if (done != es.end() && job.type != models::kJobTypeService) {
      ++completed;
      for (Execution* e : es) {
        if (!isLive(*e)) continue;
        if (e->compute_state.state_type == ExecutionStateType::kAskForBidAccepted) {
          b.rejectBid(*e, "there are more executions than needed");
        } else {
          b.cancel(*e, "there are more executions than needed");
        }
      }
      continue;
    }
    std::vector<Execution*> live;
    for (Execution* e : es) {
      if (isLive(*e)) live.push_back(e);
    }
    auto running = std::find_if(live.begin(), live.end(), [](const Execution* e) {
      return e->desired_state.state_type == ExecutionDesiredStateType::kRunning;
    });
    if (running != live.end()) {
      for (Execution* e : live) {
        if (e == *running) continue;
        if (e->compute_state.state_type == ExecutionStateType::kAskForBidAccepted) {
          b.rejectBid(*e, "there are more executions than needed");
        } else {
          b.cancel(*e, "there are more executions than needed");
        }
      }
      continue;
    }
    auto accepted = std::find_if(live.begin(), live.end(), [](const Execution* e) {
      return e->compute_state.state_type == ExecutionStateType::kAskForBidAccepted;
    });
    if (accepted != live.end()) {
      b.approve(**accepted);
      for (Execution* e : live) {
        if (e == *accepted) continue;
        if (e->compute_state.state_type == ExecutionStateType::kAskForBidAccepted) {
          b.rejectBid(*e, "another node's bid was accepted");
        }
      }
      continue;
    }
    if (!live.empty()) continue;  // waiting for bids
    for (const Execution* e : es) {
      if (e->compute_state.state_type == ExecutionStateType::kFailed) {
        auto it = e->compute_state.details.find(models::kDetailRetryable);
        bool retryable = it != e->compute_state.details.end() && it->second == "true";
        if (!retryable && (!fatal || e->modify_time > fatal->modify_time)) fatal = e;
      }
    }
    retry.insert(p);
  }
  // Partitions without an execution, and those to retry, need a new one.
  const int64_t needed_total =
      job.count - static_cast<int64_t>(partitions.size()) + static_cast<int64_t>(retry.size());
  std::vector<int64_t> needed;  // the first max_new_executions of them, in partition order
  for (int64_t p = 0; p < job.count && needed.size() < config_.max_new_executions; ++p) {
    if (!partitions.contains(p) || retry.contains(p)) needed.push_back(p);
  }

  if (fatal) {
    b.failJob("Job failed because an execution failed: " + fatal->compute_state.message);
    return b.finish();
  }

  // 6–7. New executions.
  if (needed_total > 0) {
    auto resources = models::parseResources(job.task().resources);
    selection::RankRequest req{&job, resources.valueOr({}), &execs, random_};
    selection::Selection sel = selector_->select(req, schedulable);
    if (static_cast<int64_t>(sel.suitable.size()) < needed_total) {
      std::string reason =
          "not enough nodes to run job. requested: " + std::to_string(needed_total) +
          ", available: " + std::to_string(schedulable.size()) +
          ", suitable: " + std::to_string(sel.suitable.size()) + ".";
      if (!sel.rejected.empty()) reason += "\n" + sel.reasons();
      const Execution* last_failure = nullptr;
      for (const auto& e : execs) {
        if (e.compute_state.state_type == ExecutionStateType::kFailed &&
            (!last_failure || e.modify_time > last_failure->modify_time)) {
          last_failure = &e;
        }
      }
      bool only_busy =
          static_cast<int64_t>(sel.suitable.size() + sel.transientCount()) >= needed_total;
      bool may_wait =
          timeouts.queue_timeout > 0 &&
          b.now() - fromUnixNanos(job.create_time) < std::chrono::seconds(timeouts.queue_timeout);
      if (only_busy || may_wait) {
        bool nothing_live = std::none_of(execs.begin(), execs.end(), [&](const Execution& e) {
          return isLive(e) && e.job_version == job.version;
        });
        if (b.jobState() == JobStateType::kPending ||
            (b.jobState() == JobStateType::kRunning && nothing_live)) {
          b.setJobState(JobStateType::kQueued, reason);
          b.jobEvent(models::kTopicQueueing, "Job queued. " + reason);
        }
        b.followUp(models::kEvalTriggerJobQueue, config_.queue_backoff);
      } else if (last_failure) {
        // Retries ran out: what failed matters more than where it could not be retried.
        b.failJob(last_failure->compute_state.message + "\n(no node left to retry on: " + reason +
                  ")");
      } else {
        b.failJob(reason);
      }
      return b.finish();
    }
    for (size_t i = 0; i < needed.size(); ++i) {
      b.create(sel.suitable[i].node, needed[i], req.resources);
    }
    if (static_cast<int64_t>(needed.size()) < needed_total) {
      b.followUp(models::kEvalTriggerExecLimit, config_.exec_limit_delay);
    }
  }

  // 8. Completion and progress.
  if (job.type == models::kJobTypeBatch && completed >= job.count) {
    b.setJobState(JobStateType::kCompleted, "");
  } else if (b.jobState() == JobStateType::kPending || b.jobState() == JobStateType::kQueued) {
    bool running =
        b.approvedAny() || std::any_of(execs.begin(), execs.end(), [&](const Execution& e) {
          return isLive(e) && e.job_version == job.version &&
                 e.desired_state.state_type == ExecutionDesiredStateType::kRunning;
        });
    if (running) b.setJobState(JobStateType::kRunning, "");
  }
  return b.finish();
}

}  // namespace cod::orchestrator
