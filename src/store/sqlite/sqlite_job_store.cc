#include "store/sqlite/sqlite_job_store.h"

#include <condition_variable>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "common/check.h"
#include "common/ids.h"
#include "common/strings.h"
#include "store/query_rules.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_queries.h"

namespace cod::store {

namespace sqlite {

namespace {
// How long a statement waits for another process's lock before failing with Unavailable.
constexpr int kBusyTimeoutMs = 5000;
// WAL readers do not block each other or the writer; a few cover the API's concurrent reads.
constexpr size_t kMaxReaders = 4;
}  // namespace

// Read-only connections, opened on demand up to kMaxReaders and reused.
class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  // A connection on loan, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->release(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  Result<Lease> acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxReaders; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    auto conn = Connection::open(path_, /*read_only=*/true, kBusyTimeoutMs);
    if (!conn.isOk()) {
      lock.lock();
      --open_;
      cv_.notify_one();
      return std::move(conn).error();
    }
    return Lease(this, std::move(conn).value());
  }

 private:
  void release(std::unique_ptr<Connection> conn) {
    std::unique_lock lock(mu_);
    // A reader left inside a transaction (its COMMIT and ROLLBACK failed) would serve a stale
    // snapshot forever: close it instead.
    if (conn->autocommit()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    cv_.notify_one();
    lock.unlock();
    conn.reset();
  }

  const std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;
};

}  // namespace sqlite

namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr const char* kInsertJob =
    "INSERT INTO jobs (id, namespace, name, state, type, create_time, modify_time, revision, "
    "version, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// An UPDATE rewrites every index on a column it sets, even to the same value. The usual update
// changes only state, times and JSON, so it is tried first, guarded by the other columns.
constexpr const char* kUpdateJobUsual =
    "UPDATE jobs SET state = ?4, modify_time = ?7, revision = ?8, version = ?9, json = ?10 "
    "WHERE id = ?1 AND revision = ?11 AND namespace = ?2 AND name IS ?3 AND type = ?5 "
    "AND create_time = ?6";
constexpr const char* kUpdateJob =
    "UPDATE jobs SET namespace = ?2, name = ?3, state = ?4, type = ?5, create_time = ?6, "
    "modify_time = ?7, revision = ?8, version = ?9, json = ?10 WHERE id = ?1 AND revision = ?11";
constexpr const char* kPutVersion =
    "INSERT OR REPLACE INTO job_versions (job_id, version, json) VALUES (?1, ?2, ?3)";
constexpr const char* kAddVersionIfNew =
    "INSERT OR IGNORE INTO job_versions (job_id, version, json) VALUES (?1, ?2, ?3)";
constexpr const char* kInsertExecution =
    "INSERT INTO executions (id, job_id, node_id, job_version, compute_state, create_time, "
    "revision, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kUpdateExecutionUsual =
    "UPDATE executions SET compute_state = ?5, revision = ?7, json = ?8 WHERE id = ?1 "
    "AND revision = ?9 AND job_id = ?2 AND node_id = ?3 AND job_version = ?4 AND create_time = ?6";
constexpr const char* kUpdateExecution =
    "UPDATE executions SET job_id = ?2, node_id = ?3, job_version = ?4, compute_state = ?5, "
    "create_time = ?6, revision = ?7, json = ?8 WHERE id = ?1 AND revision = ?9";

void bindJob(Statement& stmt, const models::Job& job, const std::string& json) {
  stmt.bind(1, job.id)
      .bind(2, job.ns)
      .bindTextOrNull(3, job.name)
      .bind(4, static_cast<int>(job.state.state_type))
      .bind(5, job.type)
      .bind(6, job.create_time)
      .bind(7, job.modify_time)
      .bind(8, job.revision)
      .bind(9, job.version)
      .bind(10, json);
}

void bindExecution(Statement& stmt, const models::Execution& e, const std::string& json) {
  stmt.bind(1, e.id)
      .bind(2, e.job_id)
      .bind(3, e.node_id)
      .bind(4, e.job_version)
      .bind(5, static_cast<int>(e.compute_state.state_type))
      .bind(6, e.create_time)
      .bind(7, e.revision)
      .bind(8, json);
}

}  // namespace

// Writes on the writer connection inside the open transaction. Each write is one or two
// statements; a failed statement changes nothing (SQLite rolls back just that statement), and
// update() rolls back the whole transaction when the function returns an error.
class SqliteJobStore::SqliteTxn final : public Txn {
 public:
  explicit SqliteTxn(Connection& c) : c_(c) {}

