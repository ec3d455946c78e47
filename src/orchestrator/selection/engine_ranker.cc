#include "common/strings.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult EngineRanker::rank(const RankRequest& req, const models::NodeState& node) const {
  const std::string& engine = req.job->task().engine.type;
  const auto& engines = node.info.compute_node_info.execution_engines;
  for (const auto& e : engines) {
    if (equalsIgnoreCase(e, engine)) return RankResult::ok(10);
  }
  return RankResult::unsuitable(
      "does not support engine \"" + engine +
      "\" (supports: " + (engines.empty() ? std::string("none") : join(engines, ", ")) + ")");
}

}  // namespace cod::orchestrator::selection
