// Runs the conformance suite against every JobStore, plus what only the SQLite store promises:
// durability across reopen and SIGKILL, and reads that do not wait for the writer.

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/strings.h"
#include "models/json.h"
#include "store/job_store_conformance.h"
#include "store/memory/memory_job_store.h"
#include "store/record_codec.h"
#include "store/sqlite/sqlite_job_store.h"

namespace cod::store {
namespace {

using conformance::JobStoreConformanceTest;
using conformance::StoreFactory;
using conformance::testEvaluation;
using conformance::testExecution;
using conformance::testHistory;
using conformance::testJob;
using conformance::testNode;
using conformance::testTime;
using models::Job;

std::unique_ptr<JobStore> makeMemoryStore(const std::string&) {
  return std::make_unique<MemoryJobStore>();
}

std::unique_ptr<JobStore> makeSqliteStore(const std::string& dir) {
  auto store = SqliteJobStore::open(dir + "/jobs.db");
  EXPECT_TRUE(store.isOk()) << store.status().toString();
  return store.isOk() ? std::move(store).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(AllStores, JobStoreConformanceTest,
                         ::testing::Values(StoreFactory{"Memory", makeMemoryStore},
                                           StoreFactory{"Sqlite", makeSqliteStore}),
                         conformance::storeFactoryName);

class SqliteJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = conformance::makeTempDir(); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<SqliteJobStore> open(const std::string& path) {
    auto store = SqliteJobStore::open(path);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return store.isOk() ? std::move(store).value() : nullptr;
  }

  // One record of each kind.
  struct OneOfEach {
    Job job = testJob("j-1", 1);
    models::Execution execution = testExecution("e-1", "j-1", "n-1", 2, 10);
    models::Evaluation eval = testEvaluation("ev-1", "j-1", models::kEvalStatusPending);
    models::JobHistory history = testHistory("j-1", 2, "e-1", testTime(3));
    models::NodeState node = testNode("n-1");
  };

  // Writes `r` to a new store at `path`, the job in two versions.
  void writeOneOfEach(const std::string& path, OneOfEach& r) {
    auto store = open(path);
    ASSERT_NE(store, nullptr);
    STORE_ASSERT_OK(store->update([&](Txn& txn) -> Status {
      COD_RETURN_IF_ERROR(txn.createJob(r.job));
      r.job.version = 2;
      COD_RETURN_IF_ERROR(txn.updateJob(r.job));
      COD_RETURN_IF_ERROR(txn.createExecution(r.execution));
      COD_RETURN_IF_ERROR(txn.createEvaluation(r.eval));
      COD_RETURN_IF_ERROR(txn.addHistory(r.history));
      return txn.putNode(r.node);
    }));
  }

  // Reads back what writeOneOfEach wrote.
  static void expectOneOfEach(JobStore& store, const OneOfEach& r) {
    STORE_ASSERT_OK_AND_ASSIGN(Job got, store.getJob("j-1"));
    EXPECT_EQ(got, r.job);
    STORE_ASSERT_OK_AND_ASSIGN(auto versions, store.getJobVersions("j-1"));
    ASSERT_EQ(versions.size(), 2u);
    EXPECT_EQ(versions[0].version, 1u);
    STORE_ASSERT_OK_AND_ASSIGN(models::Execution got_e, store.getExecution("e-1"));
    EXPECT_EQ(got_e, r.execution);
    STORE_ASSERT_OK_AND_ASSIGN(auto pending, store.getPendingEvaluations());
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0], r.eval);
    STORE_ASSERT_OK_AND_ASSIGN(HistoryPage history, store.getHistory({.job_id = "j-1"}));
    ASSERT_EQ(history.items.size(), 1u);
    EXPECT_EQ(history.items[0], r.history);
    STORE_ASSERT_OK_AND_ASSIGN(models::NodeState got_node, store.getNode("n-1"));
    EXPECT_EQ(got_node, r.node);
  }