  Result<models::Job> getJob(const std::string& id) override { return sqlite::getJob(c_, id); }
  Result<models::Execution> getExecution(const std::string& id) override {
    return sqlite::getExecution(c_, id);
  }
  Result<std::vector<models::Execution>> getExecutions(const ExecutionQuery& q) override {
    return sqlite::getExecutions(c_, q);
  }
  Result<models::Evaluation> getEvaluation(const std::string& id) override {
    return sqlite::getEvaluation(c_, id);
  }
  Result<models::Job> getJobByName(const std::string& ns, const std::string& name) override {
    return sqlite::getJobByName(c_, ns, name);
  }

  Status createJob(models::Job& job) override {
    uint64_t given = job.revision;
    job.revision = 1;
    std::string json = sqlite::encode(job);
    Status s = insertJob(job, json);
    if (!s.isOk()) job.revision = given;
    return s;
  }

  Status updateJob(models::Job& job) override {
    uint64_t expected = job.revision;
    job.revision = expected + 1;
    std::string json = sqlite::encode(job);
    Status s = writeJob(job, json, expected);
    if (!s.isOk()) job.revision = expected;
    return s;
  }

  Status createExecution(models::Execution& execution) override {
    uint64_t given = execution.revision;
    execution.revision = 1;
    std::string json = sqlite::encode(execution);
    COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare(kInsertExecution));
    bindExecution(stmt, execution, json);
    Status s = stmt.run();
    if (s.isOk()) return s;
    execution.revision = given;
    if (s.code() == StatusCode::kAlreadyExists) return internal::executionExists(execution.id);
    return s;
  }

  Status updateExecution(models::Execution& execution) override {
    uint64_t expected = execution.revision;
    execution.revision = expected + 1;
    std::string json = sqlite::encode(execution);
    Status s;
    for (const char* sql : {kUpdateExecutionUsual, kUpdateExecution}) {
      COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare(sql));
      bindExecution(stmt, execution, json);
      stmt.bind(9, expected);
      s = stmt.run();
      if (!s.isOk()) break;
      if (c_.changes() == 1) return s;
    }
    execution.revision = expected;
    COD_RETURN_IF_ERROR(s);
    COD_ASSIGN_OR_RETURN(uint64_t stored, sqlite::executionRevision(c_, execution.id));
    return internal::revisionConflict("execution", execution.id, expected, stored);
  }

  Status createEvaluation(const models::Evaluation& eval) override {
    COD_ASSIGN_OR_RETURN(
        Statement stmt,
        c_.prepare("INSERT INTO evaluations (id, job_id, status, json) VALUES (?1, ?2, ?3, ?4)"));
    stmt.bind(1, eval.id).bind(2, eval.job_id).bind(3, eval.status).bind(4, sqlite::encode(eval));
    Status s = stmt.run();
    if (s.code() == StatusCode::kAlreadyExists) return internal::evaluationExists(eval.id);
    return s;
  }

  Status updateEvaluation(const models::Evaluation& eval) override {
    COD_ASSIGN_OR_RETURN(
        Statement stmt,
        c_.prepare("UPDATE evaluations SET job_id = ?2, status = ?3, json = ?4 WHERE id = ?1"));
    stmt.bind(1, eval.id).bind(2, eval.job_id).bind(3, eval.status).bind(4, sqlite::encode(eval));
    COD_RETURN_IF_ERROR(stmt.run());
    if (c_.changes() == 0) return internal::evaluationNotFound(eval.id);
    return Status::ok();
  }

  Status addHistory(models::JobHistory& entry) override {
    {
      COD_ASSIGN_OR_RETURN(
          Statement stmt,
          c_.prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM history WHERE job_id = ?1"));
      stmt.bind(1, entry.job_id);
      COD_ASSIGN_OR_RETURN(bool row, stmt.step());
      COD_CHECK(row) << "an aggregate query returned no row";
      entry.seq_num = stmt.columnUint(0);
    }
    COD_ASSIGN_OR_RETURN(Statement stmt,
                         c_.prepare("INSERT INTO history (job_id, seq, json) VALUES (?1, ?2, ?3)"));
    stmt.bind(1, entry.job_id).bind(2, entry.seq_num).bind(3, sqlite::encode(entry));
    return stmt.run();
  }

  Status putNode(const models::NodeState& node) override {
    COD_ASSIGN_OR_RETURN(Statement stmt,
                         c_.prepare("INSERT INTO nodes (id, json) VALUES (?1, ?2) "
                                    "ON CONFLICT (id) DO UPDATE SET json = excluded.json"));
    stmt.bind(1, node.info.node_id).bind(2, sqlite::encode(node));
    return stmt.run();
  }

  Status deleteNode(const std::string& node_id) override {
    COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare("DELETE FROM nodes WHERE id = ?1"));
    stmt.bind(1, node_id);
    COD_RETURN_IF_ERROR(stmt.run());
    if (c_.changes() == 0) return internal::nodeNotFound(node_id);
    return Status::ok();
  }

  Status deleteJob(const std::string& job_id) override {
    {
      COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare("DELETE FROM jobs WHERE id = ?1"));
      stmt.bind(1, job_id);
      COD_RETURN_IF_ERROR(stmt.run());
      if (c_.changes() == 0) return internal::jobNotFound(job_id);
    }
    // Each by an index that starts with the job ID. Evaluations are not indexed by job: they go
    // by age (deleteEvaluationsBefore).
    for (const char* sql :
         {"DELETE FROM job_versions WHERE job_id = ?1", "DELETE FROM executions WHERE job_id = ?1",
          "DELETE FROM history WHERE job_id = ?1"}) {
      COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare(sql));
      stmt.bind(1, job_id);
      COD_RETURN_IF_ERROR(stmt.run());
    }
    return Status::ok();
  }

  Result<size_t> deleteEvaluationsBefore(Time before, size_t limit) override {
    // The primary key's order is the creation order: the range is the start of the table.
    COD_ASSIGN_OR_RETURN(
        Statement stmt,
        c_.prepare("DELETE FROM evaluations WHERE id IN (SELECT id FROM evaluations WHERE id < ?1 "
                   "AND status != ?2 LIMIT ?3)"));
    stmt.bind(1, timeOrderedUuidBound(before))
        .bind(2, std::string_view(models::kEvalStatusPending))
        .bind(3, static_cast<uint64_t>(limit));
    COD_RETURN_IF_ERROR(stmt.run());
    return static_cast<size_t>(c_.changes());
  }

 private:
  Status insertJob(const models::Job& job, const std::string& json) {
    {
      COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare(kInsertJob));
      bindJob(stmt, job, json);
      Status s = stmt.run();
      if (s.code() == StatusCode::kAlreadyExists) {
        if (sqlite::jobRevision(c_, job.id).isOk()) return internal::jobExists(job.id);
        return explainTaken(job, s);
      }
      COD_RETURN_IF_ERROR(s);
    }
    return putVersion(job, json, kPutVersion);
  }

  Status writeJob(const models::Job& job, const std::string& json, uint64_t expected) {
    bool written = false;
    for (const char* sql : {kUpdateJobUsual, kUpdateJob}) {
      COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare(sql));
      bindJob(stmt, job, json);
      stmt.bind(11, expected);
      Status s = stmt.run();
      if (s.code() == StatusCode::kAlreadyExists) return explainTaken(job, s);
      COD_RETURN_IF_ERROR(s);
      if (c_.changes() == 1) {
        written = true;
        break;
      }
    }
    if (!written) {
      COD_ASSIGN_OR_RETURN(uint64_t stored, sqlite::jobRevision(c_, job.id));
      return internal::revisionConflict("job", job.id, expected, stored);
    }
    // Versions only grow; a version already recorded keeps its first snapshot.
    return putVersion(job, json, kAddVersionIfNew);
  }

  Status putVersion(const models::Job& job, const std::string& json, const char* sql) {
    COD_ASSIGN_OR_RETURN(Statement stmt, c_.prepare(sql));
    stmt.bind(1, job.id).bind(2, job.version).bind(3, json);
    return stmt.run();
  }

  // Names the job that holds the name a unique-constraint violation was about.
  Status explainTaken(const models::Job& job, const Status& violation) {
    auto holder = sqlite::jobIdByName(c_, job.ns, job.name);
    if (holder.isOk()) return internal::jobNameTaken(job, *holder);
    return violation;
  }

  Connection& c_;
};

