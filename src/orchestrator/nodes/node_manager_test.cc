#include "orchestrator/nodes/node_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/memory/memory_job_store.h"

namespace cod::orchestrator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kSelf = "n-orchestrator";

class NodeManagerDrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = makeManager();
    manager_->setListener(
        {[this](const std::string& id) { joined_.push_back(id); },
         [this](const std::string& id, const std::string&) { left_.push_back(id); }});
    join("n-aaaa1111");
    join("n-bbbb2222");
    joined_.clear();
  }

  std::unique_ptr<NodeManager> makeManager() {
    auto manager = std::make_unique<NodeManager>(&store_, &clock_, NodeManagerConfig{});
    models::NodeInfo self;
    self.node_id = kSelf;
    self.node_type = models::kNodeTypeRequester;
    EXPECT_TRUE(manager->start(self).isOk());
    return manager;
  }

  void join(const std::string& id) {
    transport::HandshakeRequest req;
    req.node_info.node_id = id;
    req.node_info.node_type = models::kNodeTypeCompute;
    ASSERT_TRUE(manager_->handshake(req).accepted);
  }

  models::NodeState node(const std::string& id) {
    auto n = manager_->get(id);
    EXPECT_TRUE(n.isOk()) << n.status().toString();
    return n.isOk() ? *n : models::NodeState{};
  }

  store::MemoryJobStore store_;
  ManualClock clock_{fromUnixNanos(1'724'099'000'000'000'000)};
  std::unique_ptr<NodeManager> manager_;
  std::vector<std::string> joined_;
  std::vector<std::string> left_;
};

// Deleting a node withdraws what else it holds (its NATS credentials), also for an ID that was
// admitted but never registered, which the manager itself does not know.
TEST(NodeManagerRemoveTest, OnRemovedIsToldOfKnownAndOtherwiseHeldIds) {
  store::MemoryJobStore store;
  ManualClock clock{fromUnixNanos(1'724'099'000'000'000'000)};
  std::vector<std::string> withdrawn;
  NodeManagerConfig config;
  config.on_removed = [&](const std::string& id) {
    withdrawn.push_back(id);
    return id != "n-nobody";
  };
  NodeManager manager(&store, &clock, config);
  models::NodeInfo self;
  self.node_id = "n-self";
  self.node_type = models::kNodeTypeRequester;
  ASSERT_TRUE(manager.start(self).isOk());
  transport::HandshakeRequest req;
  req.node_info.node_id = "n-known";
  req.node_info.node_type = models::kNodeTypeCompute;
  ASSERT_TRUE(manager.handshake(req).accepted);

  EXPECT_TRUE(manager.remove("n-known").isOk());
  EXPECT_TRUE(manager.remove("n-admitted-only").isOk());
  EXPECT_EQ(manager.remove("n-nobody").code(), StatusCode::kNotFound);
  EXPECT_EQ(withdrawn, (std::vector<std::string>{"n-known", "n-admitted-only", "n-nobody"}));
}

TEST_F(NodeManagerDrainTest, ADrainedNodeStaysConnectedAndApprovedButIsMarked) {
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(manager_->drain("n-aaaa", "kernel upgrade").isOk());
  models::NodeState drained = node("n-aaaa1111");
  EXPECT_TRUE(drained.isDraining());
  EXPECT_EQ(drained.drain.message, "kernel upgrade");
  EXPECT_EQ(drained.drain.since, clock_.now());
  EXPECT_TRUE(drained.isConnected());
  EXPECT_EQ(drained.membership, models::kMembershipApproved);
  EXPECT_FALSE(node("n-bbbb2222").isDraining());
  EXPECT_TRUE(left_.empty()) << "draining must not reschedule the node's work";
  // Still a candidate: the DrainRanker rules it out and says why.
  EXPECT_EQ(manager_->schedulableNodes().size(), 2u);

  Status again = manager_->drain("n-aaaa1111", "");
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.errorCode(), "ConflictNodeState");
  EXPECT_THAT(again.message(), HasSubstr("already draining"));
}

