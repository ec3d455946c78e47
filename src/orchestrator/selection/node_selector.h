#pragma once

// Runs every ranker over every candidate node and sorts the suitable ones, best first.

#include <memory>
#include <string>
#include <vector>

#include "orchestrator/selection/node_ranker.h"

namespace cod::orchestrator::selection {

// Points into the nodes given to select(), which must outlive the Selection: with 10,000 nodes a
// copy of each suitable one was most of the cost of a scheduling pass.
struct RankedNode {
  const models::NodeState* node = nullptr;
  int score = 0;
};

// The nodes a pass chooses among, not copied.
using NodeRefs = std::vector<const models::NodeState*>;

struct RejectedNode {
  std::string node_id;
  std::string reason;
  bool transient = false;
};

struct Selection {
  std::vector<RankedNode> suitable;  // best first
  std::vector<RejectedNode> rejected;

  // Nodes that are only busy: the job could run on them later.
  size_t transientCount() const;
  // "• n-1a2b3c4d: does not support engine …" lines, one per rejected node.
  std::string reasons() const;
};

class NodeSelector {
 public:
  // The default chain: drain, engine, publisher, storage, labels, max-usage, over-subscription,
  // previous-executions, input-locality, available-capacity, random.
  NodeSelector();
  explicit NodeSelector(std::vector<std::unique_ptr<NodeRanker>> rankers);

  // The Selection points into `nodes`: keep them for as long as it is used.
  Selection select(const RankRequest& req, const NodeRefs& nodes) const;
  Selection select(const RankRequest& req, const std::vector<models::NodeState>& nodes) const;
  Selection select(const RankRequest& req, std::vector<models::NodeState>&& nodes) const = delete;

 private:
  std::vector<std::unique_ptr<NodeRanker>> rankers_;
};

}  // namespace cod::orchestrator::selection
