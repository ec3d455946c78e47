#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult MaxUsageRanker::rank(const RankRequest& req, const models::NodeState& node) const {
  if (req.resources.isZero()) return RankResult::ok(0);
  const auto& info = node.info.compute_node_info;
  // Nodes that report no per-job limit take anything that fits their capacity.
  const models::Resources& limit =
      info.max_job_requirements.isZero() ? info.max_capacity : info.max_job_requirements;
  std::string why = req.resources.exceedsReason(limit);
  if (!why.empty()) return RankResult::unsuitable("job needs more than the node offers: " + why);
  return RankResult::ok(10);
}

}  // namespace cod::orchestrator::selection