TEST_F(NodeManagerDrainTest, UndrainClearsTheMarkAndOffersTheNodeWorkAgain) {
  ASSERT_TRUE(manager_->drain("n-aaaa1111", "x").isOk());
  ASSERT_TRUE(manager_->undrain("n-aaaa1111").isOk());
  EXPECT_FALSE(node("n-aaaa1111").isDraining());
  EXPECT_EQ(node("n-aaaa1111").drain, models::DrainState{});
  EXPECT_THAT(joined_, ElementsAre("n-aaaa1111"));

  Status again = manager_->undrain("n-aaaa1111");
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.errorCode(), "ConflictNodeState");
  EXPECT_THAT(again.message(), HasSubstr("is not draining"));
}

TEST_F(NodeManagerDrainTest, TheDrainOutlivesReconnectsAndARestart) {
  ASSERT_TRUE(manager_->drain("n-bbbb2222", "disk swap").isOk());
  join("n-bbbb2222");  // the node reconnects
  EXPECT_TRUE(node("n-bbbb2222").isDraining());

  manager_ = makeManager();  // the orchestrator restarts over the same store
  models::NodeState reloaded = node("n-bbbb2222");
  EXPECT_TRUE(reloaded.isDraining());
  EXPECT_EQ(reloaded.drain.message, "disk swap");
  EXPECT_FALSE(node("n-aaaa1111").isDraining());
}

// The scheduler's snapshot: shared while nothing it reads changes, rebuilt when something does.
TEST_F(NodeManagerDrainTest, TheSnapshotFollowsEveryChangeTheSchedulerCanSee) {
  auto find = [](const auto& snapshot, const std::string& id) {
    for (const auto& n : *snapshot) {
      if (n.info.node_id == id) return n;
    }
    ADD_FAILURE() << id << " is not in the snapshot";
    return models::NodeState{};
  };
  auto first = manager_->snapshot();
  ASSERT_EQ(first->size(), 3u);  // the orchestrator and two compute nodes

  transport::HeartbeatRequest alive;
  alive.node_id = "n-aaaa1111";
  ASSERT_TRUE(manager_->heartbeat(alive).known);
  EXPECT_EQ(manager_->snapshot(), first) << "a heartbeat that changes nothing is not a change";

  transport::HeartbeatRequest busier = alive;
  busier.available_capacity.cpu = 1.5;
  busier.running_executions = 2;
  ASSERT_TRUE(manager_->heartbeat(busier).known);
  auto second = manager_->snapshot();
  ASSERT_NE(second, first);
  EXPECT_DOUBLE_EQ(find(second, "n-aaaa1111").info.compute_node_info.available_capacity.cpu, 1.5);
  EXPECT_EQ(find(second, "n-aaaa1111").info.compute_node_info.running_executions, 2);
  EXPECT_DOUBLE_EQ(find(first, "n-aaaa1111").info.compute_node_info.available_capacity.cpu, 0)
      << "a snapshot taken earlier never changes under its reader";

  ASSERT_TRUE(manager_->drain("n-bbbb", "maintenance").isOk());
  auto third = manager_->snapshot();
  ASSERT_NE(third, second);
  EXPECT_TRUE(find(third, "n-bbbb2222").isDraining());

  clock_.advance(NodeManagerConfig{}.disconnect_timeout + std::chrono::seconds(1));
  manager_->checkHeartbeats();
  auto fourth = manager_->snapshot();
  ASSERT_NE(fourth, third);
  EXPECT_FALSE(find(fourth, "n-aaaa1111").isConnected());
}

TEST_F(NodeManagerDrainTest, UnknownNodesAndTheOrchestratorItselfAreRefused) {
  EXPECT_EQ(manager_->drain("n-zzzz", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->undrain("n-zzzz").code(), StatusCode::kNotFound);
  Status self = manager_->drain(kSelf, "");
  EXPECT_EQ(self.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(self.message(), HasSubstr("only compute nodes drain"));
  // An ambiguous prefix is refused as for the other actions.
  EXPECT_EQ(manager_->drain("n-", "").errorCode(), "MultipleNodesFound");
}

}  // namespace
}  // namespace cod::orchestrator
