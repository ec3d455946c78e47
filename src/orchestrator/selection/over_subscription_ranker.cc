#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult OverSubscriptionRanker::rank(const RankRequest& req,
                                        const models::NodeState& node) const {
  const auto& info = node.info.compute_node_info;
  if (info.max_capacity.isZero()) return RankResult::unsuitable("node reports no capacity");
  models::Resources used = info.max_capacity - info.available_capacity;
  used += info.queue_capacity;
  used += req.resources;
  std::string why = used.exceedsReason(info.max_capacity.scaled(factor_));
  if (!why.empty()) {
    return RankResult::unsuitable("node is busy (running and queued work exceeds " +
                                      std::to_string(static_cast<int>(factor_ * 100)) +
                                      "% of its capacity: " + why + ")",
                                  /*transient=*/true);
  }
  return RankResult::ok(0);
}

}  // namespace cod::orchestrator::selection
