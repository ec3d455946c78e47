#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult PreviousExecutionsRanker::rank(const RankRequest& req,
                                          const models::NodeState& node) const {
  int runs = 0;
  bool live = false;
  bool rejected_bid = false;
  for (const auto& e : *req.executions) {
    if (e.node_id != node.info.node_id || e.job_version != req.job->version) continue;
    ++runs;
    if (!e.isDiscarded()) live = true;
    if (e.compute_state.state_type == models::ExecutionStateType::kAskForBidRejected) {
      rejected_bid = true;
    }
  }
  if (runs == 0) return RankResult::ok(30);
  if (live) return RankResult::unsuitable("already runs or ran this job");
  if (rejected_bid) return RankResult::unsuitable("rejected this job's bid request");
  if (runs > 1) return RankResult::unsuitable("this job already failed twice on this node");
  return RankResult::ok(0);
}

}  // namespace cod::orchestrator::selection