SqliteJobStore::SqliteJobStore(std::unique_ptr<sqlite::Connection> writer,
                               std::unique_ptr<sqlite::ReaderPool> readers)
    : writer_(std::move(writer)), readers_(std::move(readers)) {}

SqliteJobStore::~SqliteJobStore() = default;

Result<std::unique_ptr<SqliteJobStore>> SqliteJobStore::open(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return internal::storeError(internalError(fmt::format(
          "cannot create the directory {} for the job store: {}", parent.string(), ec.message())));
    }
  }
  COD_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                       Connection::open(path, /*read_only=*/false, sqlite::kBusyTimeoutMs));
  {
    COD_ASSIGN_OR_RETURN(Statement stmt, writer->prepare("PRAGMA journal_mode = WAL"));
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    std::string mode = row ? toLower(stmt.columnText(0)) : "";
    if (mode != "wal") {
      return internal::storeError(internalError(fmt::format(
          "cannot put the job store {} in WAL mode (journal mode is \"{}\")", path, mode)));
    }
  }
  COD_RETURN_IF_ERROR(writer->exec(
      "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;"
      // Checkpoint every ~4 MB of WAL (SQLite's default), not ~40 MB: the commit that crosses
      // the threshold runs the checkpoint, and a 40 MB one held every writer and the API threads
      // waiting on them for tens of milliseconds (open-loop submit p99 64 ms, describe p99 57 ms at
      // 500/s; 21 and 15 ms now). Copying a checkpoint to another thread's connection was worse:
      // with readers always active the WAL never restarted and grew past 200 MB. The WAL file is
      // truncated back to 64 MB when it restarts.
      "PRAGMA wal_autocheckpoint = 1000; PRAGMA journal_size_limit = 67108864;"
      // A 2 MiB page cache (SQLite's default size), not 32 MiB: the pages live in the OS's cache
      // anyway, and SQLite's own cache costs time in proportion to its size (its hash walks were
      // 11 % of the orchestrator's CPU with 32 MiB and 50,000 jobs stored). Completed jobs/s at
      // 15k/30k/45k jobs stored: 555/517/490 with 32 MiB, 686/675/640 with 2 MiB.
      "PRAGMA cache_size = -2048;"));
  COD_RETURN_IF_ERROR(sqlite::createSchema(*writer));
  int64_t page_size = 4096;
  {
    COD_ASSIGN_OR_RETURN(Statement stmt, writer->prepare("PRAGMA page_size"));
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (row) page_size = stmt.columnInt(0);
  }
  std::unique_ptr<SqliteJobStore> store(
      new SqliteJobStore(std::move(writer), std::make_unique<sqlite::ReaderPool>(path)));
  store->page_size_ = page_size;
  return store;
}

