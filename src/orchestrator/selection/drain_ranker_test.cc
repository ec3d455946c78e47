#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orchestrator/selection/node_selector.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {
namespace {

using ::testing::HasSubstr;

models::NodeState computeNode(const std::string& id) {
  models::NodeState node;
  node.info.node_id = id;
  node.info.node_type = models::kNodeTypeCompute;
  auto& c = node.info.compute_node_info;
  c.execution_engines = {"noop"};
  c.max_capacity.cpu = 4;
  c.available_capacity.cpu = 4;
  return node;
}

models::Job noopJob() {
  models::Job job;
  job.tasks.resize(1);
  job.task().engine.type = "noop";
  return job;
}

TEST(DrainRankerTest, RulesOutADrainingNodeForNowAndSaysWhy) {
  models::Job job = noopJob();
  RankRequest req;
  req.job = &job;
  DrainRanker ranker;
  models::NodeState node = computeNode("n-1");
  RankResult fine = ranker.rank(req, node);
  EXPECT_TRUE(fine.suitable);
  EXPECT_EQ(fine.score, 0);

  node.drain = {true, "kernel upgrade", Time{}};
  RankResult drained = ranker.rank(req, node);
  EXPECT_FALSE(drained.suitable);
  EXPECT_TRUE(drained.transient) << "a drain is lifted again: the job waits";
  EXPECT_EQ(drained.reason, "node is draining (kernel upgrade)");
  node.drain.message.clear();
  EXPECT_EQ(ranker.rank(req, node).reason, "node is draining");
}

TEST(DrainRankerTest, TheDefaultSelectorSkipsDrainingNodes) {
  models::Job job = noopJob();
  std::vector<models::Execution> executions;
  SeededRandom random(7);
  RankRequest req;
  req.job = &job;
  req.executions = &executions;
  req.random = &random;
  models::NodeState drained = computeNode("n-drained");
  drained.drain = {true, "", Time{}};
  std::vector<models::NodeState> nodes = {computeNode("n-ok"), drained};
  Selection selection = NodeSelector().select(req, nodes);
  ASSERT_EQ(selection.suitable.size(), 1u);
  EXPECT_EQ(selection.suitable[0].node->info.node_id, "n-ok");
  ASSERT_EQ(selection.rejected.size(), 1u);
  EXPECT_EQ(selection.rejected[0].reason, "node is draining");
  EXPECT_EQ(selection.transientCount(), 1u);

  // A permanent reason still wins: a draining node without the engine is reported for that.
  drained.info.compute_node_info.execution_engines = {"docker"};
  nodes = {drained};
  selection = NodeSelector().select(req, nodes);
  ASSERT_EQ(selection.rejected.size(), 1u);
  EXPECT_THAT(selection.rejected[0].reason, HasSubstr("noop"));
  EXPECT_FALSE(selection.rejected[0].transient);
}

}  // namespace
}  // namespace cod::orchestrator::selection
