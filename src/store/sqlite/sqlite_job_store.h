#pragma once

// The durable JobStore: one SQLite file in WAL mode (see src/store/README.md for the schema).
//
// Writes: one writer connection, used only inside update() under a mutex, one transaction
// (BEGIN IMMEDIATE … COMMIT) per call. Reads outside update() borrow a read-only connection from a
// small pool and run in a read transaction of their own, so they see one committed snapshot and
// never wait for a writer. Every committed transaction survives a crash of the process
// (synchronous=NORMAL; a power loss may lose the last few).
//
// update() must not be called from inside its own function (it would deadlock; it crashes).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/job_store.h"

namespace cod::store {

namespace sqlite {
class Connection;
class ReaderPool;
}  // namespace sqlite

class SqliteJobStore final : public JobStore {
 public:
  // Opens or creates the database at `path`, creating its parent directories. Errors: Internal
  // (cannot create or open, not a database), Unavailable (locked by another process beyond the
  // busy timeout), FailedPrecondition (written by a newer schema).
  static Result<std::unique_ptr<SqliteJobStore>> open(const std::string& path);
  ~SqliteJobStore() override;
  SqliteJobStore(const SqliteJobStore&) = delete;
  SqliteJobStore& operator=(const SqliteJobStore&) = delete;

  Status update(const std::function<Status(Txn&)>& fn) override;
  StoreStats stats() const override;

  Result<models::Job> getJob(const std::string& id) override;
  Result<models::Job> getJobVersion(const std::string& id, uint64_t version) override;
  Result<std::vector<models::Job>> getJobVersions(const std::string& id) override;
  Result<models::Job> resolveJob(const std::string& id_or_name, const std::string& ns) override;
  Result<JobList> listJobs(const JobQuery& q) override;
  Result<models::Execution> getExecution(const std::string& id) override;
  Result<std::vector<models::Execution>> getExecutions(const ExecutionQuery& q) override;
  Result<std::vector<models::Execution>> getActiveExecutionsOnNode(
      const std::string& node_id) override;
  Result<models::Evaluation> getEvaluation(const std::string& id) override;
  Result<std::vector<models::Evaluation>> getPendingEvaluations() override;
  Result<HistoryPage> getHistory(const HistoryQuery& q) override;
  Result<std::vector<std::string>> listFinishedJobsBefore(Time before, size_t limit) override;
  Result<models::NodeState> getNode(const std::string& node_id) override;
  Result<std::vector<models::NodeState>> listNodes() override;

 private:
  class SqliteTxn;

  SqliteJobStore(std::unique_ptr<sqlite::Connection> writer,
                 std::unique_ptr<sqlite::ReaderPool> readers);

  // Runs fn(connection) on a pooled reader inside one read transaction.
  template <typename Fn>
  auto read(Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>()));

  // Group commit: callers queue their transaction; one of them (the leader) runs every queued
  // transaction inside one SQLite transaction, each in its own savepoint so that one failing rolls
  // back alone, and commits once for all. Under load this writes shared pages (indexes, roots)
  // once per batch instead of once per transaction.
  struct PendingWrite {
    const std::function<Status(Txn&)>* fn = nullptr;
    Status status;
    bool done = false;
  };
  void runBatch(std::vector<PendingWrite*>& batch);

  std::mutex write_mu_;  // guards queue_ and leader_
  std::condition_variable write_cv_;
  std::vector<PendingWrite*> queue_;
  bool leader_ = false;
  std::atomic<std::thread::id> writer_thread_{};
  std::unique_ptr<sqlite::Connection> writer_;
  std::unique_ptr<sqlite::ReaderPool> readers_;
  int64_t page_size_ = 4096;
  // Written by the leader after each commit, read by stats() from any thread.
  std::atomic<uint64_t> transactions_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<int64_t> pages_written_{0};
};

}  // namespace cod::store
