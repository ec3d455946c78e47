#pragma once

// The rankers, in the order the selector applies them. Scores follow Bacalhau so that placements
// read the same; each class lives in its own .cc file.

#include "orchestrator/selection/node_ranker.h"

namespace cod::orchestrator::selection {

// cod's own, first in the chain: a node an operator drained (`cod node drain`) takes no new
// executions. Transient, so a job whose only nodes are draining waits for them instead of
// failing; the executions a node already has are not the selector's business.
class DrainRanker final : public NodeRanker {
 public:
  const char* name() const override { return "drain"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// +10 when the node has the job's engine; unsuitable otherwise.
class EngineRanker final : public NodeRanker {
 public:
  const char* name() const override { return "engine"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// +10 when the node has the job's publisher (when one is set); unsuitable otherwise.
class PublisherRanker final : public NodeRanker {
 public:
  const char* name() const override { return "publisher"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// +10 when the node supports every input source type; unsuitable otherwise.
class StorageRanker final : public NodeRanker {
 public:
  const char* name() const override { return "storage"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// Hard constraints must match the node's labels (+10); `favour_<key>` constraints are soft (+10
// when they match, nothing when not).
class LabelsRanker final : public NodeRanker {
 public:
  const char* name() const override { return "labels"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// The job's resources must fit the node's largest job (+10); unsuitable otherwise.
class MaxUsageRanker final : public NodeRanker {
 public:
  const char* name() const override { return "max-usage"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// Allocated + queued + this job must stay within 1.5× the node's capacity; a node past that is
// busy (transient), one without capacity is unsuitable.
class OverSubscriptionRanker final : public NodeRanker {
 public:
  explicit OverSubscriptionRanker(double factor = 1.5) : factor_(factor) {}
  const char* name() const override { return "over-subscription"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;

 private:
  double factor_;
};

// A node never used by this job +30; used before with every execution discarded 0; otherwise
// unsuitable: it already runs this job, the job failed there twice, or it lost the job more than
// kMaxLostRuns times. A run lost with the node (it restarted or went away: models::lostWithNode)
// says nothing against the job there, but a job that takes its node down each time must end.
class PreviousExecutionsRanker final : public NodeRanker {
 public:
  static constexpr int kMaxLostRuns = 3;
  const char* name() const override { return "previous-executions"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// cod's own, beyond Bacalhau: 0–40 for a node whose input cache already holds the job's inputs
// (their locators are in its NodeInfo InputCache.Inputs), in proportion to how many it holds, so
// a repeated job goes where its data is instead of downloading it again. Never rules a node out.
class InputLocalityRanker final : public NodeRanker {
 public:
  static constexpr int kMaxScore = 40;
  const char* name() const override { return "input-locality"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// 0–100: free capacity weighted by what the job asks for, and a short queue.
class AvailableCapacityRanker final : public NodeRanker {
 public:
  const char* name() const override { return "available-capacity"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

// 0–5 at random: breaks ties so equal nodes share the work.
class RandomRanker final : public NodeRanker {
 public:
  const char* name() const override { return "random"; }
  RankResult rank(const RankRequest& req, const models::NodeState& node) const override;
};

}  // namespace cod::orchestrator::selection
