#include "common/strings.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult StorageRanker::rank(const RankRequest& req, const models::NodeState& node) const {
  const auto& inputs = req.job->task().input_sources;
  if (inputs.empty()) return RankResult::ok(0);
  const auto& sources = node.info.compute_node_info.storage_sources;
  for (const auto& input : inputs) {
    bool found = false;
    for (const auto& s : sources) {
      if (equalsIgnoreCase(s, input.source.type)) {
        found = true;
        break;
      }
    }
    if (!found) {
      return RankResult::unsuitable(
          "does not support input source \"" + input.source.type +
          "\" (supports: " + (sources.empty() ? std::string("none") : join(sources, ", ")) + ")");
    }
  }
  return RankResult::ok(10);
}

}  // namespace cod::orchestrator::selection
