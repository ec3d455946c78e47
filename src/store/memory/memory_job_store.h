#pragma once

// A JobStore held in memory, for unit tests and benchmarks. Nothing survives the process.
//
// One reader-writer lock guards the maps: update() holds it exclusively for the whole transaction,
// reads share it. A transaction writes in place and keeps an undo log, which is replayed backwards
// when the function returns an error. Inside update(), use only the Txn: calling the store itself
// from the transaction's thread is a bug and crashes (it would deadlock otherwise).

#include <atomic>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/job_store.h"

namespace cod::store {

class MemoryJobStore final : public JobStore {
 public:
  MemoryJobStore();
  ~MemoryJobStore() override;
  MemoryJobStore(const MemoryJobStore&) = delete;
  MemoryJobStore& operator=(const MemoryJobStore&) = delete;

  Status update(const std::function<Status(Txn&)>& fn) override;

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
  struct State;
  class MemoryTxn;

  // Takes the shared lock for a read from outside a transaction.
  std::shared_lock<std::shared_mutex> readLock() const;

  mutable std::shared_mutex mu_;
  // The thread running update(), to catch re-entrant calls.
  std::atomic<std::thread::id> writer_{};
  std::unique_ptr<State> state_;
};

}  // namespace cod::store
