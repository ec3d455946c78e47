// One suite, both ExecutionStore implementations; then the SQLite store's own promises.

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>

#include <boost/json.hpp>

#include "common/ids.h"
#include "models/json.h"
#include "store/memory/memory_execution_store.h"
#include "store/sqlite/sqlite_execution_store.h"

namespace cod::store {
namespace {

namespace fs = std::filesystem;

LocalExecution sample(const std::string& id) {
  LocalExecution e;
  e.execution.id = id;
  e.execution.job_id = "j-1";
  auto job = std::make_shared<models::Job>();
  job->id = "j-1";
  job->type = "batch";
  job->count = 2;
  models::Task t;
  t.name = "main";
  t.engine.type = "docker";
  t.engine.params["Image"] = "busybox";
  job->tasks.push_back(t);
  e.execution.job = job;
  e.execution.compute_state.state_type = models::ExecutionStateType::kCompleted;
  e.resources.cpu = 0.5;
  e.result.stdout_text = "hi\n";
  e.result.exit_code = 3;
  e.published_result.type = "urlDownload";
  e.published_result.params["URL"] = "http://127.0.0.1:6001/x.tar.gz";
  e.error = "boom";
  e.retryable = false;
  e.updated = fromUnixNanos(1724100026000000000);
  return e;
}

struct Factory {
  std::string name;
  std::function<std::unique_ptr<ExecutionStore>(const std::string& path)> make;
};

class ExecutionStoreTest : public ::testing::TestWithParam<Factory> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-exec-store-" + newUuid());
    fs::create_directories(dir_);
    store_ = GetParam().make((dir_ / "executions.db").string());
    ASSERT_TRUE(store_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<ExecutionStore> store_;
};

TEST_P(ExecutionStoreTest, PutGetListRemove) {
  auto a = sample("e-a");
  ASSERT_TRUE(store_->put(a).isOk());
  ASSERT_TRUE(store_->put(sample("e-b")).isOk());
  auto got = store_->get("e-a");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ(got->execution, a.execution);
  EXPECT_EQ(got->result, a.result);
  EXPECT_EQ(got->published_result, a.published_result);
  EXPECT_EQ(got->resources, a.resources);
  EXPECT_EQ(got->error, "boom");
  EXPECT_FALSE(got->retryable);
  EXPECT_EQ(got->updated, a.updated);
  ASSERT_TRUE(got->execution.job);
  EXPECT_EQ(got->execution.job->task().engine.type, "docker");

  a.execution.compute_state.state_type = models::ExecutionStateType::kFailed;
  ASSERT_TRUE(store_->put(a).isOk());
  EXPECT_EQ(store_->get("e-a")->state(), models::ExecutionStateType::kFailed);

  auto all = store_->list();
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_TRUE(store_->remove("e-a").isOk());
  EXPECT_EQ(store_->remove("e-a").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->get("e-a").status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, ExecutionStoreTest,
    ::testing::Values(Factory{"memory",
                              [](const std::string&) -> std::unique_ptr<ExecutionStore> {
                                return std::make_unique<MemoryExecutionStore>();
                              }},
                      Factory{"sqlite",
                              [](const std::string& path) -> std::unique_ptr<ExecutionStore> {
                                auto s = SqliteExecutionStore::open(path);
                                return s.isOk() ? std::move(s).value() : nullptr;
                              }}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(SqliteExecutionStoreTest, SurvivesReopen) {
  auto dir = fs::temp_directory_path() / ("cod-exec-store-" + newUuid());
  std::string path = (dir / "e.db").string();
  {
    auto s = SqliteExecutionStore::open(path);
    ASSERT_TRUE(s.isOk());
    LocalExecution e;
    e.execution.id = "e-kept";
    ASSERT_TRUE((*s)->put(e).isOk());
  }
  auto s = SqliteExecutionStore::open(path);
  ASSERT_TRUE(s.isOk());
  EXPECT_TRUE((*s)->get("e-kept").isOk());
  fs::remove_all(dir);
}

// A node's file from before the record encoding (no format version; each row the API's JSON of
// the execution, with its job, beside the node's own fields) reads back whole after the upgrade.
TEST(SqliteExecutionStoreTest, AFileFromBeforeTheRecordFormatIsMigrated) {
  auto dir = fs::temp_directory_path() / ("cod-exec-store-" + newUuid());
  fs::create_directories(dir);
  std::string path = (dir / "e.db").string();
  LocalExecution e = sample("e-old");
  e.bid_reason = "busy";
  e.error_code = "ExecutionFailed";
  e.hint = "look at stderr";
  {
    boost::json::object row;
    row["Execution"] = models::toJson(e.execution);
    row["Resources"] = models::toJson(e.resources);
    row["BidReason"] = e.bid_reason;
    row["Result"] = models::toJson(e.result);
    row["PublishedResult"] = models::toJson(e.published_result);
    row["Error"] = e.error;
    row["ErrorCode"] = e.error_code;
    row["Hint"] = e.hint;
    row["Retryable"] = e.retryable;
    row["Updated"] = toUnixNanos(e.updated);
    std::string json = models::serialize(row);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE executions (id TEXT PRIMARY KEY, json TEXT NOT NULL)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "INSERT INTO executions VALUES ('e-old', ?1)", -1, &stmt, nullptr),
        SQLITE_OK);
    sqlite3_bind_text(stmt, 1, json.data(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  for (int open = 0; open < 2; ++open) {  // migrated once, then read as it is
    auto s = SqliteExecutionStore::open(path);
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    auto all = (*s)->list();
    ASSERT_TRUE(all.isOk()) << all.status().toString();
    ASSERT_EQ(all->size(), 1u);
    EXPECT_TRUE(all->front() == e) << open;
    ASSERT_NE(all->front().execution.job, nullptr);
    EXPECT_EQ(all->front().execution.job->tasks[0].engine.params.at("Image"), "busybox");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cod::store
