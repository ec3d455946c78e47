#pragma once

// Node selection is a chain of small rankers (reference/bacalhau-api.md §8.3), one per file. Each
// looks at one aspect of a candidate node and either scores it or rules it out with a reason a
// user can read in "not enough nodes" errors.

#include <string>
#include <vector>

#include "common/clock.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/node.h"
#include "models/resources.h"

namespace cod::orchestrator::selection {

// What is being placed.
struct RankRequest {
  const models::Job* job = nullptr;
  models::Resources resources;  // the task's parsed resources
  // Every execution of the job, all versions: PreviousExecutionsRanker reads them.
  const std::vector<models::Execution>* executions = nullptr;
  Random* random = nullptr;
};

struct RankResult {
  int score = 0;
  bool suitable = true;
  // Why the node is unsuitable: "does not support engine flibble (supports: noop, docker)".
  std::string reason;
  // The node cannot take the job now but could later (it is busy): the job waits instead of
  // failing.
  bool transient = false;

  static RankResult ok(int score) { return {score, true, "", false}; }
  static RankResult unsuitable(std::string reason, bool transient = false) {
    return {0, false, std::move(reason), transient};
  }
};

class NodeRanker {
 public:
  virtual ~NodeRanker() = default;
  virtual const char* name() const = 0;
  virtual RankResult rank(const RankRequest& req, const models::NodeState& node) const = 0;
};

}  // namespace cod::orchestrator::selection