  std::string dir_;
};

TEST_F(SqliteJobStoreTest, ReopenKeepsEverything) {
  std::string path = dir_ + "/nested/data/jobs.db";  // parent directories are created
  OneOfEach records;
  writeOneOfEach(path, records);
  auto store = open(path);
  ASSERT_NE(store, nullptr);
  expectOneOfEach(*store, records);
  // Numbering continues where it stopped.
  models::JobHistory next = testHistory("j-1", 2, "", testTime(4));
  STORE_ASSERT_OK(store->update([&](Txn& txn) { return txn.addHistory(next); }));
  EXPECT_EQ(next.seq_num, 2u);
}

// A task's binary output reached the store as raw bytes: the record was "unreadable: invalid JSON",
// the job stayed Running for ever and GET /jobs/:id/executions answered 500.
TEST_F(SqliteJobStoreTest, OutputThatIsNotUtf8NeverMakesARecordUnreadable) {
  std::string path = dir_ + "/jobs.db";
  auto store = open(path);
  ASSERT_NE(store, nullptr);
  models::Execution e = testExecution("e-1", "j-1", "n-1", 2, 10);
  e.run_output.stdout_text = "a" + std::string(100, '\xFF') + "MARK";
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(store->update([&](Txn& txn) -> Status {
    COD_RETURN_IF_ERROR(txn.createJob(job));
    return txn.createExecution(e);
  }));
  STORE_ASSERT_OK_AND_ASSIGN(auto got,
                             store->getExecutions({.job_id = "j-1", .all_versions = true}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(isValidUtf8(got[0].run_output.stdout_text));
  EXPECT_EQ(got[0].run_output.stdout_text.substr(0, 4), "a\xEF\xBF\xBD");

  // A record stored with the raw bytes reads back too.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string raw = R"({"id":"e-2","namespace":"default","job_id":"j-1","node_id":"n-1",)"
                    R"("job_version":1,"run_output":{"stdout":"b)" +
                    std::string(3, '\xFE') + R"("}})";
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO executions (id, job_id, node_id, job_version, "
                               "compute_state, create_time, revision, json) VALUES ('e-2', "
                               "'j-1', 'n-1', 1, 0, 1, 1, ?1)",
                               -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_bind_text(stmt, 1, raw.data(), static_cast<int>(raw.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  STORE_ASSERT_OK_AND_ASSIGN(models::Execution old, store->getExecution("e-2"));
  EXPECT_EQ(old.run_output.stdout_text, "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  STORE_ASSERT_OK_AND_ASSIGN(auto both,
                             store->getExecutions({.job_id = "j-1", .all_versions = true}));
  EXPECT_EQ(both.size(), 2u);
}

// Runs `sql` on the file behind the store's back, with `text(json)` = `fn(json)`.
void rewriteRows(const std::string& path, const char* sql,
                 std::function<std::string(std::string_view)> fn) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto call = [](sqlite3_context* ctx, int, sqlite3_value** argv) {
    auto& f = *static_cast<std::function<std::string(std::string_view)>*>(sqlite3_user_data(ctx));
    std::string out = f(std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])),
                                         static_cast<size_t>(sqlite3_value_bytes(argv[0]))));
    sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
  };
  ASSERT_EQ(sqlite3_create_function(db, "text", 1, SQLITE_UTF8, &fn, call, nullptr, nullptr),
            SQLITE_OK);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_close(db);
}

int64_t userVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  int64_t version = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

// Turns a record as stored now into what version 1 of the file held: its API JSON.
template <typename Decode>
std::function<std::string(std::string_view)> asApiJson(Decode decode) {
  return [decode](std::string_view record) {
    auto r = decode(record);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? models::serialize(models::toJson(*r)) : std::string();
  };
}

