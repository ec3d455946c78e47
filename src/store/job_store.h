#pragma once

// The orchestrator's durable state: jobs (with every spec version), executions, evaluations, job
// history and known nodes. The store is the single source of truth; everything else is rebuilt
// from it after a restart.
//
// Thread-safety: every method may be called from any thread. Reads outside a transaction see the
// last committed state. Writes happen only inside update(), which runs its function as one atomic
// transaction (one writer at a time); the function's reads see its own writes.
//
// Revisions: Job.Revision and Execution.Revision are optimistic-concurrency counters owned by the
// store. create* stores revision 1; update* requires the given object's revision to equal the
// stored one (else Aborted "… revision conflict …") and stores revision + 1, writing the new value
// back into the caller's object.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "models/evaluation.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/job.h"
#include "models/label_selector.h"
#include "models/node.h"

namespace cod::store {

struct JobQuery {
  // "" or "*" = every namespace.
  std::string ns{};
  // "created_at" (default) or "modified_at"; the store rejects others with InvalidArgument.
  std::string order_by{};
  bool reverse = false;
  // Applied after sorting; jobs whose Labels do not match are skipped.
  std::optional<models::LabelSelector> selector{};
  // Only jobs in these states; empty = any.
  std::vector<models::JobStateType> states{};
  // Keyset paging: only jobs that sort after this one in the query's order (by its create or
  // modify time, then its ID; before it when reverse). A walk that passes each page's last job
  // reads every row once, where offsets would read the skipped rows again on each page.
  struct Cursor {
    int64_t time = 0;  // Unix ns: CreateTime or ModifyTime, as order_by says
    std::string id{};
  };
  std::optional<Cursor> after{};
  uint64_t offset = 0;  // index into the filtered, sorted list (after `after`)
  uint64_t limit = 0;   // 0 = no limit
};

struct JobList {
  std::vector<models::Job> items;
  bool has_more = false;  // more items exist after offset + limit
};

struct ExecutionQuery {
  std::string job_id{};
  // 0 = the job's latest version, unless all_versions.
  uint64_t job_version = 0;
  bool all_versions = false;
};

enum class HistoryEventType { kAll, kJob, kExecution };

struct HistoryQuery {
  std::string job_id{};
  uint64_t offset = 0;  // the first SeqNum to return (items with SeqNum ≥ offset)
  uint64_t limit = 0;   // 0 = no limit
  HistoryEventType event_type = HistoryEventType::kAll;
  std::string execution_id_prefix{};  // "" = any
  // 0 = the job's latest version, unless all_versions.
  uint64_t job_version = 0;
  bool all_versions = false;
  Time since{};  // skip items whose Time is earlier; zero = no bound
};

struct HistoryPage {
  std::vector<models::JobHistory> items;
  uint64_t next_offset = 0;  // SeqNum to continue from (last returned + 1, or query offset)
  bool has_more = false;     // more stored items match after this page
};

// The writes (and reads) available inside one transaction.
class Txn {
 public:
  virtual ~Txn() = default;

  virtual Result<models::Job> getJob(const std::string& id) = 0;
  virtual Result<models::Execution> getExecution(const std::string& id) = 0;
  virtual Result<std::vector<models::Execution>> getExecutions(const ExecutionQuery& q) = 0;
  virtual Result<models::Evaluation> getEvaluation(const std::string& id) = 0;
  // Finds a job by (namespace, name); NotFound if none.
  virtual Result<models::Job> getJobByName(const std::string& ns, const std::string& name) = 0;