Status SqliteJobStore::update(const std::function<Status(Txn&)>& fn) {
  COD_CHECK(writer_thread_.load() != std::this_thread::get_id())
      << "SqliteJobStore::update() called from inside a transaction";
  PendingWrite me;
  me.fn = &fn;
  std::unique_lock lock(write_mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leader_) {
      write_cv_.wait(lock);
      continue;
    }
    // Lead: run everything queued so far (ours included), then hand over.
    leader_ = true;
    std::vector<PendingWrite*> batch;
    batch.swap(queue_);
    lock.unlock();
    runBatch(batch);
    lock.lock();
    // Only now, under the lock, may the callers see their result and leave: a caller that left
    // early could queue its next transaction at the same address while we still hold this one.
    for (PendingWrite* w : batch) w->done = true;
    leader_ = false;
    write_cv_.notify_all();
  }
  return me.status;
}

void SqliteJobStore::runBatch(std::vector<PendingWrite*>& batch) {
  writer_thread_ = std::this_thread::get_id();
  struct ClearWriter {
    std::atomic<std::thread::id>& id;
    ~ClearWriter() { id = std::thread::id(); }
  } clear_writer{writer_thread_};

  // Each transaction's outcome goes in its status; `settled` marks those that have one already
  // (they failed alone), so the commit's outcome goes to the others.
  std::vector<bool> settled(batch.size(), false);
  auto finish = [&](const Status& st) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!settled[i]) batch[i]->status = st;
    }
  };
  // A transaction left open by a failed ROLLBACK is ended before starting the next one.
  if (!writer_->autocommit()) (void)writer_->run("ROLLBACK");
  Status begun = writer_->run("BEGIN IMMEDIATE");
  if (!begun.isOk()) {
    finish(begun);
    return;
  }
  SqliteTxn txn(*writer_);
  // One transaction alone needs no savepoint: a failure rolls back the whole SQLite one.
  bool single = batch.size() == 1;
  for (size_t i = 0; i < batch.size(); ++i) {
    PendingWrite* w = batch[i];
    if (!single) {
      Status sp = writer_->run("SAVEPOINT w");
      if (!sp.isOk()) {
        w->status = sp;
        settled[i] = true;
        continue;
      }
    }
    Status st;
    try {
      st = (*w->fn)(txn);
    } catch (const std::exception& e) {
      st = internalError(std::string("transaction threw: ") + e.what()).withComponent("JobStore");
    } catch (...) {
      st = internalError("transaction threw").withComponent("JobStore");
    }
    if (st.isOk() && !single) st = writer_->run("RELEASE w");
    if (st.isOk()) continue;
    if (single) {
      (void)writer_->run("ROLLBACK");
      w->status = st;
      return;
    }
    (void)writer_->run("ROLLBACK TO w");
    (void)writer_->run("RELEASE w");
    w->status = st;
    settled[i] = true;
  }
  Status st = writer_->run("COMMIT");
  if (!st.isOk()) (void)writer_->run("ROLLBACK");
  finish(st);
  if (st.isOk()) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    uint64_t committed = 0;
    for (const PendingWrite* w : batch) committed += w->status.isOk() ? 1 : 0;
    transactions_.fetch_add(committed, std::memory_order_relaxed);
  }
  pages_written_.store(writer_->pagesWritten(), std::memory_order_relaxed);
}

