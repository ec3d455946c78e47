#include "orchestrator/scheduler/batch_scheduler.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/ids.h"
#include "orchestrator/scheduler/plan_builder.h"

namespace cod::orchestrator {

using models::Execution;
using models::ExecutionDesiredStateType;
using models::ExecutionStateType;
using models::JobStateType;

namespace {

constexpr Duration kServiceMemory = std::chrono::minutes(10);

bool currentVersion(const PlanBuilder& b, const Execution& e) {
  return e.job_version == b.job().version;
}

// 4. Older versions.
void replaceOldVersions(PlanBuilder& b, const SchedulerConfig& config, bool rolling) {
  auto& execs = b.executions();
  size_t new_running = 0;
  size_t old_running = 0;
  for (const auto& e : execs) {
    if (!isLive(e)) continue;
    if (!currentVersion(b, e)) {
      old_running += desiredRunning(e) ? 1 : 0;
    } else if (desiredRunning(e) ||
               e.compute_state.state_type == ExecutionStateType::kAskForBidAccepted) {
      ++new_running;  // an accepted bid is approved further down in this evaluation
    }
  }
  // A rolling update keeps Count replicas running: an old one stops once a new one runs.
  size_t budget = config.max_update_stops;
  if (rolling) {
    auto count = static_cast<size_t>(std::max<int64_t>(b.job().count, 0));
    size_t surplus = new_running + old_running > count ? new_running + old_running - count : 0;
    budget = std::min(budget, surplus);
  }
  size_t waiting = 0;
  for (auto& e : execs) {
    if (!isLive(e) || currentVersion(b, e)) continue;
    if (!desiredRunning(e)) {
      b.discard(e, "job has been updated");
    } else if (budget > 0) {
      b.cancel(e, "job has been updated");
      --budget;
    } else {
      ++waiting;
    }
  }
  // Without a rolling wait, the rest stop on the next round; a service's next round comes with
  // the next replica that starts.
  if (waiting > 0 && !rolling) b.followUp(models::kEvalTriggerExecLimit, config.exec_limit_delay);
}

struct PartitionReview {
  int64_t completed = 0;
  int64_t with_executions = 0;
  std::set<int64_t> retry_now;  // partitions whose executions all ended and may run again now
  bool failed = false;          // decideRetry failed the job
};

// 5. Partitions with executions of the current version.
PartitionReview reconcilePartitions(PlanBuilder& b, const RetryPolicy& policy, bool service,
                                    const selection::NodeRefs& schedulable) {
  const models::Job& job = b.job();
  PartitionReview out;
  std::map<int64_t, std::vector<Execution*>> partitions;
  for (auto& e : b.executions()) {
    if (!currentVersion(b, e)) continue;
    if (e.partition_index < 0 || e.partition_index >= job.count) {
      b.discard(e, "there are more executions than needed");
      continue;
    }
    partitions[e.partition_index].push_back(&e);
  }
  out.with_executions = static_cast<int64_t>(partitions.size());
  for (auto& [p, es] : partitions) {
    bool done = !service && std::any_of(es.begin(), es.end(), [](const Execution* e) {
      return e->compute_state.state_type == ExecutionStateType::kCompleted;
    });
    if (done) {
      ++out.completed;
      for (Execution* e : es) b.discard(*e, "there are more executions than needed");
      continue;
    }
    std::vector<Execution*> live;
    for (Execution* e : es) {
      if (isLive(*e)) live.push_back(e);
    }
    auto running = std::find_if(live.begin(), live.end(),
                                [](const Execution* e) { return desiredRunning(*e); });
    if (running != live.end()) {
      for (Execution* e : live) {
        if (e != *running) b.discard(*e, "there are more executions than needed");
      }
      continue;
    }
    auto accepted = std::find_if(live.begin(), live.end(), [](const Execution* e) {
      return e->compute_state.state_type == ExecutionStateType::kAskForBidAccepted;
    });
    if (accepted != live.end()) {
      b.approve(**accepted);
      for (Execution* e : live) {
        if (e != *accepted &&
            e->compute_state.state_type == ExecutionStateType::kAskForBidAccepted) {
          b.rejectBid(*e, "another node's bid was accepted");
        }
      }
      continue;
    }
    if (!live.empty()) continue;  // waiting for bids
    // Another node can take the retry when one has not run this partition.
    std::set<std::string> tried;
    for (const Execution* e : es) tried.insert(e->node_id);
    bool others = std::any_of(schedulable.begin(), schedulable.end(),
                              [&](const auto* n) { return !tried.contains(n->info.node_id); });
    std::string where = (service ? "replica " : "partition ") + std::to_string(p);
    RetryVerdict v = decideRetry(b, policy, es, where, others);
    if (v == RetryVerdict::kFailed) {
      out.failed = true;
      return out;
    }
    if (v == RetryVerdict::kNow) out.retry_now.insert(p);
  }
  return out;
}

// 6. New executions for partitions without one and those due for a retry.
void placeExecutions(PlanBuilder& b, const SchedulerConfig& config,
                     const selection::NodeSelector* selector, Random* random,
                     const PartitionReview& review, const selection::NodeRefs& schedulable,
                     const std::set<int64_t>& partitions_with_executions) {
  const models::Job& job = b.job();
  auto& execs = b.executions();
  const int64_t needed_total =
      job.count - review.with_executions + static_cast<int64_t>(review.retry_now.size());
  if (needed_total <= 0) return;
  std::vector<int64_t> needed;  // the first max_new_executions of them, in partition order
  for (int64_t p = 0; p < job.count && needed.size() < config.max_new_executions; ++p) {
    if (!partitions_with_executions.contains(p) || review.retry_now.contains(p)) {
      needed.push_back(p);
    }
  }
  const auto& timeouts = job.task().timeouts;
  auto resources = models::parseResources(job.task().resources);
  // What the rankers see of the past. A service's replicas are replaced forever, so it forgets
  // failures older than kServiceMemory instead of ruling out, one by one, every node that ever
  // failed twice.
  std::vector<Execution> considered;
  const std::vector<Execution>* history = &execs;
  if (job.isLongRunning()) {
    for (const auto& e : execs) {
      if (isLive(e) || b.now() - fromUnixNanos(e.modify_time) < kServiceMemory) {
        considered.push_back(e);
      }
    }
    history = &considered;
  }
  selection::RankRequest req{&job, resources.valueOr({}), history, random};
  selection::Selection sel = selector->select(req, schedulable);
  if (static_cast<int64_t>(sel.suitable.size()) < needed_total) {
    std::string reason = "not enough nodes to run job. requested: " + std::to_string(needed_total) +
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
    bool may_wait = job.isLongRunning() || (timeouts.queue_timeout > 0 &&
                                            b.now() - fromUnixNanos(job.create_time) <
                                                std::chrono::seconds(timeouts.queue_timeout));
    if (only_busy || may_wait) {
      bool nothing_live = std::none_of(execs.begin(), execs.end(), [&](const Execution& e) {
        return isLive(e) && currentVersion(b, e);
      });
      if (b.jobState() == JobStateType::kPending ||
          (b.jobState() == JobStateType::kRunning && nothing_live)) {
        b.setJobState(JobStateType::kQueued, reason);
        b.jobEvent(models::kTopicQueueing, "Job queued. " + reason);
      }
      b.followUp(models::kEvalTriggerJobQueue, config.queue_backoff);
    } else if (last_failure) {
      // Retries ran out: what failed matters more than where it could not be retried.
      b.failJob(last_failure->compute_state.message + "\n(no node left to retry on: " + reason +
                ")");
    } else {
      b.failJob(reason);
    }
    return;
  }
  for (size_t i = 0; i < needed.size(); ++i) {
    b.create(*sel.suitable[i].node, needed[i], req.resources, /*run_directly=*/false);
  }
  if (static_cast<int64_t>(needed.size()) < needed_total) {
    b.followUp(models::kEvalTriggerExecLimit, config.exec_limit_delay);
  }
}

// 7. Completion and progress.
void updateJobState(PlanBuilder& b, bool service, int64_t completed) {
  if (b.jobTerminal()) return;
  auto& execs = b.executions();
  if (!service && completed >= b.job().count) {
    b.setJobState(JobStateType::kCompleted, "");
    return;
  }
  if (b.jobState() == JobStateType::kPending || b.jobState() == JobStateType::kQueued) {
    bool running =
        b.approvedAny() || std::any_of(execs.begin(), execs.end(), [&](const Execution& e) {
          return isLive(e) && currentVersion(b, e) && desiredRunning(e);
        });
    if (running) b.setJobState(JobStateType::kRunning, "");
  }
}

}  // namespace

PartitionScheduler::PartitionScheduler(const SchedulerDeps& deps, models::JobType type)
    : selector_(deps.selector), random_(deps.random), config_(deps.config), type_(type) {}

Plan PartitionScheduler::process(const SchedulerInput& in) const {
  PlanBuilder b(in, random_);
  const models::Job& job = in.job;
  const bool service = type_ == models::JobType::kService;

  if (stopIfTerminal(b)) return b.finish();
  // A job stored before this orchestrator's Count limit (or under a higher one) cannot be
  // planned within bounded memory: it fails with the reason instead of taking the process down.
  if (job.count > config_.max_count) {
    b.failJob("Job.Count " + std::to_string(job.count) + " exceeds this orchestrator's limit of " +
              std::to_string(config_.max_count) +
              " (--max-job-count); submit it again with a lower Count");
    return b.finish();
  }
  auto policy = retryPolicyFor(job, config_.retry[static_cast<size_t>(type_)]);
  if (!policy.isOk()) {
    b.failJob(policy.status().message());
    return b.finish();
  }
  selection::NodeRefs schedulable = failExecutionsOnLostNodes(b);
  if (enforceTimeouts(b)) return b.finish();
  replaceOldVersions(b, config_, /*rolling=*/service);

  std::set<int64_t> with_executions;
  for (const auto& e : b.executions()) {
    if (currentVersion(b, e) && e.partition_index >= 0 && e.partition_index < job.count) {
      with_executions.insert(e.partition_index);
    }
  }
  PartitionReview review = reconcilePartitions(b, *policy, service, schedulable);
  if (review.failed) return b.finish();
  placeExecutions(b, config_, selector_, random_, review, schedulable, with_executions);
  updateJobState(b, service, review.completed);
  return b.finish();
}

}  // namespace cod::orchestrator
