#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

RankResult RandomRanker::rank(const RankRequest& req, const models::NodeState&) const {
  return RankResult::ok(static_cast<int>(req.random->uniform(6)));
}

}  // namespace cod::orchestrator::selection