  // AlreadyExists when the ID, or the name within the namespace, is taken. Also records the job as
  // version job.version. Sets job.revision = 1.
  virtual Status createJob(models::Job& job) = 0;
  // Revision-checked (see above). When job.version differs from the stored one, the new version's
  // spec is recorded too.
  virtual Status updateJob(models::Job& job) = 0;
  virtual Status createExecution(models::Execution& execution) = 0;
  virtual Status updateExecution(models::Execution& execution) = 0;
  virtual Status createEvaluation(const models::Evaluation& eval) = 0;
  // Overwrites (no revision); NotFound if absent.
  virtual Status updateEvaluation(const models::Evaluation& eval) = 0;
  // Appends to the job's history; assigns and writes back entry.seq_num (1, 2, … per job).
  virtual Status addHistory(models::JobHistory& entry) = 0;
  virtual Status putNode(const models::NodeState& node) = 0;
  virtual Status deleteNode(const std::string& node_id) = 0;
  // Removes a job with what is recorded under it: its versions, executions and history; its name
  // is free again. NotFound when there is no such job. (Job retention; evaluations go by age,
  // below.)
  virtual Status deleteJob(const std::string& job_id) = 0;
  // Removes up to `limit` evaluations that are not pending and were created before `before`,
  // judged by their time-ordered IDs (newEvaluationId); returns how many. Evaluations with IDs of
  // another form (random ones written by an older cod) go when their text sorts below the bound.
  virtual Result<size_t> deleteEvaluationsBefore(Time before, size_t limit) = 0;
};

// What a store has written since it opened: for benchmarks and GET /api/v1/agent/debug.
struct StoreStats {
  uint64_t transactions = 0;  // update() calls that committed
  uint64_t commits = 0;       // database commits (group commit folds several transactions)
  uint64_t pages_written = 0;
  uint64_t bytes_written = 0;  // pages_written × the page size
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  // Zero where the store does not count.
  virtual StoreStats stats() const { return {}; }

  // Runs fn as one transaction: committed when fn returns OK, rolled back (nothing written) when it
  // returns an error, which update() then returns.
  virtual Status update(const std::function<Status(Txn&)>& fn) = 0;

  virtual Result<models::Job> getJob(const std::string& id) = 0;
  // The spec as it was at `version`; NotFound if that version does not exist.
  virtual Result<models::Job> getJobVersion(const std::string& id, uint64_t version) = 0;
  // Every stored version, oldest first.
  virtual Result<std::vector<models::Job>> getJobVersions(const std::string& id) = 0;
  // Finds a job by full ID, by name within `ns` ("" = "default"), or by a unique ID prefix.
  // NotFound when nothing matches; FailedPrecondition with errorCode "MultipleJobsFound" naming
  // the matches when a prefix is ambiguous.
  virtual Result<models::Job> resolveJob(const std::string& id_or_name, const std::string& ns) = 0;
  virtual Result<JobList> listJobs(const JobQuery& q) = 0;

  virtual Result<models::Execution> getExecution(const std::string& id) = 0;
  // Ordered by CreateTime, then ID.
  virtual Result<std::vector<models::Execution>> getExecutions(const ExecutionQuery& q) = 0;
  // Non-terminal executions on a node (for node-loss handling and reconciliation).
  virtual Result<std::vector<models::Execution>> getActiveExecutionsOnNode(
      const std::string& node_id) = 0;

  virtual Result<models::Evaluation> getEvaluation(const std::string& id) = 0;
  // Evaluations with status pending (due or delayed): the broker reloads them on start.
  virtual Result<std::vector<models::Evaluation>> getPendingEvaluations() = 0;

  virtual Result<HistoryPage> getHistory(const HistoryQuery& q) = 0;

  // IDs of up to `limit` jobs that ended (Completed, Failed or Stopped) and were last modified
  // before `before`, for retention; which ones, when more match, is unspecified.
  virtual Result<std::vector<std::string>> listFinishedJobsBefore(Time before, size_t limit) = 0;

  virtual Result<models::NodeState> getNode(const std::string& node_id) = 0;
  virtual Result<std::vector<models::NodeState>> listNodes() = 0;
};

// Calls fn with every job `q` matches, in its order, reading `page` jobs at a time (q.after and
// q.limit are the walk's own; q.offset must be 0), so that a walk over a large backlog holds one
// page in memory. Jobs created or changed while it walks may or may not be seen (by modify time,
// a job changed during the walk can be seen twice). Stops at fn's first error or the store's, and
// returns it.
Status forEachJob(JobStore& store, JobQuery q, size_t page,
                  const std::function<Status(const models::Job&)>& fn);

// forEachJob over every Pending, Queued and Running job, oldest first, 256 at a time.
Status forEachUnfinishedJob(JobStore& store, const std::function<Status(const models::Job&)>& fn);

}  // namespace cod::store
