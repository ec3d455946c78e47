#pragma once

// The JobStore conformance suite: one set of tests that every implementation must pass, so that
// the backends agree on every rule of job_store.h. A backend's test file instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, JobStoreConformanceTest,
//                            ::testing::Values(StoreFactory{"Memory", makeMemoryStore}),
//                            storeFactoryName);

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "store/job_store.h"

// Assertion helpers for Status and Result values.
#define STORE_ASSERT_OK(expr)                                      \
  do {                                                             \
    ::cod::Status store_status_ = ::cod::internal::asStatus(expr); \
    ASSERT_TRUE(store_status_.isOk()) << store_status_.toString(); \
  } while (false)
#define STORE_EXPECT_OK(expr)                                      \
  do {                                                             \
    ::cod::Status store_status_ = ::cod::internal::asStatus(expr); \
    EXPECT_TRUE(store_status_.isOk()) << store_status_.toString(); \
  } while (false)
#define STORE_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  STORE_ASSERT_OK_AND_ASSIGN_IMPL(COD_CONCAT(store_result_, __LINE__), lhs, expr)
// `lhs` may be a declaration, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define STORE_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.isOk()) << tmp.status().toString();   \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

namespace cod::store::conformance {

// Makes a fresh, empty store; a persistent one keeps its files under `dir` (an empty directory
// that the fixture removes afterwards).
struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<JobStore>(const std::string& dir)> make;
};

std::string storeFactoryName(const ::testing::TestParamInfo<StoreFactory>& info);
// Prints the factory's name in test failure messages.
// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for.
inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

// A new empty directory under the system's temp directory.
std::string makeTempDir();

// Models that survive the JSON round trip unchanged. Times are Unix nanoseconds.
models::Job testJob(const std::string& id, int64_t create_time,
                    const std::string& ns = models::kDefaultNamespace);
models::Execution testExecution(
    const std::string& id, const std::string& job_id, const std::string& node_id,
    uint64_t job_version, int64_t create_time,
    models::ExecutionStateType state = models::ExecutionStateType::kBidAccepted);
models::Evaluation testEvaluation(const std::string& id, const std::string& job_id,
                                  const std::string& status);
models::JobHistory testHistory(const std::string& job_id, uint64_t job_version,
                               const std::string& execution_id, Time time);
models::NodeState testNode(const std::string& id);
// A fixed instant plus `seconds`.
Time testTime(int64_t seconds);

class JobStoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  JobStore& store() { return *store_; }

  // One write in a transaction of its own.
  Status createJob(models::Job& job);
  Status updateJob(models::Job& job);
  // j-a(100) j-d(200) j-e(200) j-c(300) j-b(400) by create time, created in another order, with
  // modify time 1000 - create time.
  void createFiveJobsOutOfOrder();
  Status createExecution(models::Execution& execution);
  Status updateExecution(models::Execution& execution);
  Status createEvaluation(const models::Evaluation& eval);
  Status addHistory(models::JobHistory& entry);
  Status putNode(const models::NodeState& node);

  std::string dir_;
  std::unique_ptr<JobStore> store_;
};

}  // namespace cod::store::conformance
