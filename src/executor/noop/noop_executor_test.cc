#include "executor/noop/noop_executor.h"

#include <gtest/gtest.h>

#include <thread>

namespace cod::executor {
namespace {

using namespace std::chrono_literals;

ExecutionRequest request(boost::json::object params) {
  auto job = std::make_shared<models::Job>();
  models::Task t;
  t.name = "main";
  t.engine.type = "noop";
  t.engine.params = std::move(params);
  job->tasks.push_back(t);
  ExecutionRequest r;
  r.execution_id = "e-1";
  r.job = job;
  return r;
}

TEST(NoopExecutorTest, ReportsWhatItWasToldTo) {
  NoopExecutor noop;
  CancelToken cancel;
  auto out = noop.run(request({{"Stdout", "hi\n"}, {"Stderr", "oops\n"}, {"ExitCode", 3}}), cancel);
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(out->stdout_text, "hi\n");
  EXPECT_EQ(out->stderr_text, "oops\n");
  EXPECT_EQ(out->exit_code, 3);
}

TEST(NoopExecutorTest, ErrorsAreRetryableUnlessToldOtherwise) {
  NoopExecutor noop;
  CancelToken cancel;
  auto transient = noop.run(request({{"Error", "flaky"}}), cancel);
  EXPECT_EQ(transient.status().code(), StatusCode::kUnavailable);
  auto permanent = noop.run(request({{"Error", "bad"}, {"Retryable", false}}), cancel);
  EXPECT_EQ(permanent.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(permanent.status().message(), "bad");
}

TEST(NoopExecutorTest, DelayHonoursCancellationAndTimeout) {
  NoopExecutor noop;
  CancelToken cancel;
  auto r = request({{"Delay", "1h"}});
  r.timeout = 10ms;
  auto timed_out = noop.run(r, cancel);
  EXPECT_EQ(timed_out.status().code(), StatusCode::kDeadlineExceeded);
  std::thread t([&] { cancel.cancel(); });
  auto cancelled_run = noop.run(request({{"Delay", "1h"}}), cancel);
  t.join();
  EXPECT_EQ(cancelled_run.status().code(), StatusCode::kCancelled);
}

TEST(NoopExecutorTest, ValidateNamesABadDelay) {
  NoopExecutor noop;
  models::Task t;
  t.engine.params["Delay"] = "soon";
  EXPECT_NE(noop.validate(t).message().find("soon"), std::string::npos);
}

}  // namespace
}  // namespace cod::executor
