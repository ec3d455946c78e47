#include <algorithm>

#include "models/locality.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult InputLocalityRanker::rank(const RankRequest& req, const models::NodeState& node) const {
  std::vector<std::string> wanted = models::inputLocators(req.job->task());
  const auto& held = node.info.compute_node_info.input_cache.inputs;
  if (wanted.empty() || held.empty()) return RankResult::ok(0);
  size_t found = 0;
  for (const std::string& locator : wanted) {
    if (std::find(held.begin(), held.end(), locator) != held.end()) ++found;
  }
  return RankResult::ok(static_cast<int>(kMaxScore * found / wanted.size()));
}

}  // namespace cod::orchestrator::selection