// Turns a file into what version 1 wrote: every row as its API JSON, with task output as it came
// (bad bytes included: "out" becomes "o\xFFt").
void toVersion1(const std::string& path) {
  rewriteRows(path, "UPDATE jobs SET json = text(json); UPDATE job_versions SET json = text(json)",
              asApiJson(records::decodeJob));
  rewriteRows(path, "UPDATE executions SET json = text(json)", [](std::string_view record) {
    std::string v1 = asApiJson(records::decodeExecution)(record);
    if (size_t at = v1.find("\"Stdout\":\"out\""); at != std::string::npos) {
      v1.replace(at, 14, "\"Stdout\":\"o\xFFt\"");
    }
    return v1;
  });
  rewriteRows(path, "UPDATE evaluations SET json = text(json)",
              asApiJson(records::decodeEvaluation));
  rewriteRows(path, "UPDATE history SET json = text(json)", asApiJson(records::decodeHistory));
  rewriteRows(path, "UPDATE nodes SET json = text(json); PRAGMA user_version = 1",
              asApiJson(records::decodeNode));
}

// A file written by a cod that stored the API's JSON (format version 1) is rewritten when it is
// opened: everything reads back, and the file says version 2.
TEST_F(SqliteJobStoreTest, AVersion1FileIsMigratedWhenOpened) {
  std::string path = dir_ + "/jobs.db";
  OneOfEach r;
  r.execution.run_output.stdout_text = "out";
  r.execution.retryable = true;  // in version 1, ComputeState.Details["Retryable"]
  writeOneOfEach(path, r);
  r.execution.run_output.stdout_text = "o\xEF\xBF\xBDt";  // what the bad byte reads back as
  ASSERT_EQ(userVersion(path), 2);
  toVersion1(path);
  ASSERT_EQ(userVersion(path), 1);

  auto store = open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(userVersion(path), 2);
  expectOneOfEach(*store, r);
}

// A version-1 row that does not read stops the open with the reason, and leaves the file as it
// was (version 1, every row untouched), for the operator to look at. The bad row is a node, which
// the migration rewrites last: the jobs before it were already rewritten when it failed.
TEST_F(SqliteJobStoreTest, AFailedMigrationLeavesTheFileAsItWas) {
  std::string path = dir_ + "/jobs.db";
  OneOfEach r;
  writeOneOfEach(path, r);
  toVersion1(path);
  rewriteRows(path, "UPDATE nodes SET json = text(json)",
              [](std::string_view) { return std::string(R"({"Info":{"NodeID":5}})"); });
  auto rows = [&] {
    std::string all;
    rewriteRows(path,
                "SELECT text(json) FROM jobs UNION ALL SELECT text(json) FROM job_versions "
                "UNION ALL SELECT text(json) FROM executions",
                [&](std::string_view json) {
                  all += std::string(json) + "\n";
                  return std::string(json);
                });
    return all;
  };
  std::string before = rows();
  EXPECT_THAT(before, ::testing::HasSubstr(R"("ID":"j-1")"));  // the API's JSON
  auto reopened = SqliteJobStore::open(path);
  ASSERT_FALSE(reopened.isOk());
  EXPECT_THAT(reopened.status().message(), ::testing::HasSubstr("NodeState.Info.NodeID"));
  EXPECT_EQ(userVersion(path), 1);
  EXPECT_EQ(rows(), before);
}

