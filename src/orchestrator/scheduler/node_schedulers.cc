#include "orchestrator/scheduler/node_schedulers.h"

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

// The nodes that could run the job now or once they are less busy, best first, and the selection
// (for its reasons). The rankers see the live executions of this version and the bids nodes
// declined, so a node is ruled out while it runs the job or once it refused it (asking again
// would get the same answer, in a loop); what failed where is decideRetry's business.
struct Matching {
  std::vector<const models::NodeState*> nodes;
  selection::Selection selection;
};

Matching matchingNodes(PlanBuilder& b, const selection::NodeSelector* selector, Random* random,
                       const selection::NodeRefs& schedulable, models::Resources* resources) {
  const models::Job& job = b.job();
  std::vector<Execution> live;
  for (const auto& e : b.executions()) {
    if (e.job_version == job.version &&
        (isLive(e) || e.compute_state.state_type == ExecutionStateType::kAskForBidRejected)) {
      live.push_back(e);
    }
  }
  *resources = models::parseResources(job.task().resources).valueOr({});
  selection::RankRequest req{&job, *resources, &live, random};
  Matching out;
  out.selection = selector->select(req, schedulable);
  std::map<std::string, const models::NodeState*> by_id;
  for (const auto* n : schedulable) by_id[n->info.node_id] = n;
  for (const auto& r : out.selection.suitable) out.nodes.push_back(r.node);
  // A busy node queues the execution; a draining one takes no new work (its running ones stay).
  for (const auto& r : out.selection.rejected) {
    const models::NodeState* n = by_id.at(r.node_id);
    if (r.transient && !n->isDraining()) out.nodes.push_back(n);
  }
  return out;
}

void cancelOldVersionsNow(PlanBuilder& b) {
  for (auto& e : b.executions()) {
    if (isLive(e) && e.job_version != b.job().version) b.cancel(e, "job has been updated");
  }
}

// When the version was first placed: its first execution's creation (now when it has none).
// Ops runs on the nodes connected then; one that connects later gets nothing.
Time placementStart(const PlanBuilder& b) {
  Time start = b.now();
  for (const auto& e : b.in().executions) {
    if (e.job_version == b.job().version) start = std::min(start, fromUnixNanos(e.create_time));
  }
  return start;
}

}  // namespace

Plan OpsScheduler::process(const SchedulerInput& in) const {
  PlanBuilder b(in, random_);
  const models::Job& job = in.job;
  if (stopIfTerminal(b)) return b.finish();
  selection::NodeRefs schedulable = failExecutionsOnLostNodes(b);
  if (enforceTimeouts(b)) return b.finish();
  cancelOldVersionsNow(b);
  auto& execs = b.executions();

  // 5a. Any failure fails the job: an ops job is one action on every node, and does not retry.
  for (const auto& e : execs) {
    if (e.job_version == job.version && e.compute_state.state_type == ExecutionStateType::kFailed) {
      b.failJob("Job failed because the execution on " + shortId(e.node_id) +
                " failed: " + e.compute_state.message);
      return b.finish();
    }
  }

  // 4. Placement, over as many evaluations as max_new_executions needs, on the nodes that were
  // there when it began.
  {
    models::Resources resources;
    Matching m = matchingNodes(b, selector_, random_, schedulable, &resources);
    Time start = placementStart(b);
    std::set<std::string> has;
    for (const auto& e : execs) {
      if (e.job_version == job.version) has.insert(e.node_id);
    }
    size_t created = 0;
    bool more = false;
    for (const models::NodeState* n : m.nodes) {
      if (has.contains(n->info.node_id) || n->connection_state.connected_since > start) continue;
      if (created == config_.max_new_executions) {
        more = true;
        break;
      }
      b.create(*n, 0, resources, /*run_directly=*/true);
      ++created;
    }
    if (more) b.followUp(models::kEvalTriggerExecLimit, config_.exec_limit_delay);
    if (has.empty() && created == 0) {
      std::string reason =
          "no node matches the job. available: " + std::to_string(schedulable.size()) +
          ", suitable: 0.";
      if (!m.selection.rejected.empty()) reason += "\n" + m.selection.reasons();
      b.failJob(reason);
      return b.finish();
    }
    if (created > 0) {
      if (b.jobState() == JobStateType::kPending || b.jobState() == JobStateType::kQueued) {
        b.setJobState(JobStateType::kRunning, "");
      }
      return b.finish();
    }
  }

  // 5b. Completion.
  bool any_live = false;
  bool any_completed = false;
  std::vector<std::string> declined;
  for (const auto& e : execs) {
    if (e.job_version != job.version) continue;
    if (isLive(e)) any_live = true;
    if (e.compute_state.state_type == ExecutionStateType::kCompleted) any_completed = true;
    if (e.compute_state.state_type == ExecutionStateType::kAskForBidRejected) {
      declined.push_back("• " + shortId(e.node_id) + ": " + e.compute_state.message);
    }
  }
  if (!any_live) {
    if (any_completed) {
      b.setJobState(JobStateType::kCompleted, "");
    } else {
      std::string reason = "no node ran the job";
      for (const auto& d : declined) reason += "\n" + d;
      b.failJob(reason);
    }
  } else if (b.jobState() == JobStateType::kPending || b.jobState() == JobStateType::kQueued) {
    b.setJobState(JobStateType::kRunning, "");
  }
  return b.finish();
}

