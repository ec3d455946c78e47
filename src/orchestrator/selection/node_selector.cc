#include "orchestrator/selection/node_selector.h"

#include <algorithm>

#include "common/ids.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

size_t Selection::transientCount() const {
  return static_cast<size_t>(std::count_if(rejected.begin(), rejected.end(),
                                           [](const RejectedNode& r) { return r.transient; }));
}

std::string Selection::reasons() const {
  std::string out;
  for (const auto& r : rejected) {
    if (!out.empty()) out += "\n";
    out += "• " + shortId(r.node_id) + ": " + r.reason;
  }
  return out;
}

NodeSelector::NodeSelector() {
  rankers_.push_back(std::make_unique<DrainRanker>());
  rankers_.push_back(std::make_unique<EngineRanker>());
  rankers_.push_back(std::make_unique<PublisherRanker>());
  rankers_.push_back(std::make_unique<StorageRanker>());
  rankers_.push_back(std::make_unique<LabelsRanker>());
  rankers_.push_back(std::make_unique<MaxUsageRanker>());
  rankers_.push_back(std::make_unique<OverSubscriptionRanker>());
  rankers_.push_back(std::make_unique<PreviousExecutionsRanker>());
  rankers_.push_back(std::make_unique<InputLocalityRanker>());
  rankers_.push_back(std::make_unique<AvailableCapacityRanker>());
  rankers_.push_back(std::make_unique<RandomRanker>());
}

NodeSelector::NodeSelector(std::vector<std::unique_ptr<NodeRanker>> rankers)
    : rankers_(std::move(rankers)) {}

Selection NodeSelector::select(const RankRequest& req,
                               const std::vector<models::NodeState>& nodes) const {
  NodeRefs refs;
  refs.reserve(nodes.size());
  for (const auto& n : nodes) refs.push_back(&n);
  return select(req, refs);
}

Selection NodeSelector::select(const RankRequest& req, const NodeRefs& nodes) const {
  Selection out;
  for (const models::NodeState* candidate : nodes) {
    const models::NodeState& node = *candidate;
    int score = 0;
    bool suitable = true;
    // A permanent reason wins over a transient one: a node that lacks the engine is not "busy".
    RejectedNode rejection{node.info.node_id, "", true};
    for (const auto& ranker : rankers_) {
      RankResult r = ranker->rank(req, node);
      if (!r.suitable) {
        if (suitable || (rejection.transient && !r.transient)) {
          rejection.reason = r.reason;
          rejection.transient = r.transient;
        }
        suitable = false;
        if (!r.transient) break;
        continue;
      }
      score += r.score;
    }
    if (suitable) {
      out.suitable.push_back({&node, score});
    } else {
      out.rejected.push_back(std::move(rejection));
    }
  }
  std::stable_sort(out.suitable.begin(), out.suitable.end(),
                   [](const RankedNode& a, const RankedNode& b) { return a.score > b.score; });
  return out;
}

}  // namespace cod::orchestrator::selection
