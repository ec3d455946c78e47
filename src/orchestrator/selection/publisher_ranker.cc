#include "common/strings.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult PublisherRanker::rank(const RankRequest& req, const models::NodeState& node) const {
  std::string publisher(trim(req.job->task().publisher.type));
  if (publisher.empty()) return RankResult::ok(0);
  const auto& publishers = node.info.compute_node_info.publishers;
  for (const auto& p : publishers) {
    if (equalsIgnoreCase(p, publisher)) return RankResult::ok(10);
  }
  return RankResult::unsuitable(
      "does not support publisher \"" + publisher +
      "\" (supports: " + (publishers.empty() ? std::string("none") : join(publishers, ", ")) + ")");
}

}  // namespace cod::orchestrator::selection