// Job specs carry their secrets (environment values, credentials in params).
TEST_F(SqliteJobStoreTest, TheDatabaseIsReadableByItsOwnerOnly) {
  std::string path = dir_ + "/jobs.db";
  ASSERT_EQ(::close(::open(path.c_str(), O_CREAT | O_WRONLY, 0644)), 0);  // an older, open file
  ::chmod(path.c_str(), 0644);
  auto store = open(path);
  ASSERT_NE(store, nullptr);
  Job job = testJob("j-1", 1);
  STORE_ASSERT_OK(store->update([&](Txn& txn) { return txn.createJob(job); }));
  for (const char* suffix : {"", "-wal"}) {
    struct stat st {};
    ASSERT_EQ(::stat((path + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path << suffix;
  }
}

// Tells the parent how far the child got, one byte per step.
void signalParent(int fd, char step) {
  if (write(fd, &step, 1) != 1) _exit(3);
}

// The child commits two transactions, opens a third and waits inside it; the parent kills it with
// SIGKILL. Both commits must be on disk, the open transaction must not.
TEST_F(SqliteJobStoreTest, CommittedTransactionsSurviveSigkill) {
  std::string path = dir_ + "/jobs.db";
  int progress[2];
  int never[2];
  ASSERT_EQ(pipe(progress), 0);
  ASSERT_EQ(pipe(never), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(progress[0]);
    close(never[1]);
    auto opened = SqliteJobStore::open(path);
    if (!opened.isOk()) _exit(2);
    JobStore& store = **opened;
    Job job = testJob("j-1", 1);
    Status s = store.update([&](Txn& txn) -> Status {
      COD_RETURN_IF_ERROR(txn.createJob(job));
      models::Execution e = testExecution("e-1", "j-1", "n-1", 1, 10);
      COD_RETURN_IF_ERROR(txn.createExecution(e));
      models::JobHistory h = testHistory("j-1", 1, "", testTime(0));
      return txn.addHistory(h);
    });
    if (!s.isOk()) _exit(4);
    signalParent(progress[1], 'a');
    job.state.state_type = models::JobStateType::kRunning;
    s = store.update([&](Txn& txn) { return txn.updateJob(job); });
    if (!s.isOk()) _exit(5);
    signalParent(progress[1], 'b');
    (void)store.update([&](Txn& txn) -> Status {
      Job uncommitted = testJob("j-2", 2);
      COD_RETURN_IF_ERROR(txn.createJob(uncommitted));
      signalParent(progress[1], 'c');
      char byte;
      (void)read(never[0], &byte, 1);  // blocks until the parent kills us
      return Status::ok();
    });
    _exit(6);
  }
  close(progress[1]);
  close(never[0]);
  std::string steps;
  char byte;
  while (steps.size() < 3 && read(progress[0], &byte, 1) == 1) steps.push_back(byte);
  kill(pid, SIGKILL);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  close(progress[0]);
  close(never[1]);
  ASSERT_EQ(steps, "abc") << "child exit status " << wstatus;
  ASSERT_TRUE(WIFSIGNALED(wstatus));

  auto store = open(path);
  ASSERT_NE(store, nullptr);
  STORE_ASSERT_OK_AND_ASSIGN(Job got, store->getJob("j-1"));
  EXPECT_EQ(got.revision, 2u);
  EXPECT_EQ(got.state.state_type, models::JobStateType::kRunning);
  STORE_EXPECT_OK(store->getExecution("e-1"));
  STORE_ASSERT_OK_AND_ASSIGN(HistoryPage history, store->getHistory({.job_id = "j-1"}));
  EXPECT_EQ(history.items.size(), 1u);
  EXPECT_EQ(store->getJob("j-2").status().code(), StatusCode::kNotFound);
  // The store is writable again: the killed writer left no lock behind.
  Job next = testJob("j-3", 3);
  STORE_EXPECT_OK(store->update([&](Txn& txn) { return txn.createJob(next); }));
}

// While a transaction is open, reads from other threads proceed and see the last commit.
TEST_F(SqliteJobStoreTest, ReadsDoNotWaitForTheWriter) {
  auto store = open(dir_ + "/jobs.db");
  ASSERT_NE(store, nullptr);
  Job first = testJob("j-1", 1);
  STORE_ASSERT_OK(store->update([&](Txn& txn) { return txn.createJob(first); }));

  std::promise<void> inside;
  std::promise<void> reads_done;
  std::future<void> reads_done_future = reads_done.get_future();
  bool writer_saw_reads = false;
  std::thread writer([&] {
    Status s = store->update([&](Txn& txn) -> Status {
      Job second = testJob("j-2", 2);
      COD_RETURN_IF_ERROR(txn.createJob(second));
      inside.set_value();
      writer_saw_reads =
          reads_done_future.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
      return Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
  });
  inside.get_future().wait();
  STORE_EXPECT_OK(store->getJob("j-1"));
  EXPECT_EQ(store->getJob("j-2").status().code(), StatusCode::kNotFound);
  auto list = store->listJobs({});
  EXPECT_TRUE(list.isOk() && list->items.size() == 1u);
  reads_done.set_value();
  writer.join();
  EXPECT_TRUE(writer_saw_reads);
  STORE_EXPECT_OK(store->getJob("j-2"));
}

TEST_F(SqliteJobStoreTest, OpenReportsUnusableFiles) {
  std::string garbage = dir_ + "/garbage.db";
  std::ofstream(garbage)
      << "this is not an SQLite database, not even close........................";
  auto bad = SqliteJobStore::open(garbage);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  EXPECT_EQ(bad.status().component(), "JobStore");

  auto under_file = SqliteJobStore::open(garbage + "/jobs.db");
  ASSERT_FALSE(under_file.isOk());
  EXPECT_THAT(under_file.status().message(), ::testing::HasSubstr("garbage.db"));
}

TEST_F(SqliteJobStoreTest, OpenRejectsNewerSchema) {
  std::string path = dir_ + "/jobs.db";
  ASSERT_NE(open(path), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteJobStore::open(path);
  ASSERT_FALSE(store.isOk());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("schema version 99"));
}

}  // namespace
}  // namespace cod::store

namespace cod::store {
namespace {

// Concurrent writers share commits (group commit): every transaction still stands or falls
// alone, and a failing one takes nothing of its neighbours with it.
TEST(SqliteGroupCommitTest, ConcurrentTransactionsCommitOrRollBackAlone) {
  std::string dir = conformance::makeTempDir();
  auto store = SqliteJobStore::open(dir + "/jobs.db");
  ASSERT_TRUE(store.isOk());
  constexpr int kThreads = 8;
  constexpr int kEach = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        bool fail = i % 7 == 3;
        models::Job job =
            conformance::testJob("j-" + std::to_string(t) + "-" + std::to_string(i), i);
        Status st = (*store)->update([&](Txn& tx) -> Status {
          COD_RETURN_IF_ERROR(tx.createJob(job));
          models::JobHistory h = conformance::testHistory(job.id, 1, "", conformance::testTime(i));
          COD_RETURN_IF_ERROR(tx.addHistory(h));
          if (fail) return invalidArgument("refused on purpose");
          return Status::ok();
        });
        if (fail) {
          EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
        } else {
          EXPECT_TRUE(st.isOk()) << st.toString();
          ok++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  auto all = (*store)->listJobs({});
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(static_cast<int>(all->items.size()), ok.load());
  for (const auto& job : all->items) {
    HistoryQuery q;
    q.job_id = job.id;
    auto h = (*store)->getHistory(q);
    ASSERT_TRUE(h.isOk());
    ASSERT_EQ(h->items.size(), 1u) << job.id;
    EXPECT_EQ(h->items[0].seq_num, 1u);
  }
  EXPECT_FALSE((*store)->getJob("j-0-3").isOk()) << "a failed transaction left its job behind";
  // What bench/ reports per job: only committed transactions count, and group commit folds
  // them into fewer commits, each of which wrote pages.
  StoreStats stats = (*store)->stats();
  EXPECT_EQ(stats.transactions, static_cast<uint64_t>(ok.load()));
  EXPECT_GE(stats.commits, 1u);
  EXPECT_LE(stats.commits, stats.transactions);
  EXPECT_GE(stats.pages_written, stats.commits);
  EXPECT_EQ(stats.bytes_written, stats.pages_written * 4096);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace cod::store
