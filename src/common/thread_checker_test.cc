#include "common/thread_checker.h"

#include <thread>

#include <gtest/gtest.h>

namespace cod {
namespace {

bool checkOnAnotherThread(const ThreadChecker& checker) {
  bool valid = false;
  std::thread([&] { valid = checker.calledOnValidThread(); }).join();
  return valid;
}

TEST(ThreadCheckerTest, BindsToTheFirstThreadAndRefusesOthers) {
#ifdef NDEBUG
  GTEST_SKIP() << "ThreadChecker checks nothing in builds with NDEBUG";
#endif
  ThreadChecker checker;
  EXPECT_TRUE(checker.calledOnValidThread());
  EXPECT_TRUE(checker.calledOnValidThread());
  EXPECT_FALSE(checkOnAnotherThread(checker));
  EXPECT_DEATH([&] { std::thread([&] { COD_DCHECK_ON_THREAD(checker); }).join(); }(),
               "called off the thread that owns this state");
}

TEST(ThreadCheckerTest, DetachHandsItToTheNextThread) {
#ifdef NDEBUG
  GTEST_SKIP() << "ThreadChecker checks nothing in builds with NDEBUG";
#endif
  ThreadChecker checker;
  EXPECT_TRUE(checker.calledOnValidThread());
  checker.detach();
  EXPECT_TRUE(checkOnAnotherThread(checker));
  EXPECT_FALSE(checker.calledOnValidThread());
}

}  // namespace
}  // namespace cod
