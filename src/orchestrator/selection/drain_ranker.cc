#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult DrainRanker::rank(const RankRequest& /*req*/, const models::NodeState& node) const {
  if (!node.isDraining()) return RankResult::ok(0);
  std::string reason = "node is draining";
  if (!node.drain.message.empty()) reason += " (" + node.drain.message + ")";
  return RankResult::unsuitable(std::move(reason), /*transient=*/true);
}

}  // namespace cod::orchestrator::selection