StoreStats SqliteJobStore::stats() const {
  StoreStats out;
  out.transactions = transactions_.load(std::memory_order_relaxed);
  out.commits = commits_.load(std::memory_order_relaxed);
  out.pages_written = static_cast<uint64_t>(pages_written_.load(std::memory_order_relaxed));
  out.bytes_written = out.pages_written * static_cast<uint64_t>(page_size_);
  return out;
}

template <typename Fn>
auto SqliteJobStore::read(Fn&& fn) -> decltype(fn(std::declval<sqlite::Connection&>())) {
  COD_ASSIGN_OR_RETURN(auto lease, readers_->acquire());
  Connection& conn = *lease;
  COD_RETURN_IF_ERROR(conn.run("BEGIN"));
  auto result = fn(conn);
  Status end = conn.run("COMMIT");
  if (!end.isOk()) {
    (void)conn.run("ROLLBACK");
    if (result.isOk()) return end;
  }
  return result;
}

Result<models::Job> SqliteJobStore::getJob(const std::string& id) {
  return read([&](Connection& c) { return sqlite::getJob(c, id); });
}

Result<models::Job> SqliteJobStore::getJobVersion(const std::string& id, uint64_t version) {
  return read([&](Connection& c) { return sqlite::getJobVersion(c, id, version); });
}

Result<std::vector<models::Job>> SqliteJobStore::getJobVersions(const std::string& id) {
  return read([&](Connection& c) { return sqlite::getJobVersions(c, id); });
}

Result<models::Job> SqliteJobStore::resolveJob(const std::string& id_or_name,
                                               const std::string& ns) {
  return read([&](Connection& c) { return sqlite::resolveJob(c, id_or_name, ns); });
}

Result<JobList> SqliteJobStore::listJobs(const JobQuery& q) {
  return read([&](Connection& c) { return sqlite::listJobs(c, q); });
}

Result<models::Execution> SqliteJobStore::getExecution(const std::string& id) {
  return read([&](Connection& c) { return sqlite::getExecution(c, id); });
}

Result<std::vector<models::Execution>> SqliteJobStore::getExecutions(const ExecutionQuery& q) {
  return read([&](Connection& c) { return sqlite::getExecutions(c, q); });
}

Result<std::vector<models::Execution>> SqliteJobStore::getActiveExecutionsOnNode(
    const std::string& node_id) {
  return read([&](Connection& c) { return sqlite::getActiveExecutionsOnNode(c, node_id); });
}

Result<models::Evaluation> SqliteJobStore::getEvaluation(const std::string& id) {
  return read([&](Connection& c) { return sqlite::getEvaluation(c, id); });
}

Result<std::vector<models::Evaluation>> SqliteJobStore::getPendingEvaluations() {
  return read([&](Connection& c) { return sqlite::getPendingEvaluations(c); });
}

Result<HistoryPage> SqliteJobStore::getHistory(const HistoryQuery& q) {
  return read([&](Connection& c) { return sqlite::getHistory(c, q); });
}

Result<std::vector<std::string>> SqliteJobStore::listFinishedJobsBefore(Time before, size_t limit) {
  return read([&](Connection& c) { return sqlite::listFinishedJobsBefore(c, before, limit); });
}

Result<models::NodeState> SqliteJobStore::getNode(const std::string& node_id) {
  return read([&](Connection& c) { return sqlite::getNode(c, node_id); });
}

Result<std::vector<models::NodeState>> SqliteJobStore::listNodes() {
  return read([&](Connection& c) { return sqlite::listNodes(c); });
}

}  // namespace cod::store
