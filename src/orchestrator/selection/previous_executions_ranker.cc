#include "orchestrator/selection/rankers.h"

#include <string>

#include "models/execution_errors.h"

namespace cod::orchestrator::selection {

RankResult PreviousExecutionsRanker::rank(const RankRequest& req,
                                          const models::NodeState& node) const {
  int runs = 0;
  int lost = 0;
  bool live = false;
  const models::Execution* rejected_bid = nullptr;
  for (const auto& e : *req.executions) {
    if (e.node_id != node.info.node_id || e.job_version != req.job->version) continue;
    if (models::lostWithNode(e)) {
      ++lost;
      continue;
    }
    ++runs;
    if (!e.isDiscarded()) live = true;
    if (e.compute_state.state_type == models::ExecutionStateType::kAskForBidRejected) {
      rejected_bid = &e;
    }
  }
  if (runs == 0 && lost == 0) return RankResult::ok(30);
  if (live) return RankResult::unsuitable("already runs or ran this job");
  if (rejected_bid) {
    // The node's own reason is what the user can act on ("start it with --allow-host-network").
    const std::string& why = rejected_bid->compute_state.message;
    return RankResult::unsuitable(why.empty() ? "rejected this job's bid request"
                                              : "rejected this job's bid request: " + why);
  }
  if (runs > 1) return RankResult::unsuitable("this job already failed twice on this node");
  if (lost > kMaxLostRuns) {
    return RankResult::unsuitable("this node went away or restarted while it held this job " +
                                  std::to_string(lost) + " times");
  }
  return RankResult::ok(0);
}

}  // namespace cod::orchestrator::selection
