#include "orchestrator/broker/evaluation_broker.h"

#include <gtest/gtest.h>

namespace cod::orchestrator {
namespace {

using namespace std::chrono_literals;

models::Evaluation eval(const std::string& id, const std::string& job, int64_t priority = 0) {
  models::Evaluation e;
  e.id = id;
  e.job_id = job;
  e.priority = priority;
  e.status = models::kEvalStatusPending;
  return e;
}

class BrokerTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  EvaluationBroker broker_{&clock_, BrokerConfig{1min, 3}};
};

TEST_F(BrokerTest, DeliversInPriorityThenFifoOrder) {
  broker_.enqueue(eval("a", "j1"));
  broker_.enqueue(eval("b", "j2", 5));
  broker_.enqueue(eval("c", "j3"));
  EXPECT_EQ(broker_.tryDequeue()->eval.id, "b");
  EXPECT_EQ(broker_.tryDequeue()->eval.id, "a");
  EXPECT_EQ(broker_.tryDequeue()->eval.id, "c");
  EXPECT_FALSE(broker_.tryDequeue());
}

TEST_F(BrokerTest, OneEvaluationPerJobInFlightAndTheNewestWaitingOneWins) {
  broker_.enqueue(eval("a", "j1"));
  broker_.enqueue(eval("b", "j1"));
  broker_.enqueue(eval("c", "j1"));
  auto first = broker_.tryDequeue();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->eval.id, "a");
  EXPECT_FALSE(broker_.tryDequeue()) << "a second evaluation of j1 must wait";
  EXPECT_EQ(broker_.stats().waiting, 2u);
  ASSERT_TRUE(broker_.ack("a", first->token).isOk());
  auto next = broker_.tryDequeue();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->eval.id, "c");
  EXPECT_EQ(broker_.takeCancelled(), std::vector<std::string>{"b"});
  EXPECT_FALSE(broker_.tryDequeue());
}

TEST_F(BrokerTest, IgnoresDuplicateIds) {
  broker_.enqueue(eval("a", "j1"));
  broker_.enqueue(eval("a", "j1"));
  EXPECT_TRUE(broker_.tryDequeue());
  EXPECT_FALSE(broker_.tryDequeue());
  EXPECT_EQ(broker_.stats().waiting, 0u);
}

TEST_F(BrokerTest, HoldsDelayedEvaluationsUntilDue) {
  auto e = eval("a", "j1");
  e.wait_until = clock_.now() + 10s;
  broker_.enqueue(e);
  EXPECT_FALSE(broker_.tryDequeue());
  EXPECT_EQ(broker_.stats().delayed, 1u);
  clock_.advance(9s);
  EXPECT_FALSE(broker_.tryDequeue());
  clock_.advance(1s);
  auto d = broker_.tryDequeue();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->eval.id, "a");
}

TEST_F(BrokerTest, RedeliversAfterTheVisibilityTimeoutAndRejectsTheStaleToken) {
  broker_.enqueue(eval("a", "j1"));
  auto first = broker_.tryDequeue();
  ASSERT_TRUE(first);
  clock_.advance(61s);
  auto again = broker_.tryDequeue();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->eval.id, "a");
  EXPECT_NE(again->token, first->token);
  EXPECT_EQ(broker_.ack("a", first->token).code(), StatusCode::kNotFound);
  EXPECT_TRUE(broker_.ack("a", again->token).isOk());
}

TEST_F(BrokerTest, NackRetriesWithBackoffThenDeadLetters) {
  std::vector<std::string> dead;
  broker_.setDeadLetterHandler([&](const models::Evaluation& e) { dead.push_back(e.id); });
  broker_.enqueue(eval("a", "j1"));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto d = broker_.tryDequeue();
    ASSERT_TRUE(d) << "attempt " << attempt;
    ASSERT_TRUE(broker_.nack("a", d->token).isOk());
    EXPECT_FALSE(broker_.tryDequeue()) << "a nacked evaluation backs off";
    clock_.advance(10s);
  }
  EXPECT_EQ(dead, std::vector<std::string>{"a"});
  EXPECT_EQ(broker_.stats().dead_lettered, 1u);
  EXPECT_FALSE(broker_.tryDequeue());
}

TEST_F(BrokerTest, NackFreesTheJobForItsNewerEvaluations) {
  broker_.enqueue(eval("a", "j1"));
  auto d = broker_.tryDequeue();
  broker_.enqueue(eval("b", "j1"));
  ASSERT_TRUE(broker_.nack("a", d->token).isOk());
  auto next = broker_.tryDequeue();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->eval.id, "b");
}

TEST_F(BrokerTest, ShutdownWakesABlockedDequeue) {
  std::thread t([&] { broker_.shutdown(); });
  auto d = broker_.dequeue(std::chrono::minutes(5));
  t.join();
  EXPECT_FALSE(d);
}

}  // namespace
}  // namespace cod::orchestrator