Plan DaemonScheduler::process(const SchedulerInput& in) const {
  PlanBuilder b(in, random_);
  const models::Job& job = in.job;
  if (stopIfTerminal(b)) return b.finish();
  auto policy = retryPolicyFor(job, config_.retry[static_cast<size_t>(models::JobType::kDaemon)]);
  if (!policy.isOk()) {
    b.failJob(policy.status().message());
    return b.finish();
  }
  selection::NodeRefs schedulable = failExecutionsOnLostNodes(b);
  auto& execs = b.executions();

  // 3. Older versions: pending ones now, running ones once their node runs the new version.
  std::set<std::string> runs_current;
  for (const auto& e : execs) {
    if (isLive(e) && e.job_version == job.version && desiredRunning(e)) {
      runs_current.insert(e.node_id);
    }
  }
  size_t stops = config_.max_update_stops;
  for (auto& e : execs) {
    if (!isLive(e) || e.job_version == job.version) continue;
    if (!desiredRunning(e)) {
      b.discard(e, "job has been updated");
    } else if (runs_current.contains(e.node_id) && stops > 0) {
      b.cancel(e, "job has been updated");
      --stops;
    }
  }

  // Approve what a node accepted if it still waits for approval (a daemon execution stored
  // before run-directly, or an old orchestrator's).
  for (auto& e : execs) {
    if (e.job_version == job.version &&
        e.compute_state.state_type == ExecutionStateType::kAskForBidAccepted &&
        !desiredRunning(e)) {
      b.approve(e);
    }
  }

  // 4. Every matching node without a live execution of this version.
  models::Resources resources;
  Matching m = matchingNodes(b, selector_, random_, schedulable, &resources);
  std::map<std::string, std::vector<Execution*>> by_node;
  for (auto& e : execs) {
    if (e.job_version == job.version) by_node[e.node_id].push_back(&e);
  }
  size_t created = 0;
  bool more = false;
  for (const models::NodeState* n : m.nodes) {
    auto& mine = by_node[n->info.node_id];
    if (std::any_of(mine.begin(), mine.end(), [](const Execution* e) { return isLive(*e); })) {
      continue;
    }
    if (created == config_.max_new_executions) {
      more = true;
      break;
    }
    RetryVerdict v = decideRetry(b, *policy, mine, "node " + shortId(n->info.node_id),
                                 /*others_available=*/false);
    if (v == RetryVerdict::kFailed) return b.finish();
    if (v == RetryVerdict::kLater) continue;
    b.create(*n, 0, resources, /*run_directly=*/true);
    ++created;
  }
  if (more) b.followUp(models::kEvalTriggerExecLimit, config_.exec_limit_delay);

  // 5. State.
  bool running =
      b.approvedAny() || std::any_of(execs.begin(), execs.end(), [&](const Execution& e) {
        return isLive(e) && e.job_version == job.version && desiredRunning(e);
      });
  if (running) {
    if (b.jobState() == JobStateType::kPending || b.jobState() == JobStateType::kQueued) {
      b.setJobState(JobStateType::kRunning, "");
    }
  } else if (b.jobState() == JobStateType::kPending) {
    std::string reason =
        "no node matches the job yet; it starts on every node that matches as "
        "nodes join. available: " +
        std::to_string(schedulable.size()) + ".";
    if (!m.selection.rejected.empty()) reason += "\n" + m.selection.reasons();
    b.setJobState(JobStateType::kQueued, reason);
    b.jobEvent(models::kTopicQueueing, "Job queued. " + reason);
  }
  return b.finish();
}

}  // namespace cod::orchestrator
