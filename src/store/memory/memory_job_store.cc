#include "store/memory/memory_job_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <ranges>
#include <set>
#include <unordered_map>
#include <utility>

#include "common/check.h"
#include "common/ids.h"
#include "common/strings.h"
#include "store/query_rules.h"

namespace cod::store {

namespace {

using internal::wantedVersion;

// Executions are indexed in the order getExecutions returns them: create time, then ID.
using ExecKey = std::pair<int64_t, std::string>;
using ExecIndex = std::unordered_map<std::string, std::set<ExecKey>>;

std::string nameKey(const std::string& ns, const std::string& name) {
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).push_back('\0');
  key.append(name);
  return key;
}

void addToIndex(ExecIndex& index, const std::string& key, const models::Execution& e) {
  index[key].emplace(e.create_time, e.id);
}

void removeFromIndex(ExecIndex& index, const std::string& key, const models::Execution& e) {
  auto it = index.find(key);
  if (it == index.end()) return;
  it->second.erase(ExecKey(e.create_time, e.id));
  if (it->second.empty()) index.erase(it);
}

}  // namespace

// Every map of the store, and the reads that both transactions and plain reads use.
struct MemoryJobStore::State {
  std::map<std::string, models::Job> jobs;                 // ordered, for ID prefix lookups
  std::unordered_map<std::string, std::string> job_names;  // nameKey(ns, name) → ID
  std::unordered_map<std::string, std::map<uint64_t, models::Job>> versions;
  std::unordered_map<std::string, models::Execution> executions;  // stored without `job`
  ExecIndex executions_by_job;
  ExecIndex active_by_node;  // non-terminal executions only
  std::unordered_map<std::string, models::Evaluation> evaluations;
  std::set<std::string> pending_evaluations;
  std::unordered_map<std::string, std::vector<models::JobHistory>> history;  // SeqNum order
  std::map<std::string, models::NodeState> nodes;

  const models::Job* findJob(const std::string& id) const {
    auto it = jobs.find(id);
    return it == jobs.end() ? nullptr : &it->second;
  }

  Result<models::Job> getJob(const std::string& id) const {
    const models::Job* job = findJob(id);
    if (job == nullptr) return internal::jobNotFound(id);
    return *job;
  }

  const models::Job* findJobByName(const std::string& ns, const std::string& name) const {
    if (name.empty()) return nullptr;
    auto it = job_names.find(nameKey(internal::nameNamespace(ns), name));
    return it == job_names.end() ? nullptr : findJob(it->second);
  }

  Result<models::Job> getJobByName(const std::string& ns, const std::string& name) const {
    const models::Job* job = findJobByName(ns, name);
    if (job == nullptr) return internal::jobNotFound(name);
    return *job;
  }

  Result<models::Execution> getExecution(const std::string& id) const {
    auto it = executions.find(id);
    if (it == executions.end()) return internal::executionNotFound(id);
    return it->second;
  }

  Result<std::vector<models::Execution>> getExecutions(const ExecutionQuery& q) const {
    const models::Job* job = findJob(q.job_id);
    if (job == nullptr) return internal::jobNotFound(q.job_id);
    uint64_t version = wantedVersion(q.job_version, q.all_versions, job->version);
    std::vector<models::Execution> out;
    auto it = executions_by_job.find(q.job_id);
    if (it == executions_by_job.end()) return out;
    for (const auto& [create_time, id] : it->second) {
      const models::Execution& e = executions.at(id);
      if (version == 0 || e.job_version == version) out.push_back(e);
    }
    return out;
  }

  Result<models::Evaluation> getEvaluation(const std::string& id) const {
    auto it = evaluations.find(id);
    if (it == evaluations.end()) return internal::evaluationNotFound(id);
    return it->second;
  }

  void indexExecution(const models::Execution& e) {
    addToIndex(executions_by_job, e.job_id, e);
    if (!e.isTerminal()) addToIndex(active_by_node, e.node_id, e);
  }

  void unindexExecution(const models::Execution& e) {
    removeFromIndex(executions_by_job, e.job_id, e);
    if (!e.isTerminal()) removeFromIndex(active_by_node, e.node_id, e);
  }

  void indexEvaluation(const models::Evaluation& eval) {
    if (eval.status == models::kEvalStatusPending) pending_evaluations.insert(eval.id);
  }

  void unindexEvaluation(const models::Evaluation& eval) { pending_evaluations.erase(eval.id); }
};

// Writes in place and records how to undo each write; rollback() replays the log backwards.
// Every write validates before it changes anything, so a failed write leaves nothing to undo.
class MemoryJobStore::MemoryTxn final : public Txn {
 public:
  explicit MemoryTxn(State& state) : s_(state) {}

  void rollback() {
    for (size_t i = undo_.size(); i-- > 0;) undo_[i]();
    undo_.clear();
  }

  Result<models::Job> getJob(const std::string& id) override { return s_.getJob(id); }
  Result<models::Execution> getExecution(const std::string& id) override {
    return s_.getExecution(id);
  }
  Result<std::vector<models::Execution>> getExecutions(const ExecutionQuery& q) override {
    return s_.getExecutions(q);
  }
  Result<models::Evaluation> getEvaluation(const std::string& id) override {
    return s_.getEvaluation(id);
  }
  Result<models::Job> getJobByName(const std::string& ns, const std::string& name) override {
    return s_.getJobByName(ns, name);
  }

  Status createJob(models::Job& job) override {
    if (s_.jobs.contains(job.id)) return internal::jobExists(job.id);
    std::string key = nameKey(job.ns, job.name);
    if (!job.name.empty()) {
      if (auto it = s_.job_names.find(key); it != s_.job_names.end()) {
        return internal::jobNameTaken(job, it->second);
      }
      s_.job_names.emplace(key, job.id);
    }
    job.revision = 1;
    s_.jobs.emplace(job.id, job);
    s_.versions[job.id].emplace(job.version, job);
    undo_.emplace_back([this, id = job.id, key = std::move(key)] {
      s_.jobs.erase(id);
      s_.job_names.erase(key);
      s_.versions.erase(id);
    });
    return Status::ok();
  }

  Status updateJob(models::Job& job) override {
    auto it = s_.jobs.find(job.id);
    if (it == s_.jobs.end()) return internal::jobNotFound(job.id);
    models::Job& stored = it->second;
    if (job.revision != stored.revision) {
      return internal::revisionConflict("job", job.id, job.revision, stored.revision);
    }
    bool renamed = job.ns != stored.ns || job.name != stored.name;
    if (renamed && !job.name.empty()) {
      auto taken = s_.job_names.find(nameKey(job.ns, job.name));
      if (taken != s_.job_names.end() && taken->second != job.id) {
        return internal::jobNameTaken(job, taken->second);
      }
    }
    if (renamed) {
      std::string old_key = nameKey(stored.ns, stored.name);
      std::string new_key = nameKey(job.ns, job.name);
      if (!stored.name.empty()) s_.job_names.erase(old_key);
      if (!job.name.empty()) s_.job_names.emplace(new_key, job.id);
      undo_.emplace_back([this, id = job.id, old_key, new_key, had_old = !stored.name.empty()] {
        s_.job_names.erase(new_key);
        if (had_old) s_.job_names.emplace(old_key, id);
      });
    }
    job.revision = stored.revision + 1;
    models::Job old = std::exchange(stored, job);
    undo_.emplace_back([this, old = std::move(old)] { s_.jobs[old.id] = old; });
    auto& versions = s_.versions[job.id];
    if (versions.emplace(job.version, job).second) {
      undo_.emplace_back([this, id = job.id, v = job.version] { s_.versions[id].erase(v); });
    }
    return Status::ok();
  }

  Status createExecution(models::Execution& execution) override {
    if (s_.executions.contains(execution.id)) return internal::executionExists(execution.id);
    execution.revision = 1;
    models::Execution& stored = s_.executions.emplace(execution.id, execution).first->second;
    stored.job = nullptr;
    s_.indexExecution(stored);
    undo_.emplace_back([this, id = execution.id] {
      auto it = s_.executions.find(id);
      s_.unindexExecution(it->second);
      s_.executions.erase(it);
    });
    return Status::ok();
  }

  Status updateExecution(models::Execution& execution) override {
    auto it = s_.executions.find(execution.id);
    if (it == s_.executions.end()) return internal::executionNotFound(execution.id);
    models::Execution& stored = it->second;
    if (execution.revision != stored.revision) {
      return internal::revisionConflict("execution", execution.id, execution.revision,
                                        stored.revision);
    }
    execution.revision = stored.revision + 1;
    s_.unindexExecution(stored);
    models::Execution old = std::exchange(stored, execution);
    stored.job = nullptr;
    s_.indexExecution(stored);
    undo_.emplace_back([this, old = std::move(old)] {
      models::Execution& current = s_.executions.at(old.id);
      s_.unindexExecution(current);
      current = old;
      s_.indexExecution(current);
    });
    return Status::ok();
  }

  Status createEvaluation(const models::Evaluation& eval) override {
    if (s_.evaluations.contains(eval.id)) return internal::evaluationExists(eval.id);
    s_.evaluations.emplace(eval.id, eval);
    s_.indexEvaluation(eval);
    undo_.emplace_back([this, eval] {
      s_.unindexEvaluation(eval);
      s_.evaluations.erase(eval.id);
    });
    return Status::ok();
  }

  Status updateEvaluation(const models::Evaluation& eval) override {
    auto it = s_.evaluations.find(eval.id);
    if (it == s_.evaluations.end()) return internal::evaluationNotFound(eval.id);
    s_.unindexEvaluation(it->second);
    models::Evaluation old = std::exchange(it->second, eval);
    s_.indexEvaluation(eval);
    undo_.emplace_back([this, old = std::move(old)] {
      models::Evaluation& current = s_.evaluations.at(old.id);
      s_.unindexEvaluation(current);
      current = old;
      s_.indexEvaluation(current);
    });
    return Status::ok();
  }

  Status addHistory(models::JobHistory& entry) override {
    auto& items = s_.history[entry.job_id];
    entry.seq_num = items.empty() ? 1 : items.back().seq_num + 1;
    items.push_back(entry);
    undo_.emplace_back([this, job_id = entry.job_id] {
      auto it = s_.history.find(job_id);
      it->second.pop_back();
      if (it->second.empty()) s_.history.erase(it);
    });
    return Status::ok();
  }

  Status putNode(const models::NodeState& node) override {
    const std::string& id = node.info.node_id;
    auto it = s_.nodes.find(id);
    if (it == s_.nodes.end()) {
      s_.nodes.emplace(id, node);
      undo_.emplace_back([this, id] { s_.nodes.erase(id); });
    } else {
      models::NodeState old = std::exchange(it->second, node);
      undo_.emplace_back([this, old = std::move(old)] { s_.nodes[old.info.node_id] = old; });
    }
    return Status::ok();
  }

  Status deleteNode(const std::string& node_id) override {
    auto it = s_.nodes.find(node_id);
    if (it == s_.nodes.end()) return internal::nodeNotFound(node_id);
    models::NodeState old = std::move(it->second);
    s_.nodes.erase(it);
    undo_.emplace_back([this, old = std::move(old)] { s_.nodes[old.info.node_id] = old; });
    return Status::ok();
  }

  Status deleteJob(const std::string& job_id) override {
    auto job = s_.jobs.find(job_id);
    if (job == s_.jobs.end()) return internal::jobNotFound(job_id);
    // Everything goes into one record that the undo puts back as it was.
    struct Removed {
      models::Job job;
      std::map<uint64_t, models::Job> versions;
      std::vector<models::Execution> executions;
      std::vector<models::JobHistory> history;
    };
    auto removed = std::make_shared<Removed>();
    removed->job = std::move(job->second);
    s_.jobs.erase(job);
    if (!removed->job.name.empty()) s_.job_names.erase(nameKey(removed->job.ns, removed->job.name));
    if (auto it = s_.versions.find(job_id); it != s_.versions.end()) {
      removed->versions = std::move(it->second);
      s_.versions.erase(it);
    }
    if (auto it = s_.executions_by_job.find(job_id); it != s_.executions_by_job.end()) {
      std::set<ExecKey> keys = it->second;
      for (const auto& [create_time, id] : keys) {
        auto e = s_.executions.find(id);
        s_.unindexExecution(e->second);
        removed->executions.push_back(std::move(e->second));
        s_.executions.erase(e);
      }
    }
    if (auto it = s_.history.find(job_id); it != s_.history.end()) {
      removed->history = std::move(it->second);
      s_.history.erase(it);
    }
    undo_.emplace_back([this, removed] {
      const models::Job& j = removed->job;
      if (!j.name.empty()) s_.job_names.emplace(nameKey(j.ns, j.name), j.id);
      if (!removed->versions.empty()) s_.versions[j.id] = removed->versions;
      for (const models::Execution& e : removed->executions) {
        s_.indexExecution(s_.executions.emplace(e.id, e).first->second);
      }
      if (!removed->history.empty()) s_.history[j.id] = removed->history;
      s_.jobs.emplace(j.id, j);
    });
    return Status::ok();
  }

  Result<size_t> deleteEvaluationsBefore(Time before, size_t limit) override {
    std::string bound = timeOrderedUuidBound(before);
    std::vector<models::Evaluation> removed;
    for (auto it = s_.evaluations.begin(); it != s_.evaluations.end() && removed.size() < limit;) {
      if (it->first < bound && it->second.status != models::kEvalStatusPending) {
        removed.push_back(std::move(it->second));
        it = s_.evaluations.erase(it);
      } else {
        ++it;
      }
    }
    size_t n = removed.size();
    undo_.emplace_back([this, removed = std::move(removed)] {
      for (const models::Evaluation& e : removed) s_.evaluations.emplace(e.id, e);
    });
    return n;
  }

 private:
  State& s_;
  std::vector<std::function<void()>> undo_;
};

MemoryJobStore::MemoryJobStore() : state_(std::make_unique<State>()) {}

MemoryJobStore::~MemoryJobStore() = default;

std::shared_lock<std::shared_mutex> MemoryJobStore::readLock() const {
  COD_CHECK(writer_.load() != std::this_thread::get_id())
      << "MemoryJobStore read from inside update(): use the Txn";
  return std::shared_lock(mu_);
}

Status MemoryJobStore::update(const std::function<Status(Txn&)>& fn) {
  COD_CHECK(writer_.load() != std::this_thread::get_id())
      << "MemoryJobStore::update() called from inside a transaction";
  std::unique_lock lock(mu_);
  writer_ = std::this_thread::get_id();
  MemoryTxn txn(*state_);
  Status status;
  try {
    status = fn(txn);
  } catch (...) {
    txn.rollback();
    writer_ = std::thread::id();
    throw;
  }
  if (!status.isOk()) txn.rollback();
  writer_ = std::thread::id();
  return status;
}

Result<models::Job> MemoryJobStore::getJob(const std::string& id) {
  auto lock = readLock();
  return state_->getJob(id);
}

Result<models::Job> MemoryJobStore::getJobVersion(const std::string& id, uint64_t version) {
  auto lock = readLock();
  auto it = state_->versions.find(id);
  if (it == state_->versions.end()) return internal::jobNotFound(id);
  auto v = it->second.find(version);
  if (v == it->second.end()) return internal::jobVersionNotFound(id, version);
  return v->second;
}

Result<std::vector<models::Job>> MemoryJobStore::getJobVersions(const std::string& id) {
  auto lock = readLock();
  auto it = state_->versions.find(id);
  if (it == state_->versions.end()) return internal::jobNotFound(id);
  std::vector<models::Job> out;
  out.reserve(it->second.size());
  for (const auto& [version, job] : it->second) out.push_back(job);
  return out;
}

Result<models::Job> MemoryJobStore::resolveJob(const std::string& id_or_name,
                                               const std::string& ns) {
  if (id_or_name.empty()) {
    return internal::storeError(invalidArgument("job ID or name is empty"));
  }
  auto lock = readLock();
  if (const models::Job* job = state_->findJob(id_or_name)) return *job;
  if (const models::Job* job = state_->findJobByName(ns, id_or_name)) return *job;
  std::vector<const models::Job*> matches;
  for (auto it = state_->jobs.lower_bound(id_or_name);
       it != state_->jobs.end() && startsWith(it->first, id_or_name); ++it) {
    if (internal::isAllNamespaces(ns) || it->second.ns == ns) matches.push_back(&it->second);
  }
  if (matches.empty()) return internal::jobNotFound(id_or_name);
  if (matches.size() == 1) return *matches.front();
  std::vector<std::string> ids;
  ids.reserve(matches.size());
  for (const models::Job* job : matches) ids.push_back(job->id);
  return internal::ambiguousJobPrefix(id_or_name, ids);
}

Result<JobList> MemoryJobStore::listJobs(const JobQuery& q) {
  COD_ASSIGN_OR_RETURN(internal::JobOrder order, internal::parseJobOrder(q.order_by));
  auto lock = readLock();
  std::vector<const models::Job*> sorted;
  sorted.reserve(state_->jobs.size());
  for (const auto& [id, job] : state_->jobs) {
    if ((internal::isAllNamespaces(q.ns) || job.ns == q.ns) &&
        internal::pastCursor(q, order, job)) {
      sorted.push_back(&job);
    }
  }
  auto key = [order](const models::Job* j) {
    return std::pair<int64_t, const std::string&>(
        order == internal::JobOrder::kCreateTime ? j->create_time : j->modify_time, j->id);
  };
  std::sort(sorted.begin(), sorted.end(), [&](const models::Job* a, const models::Job* b) {
    return q.reverse ? key(b) < key(a) : key(a) < key(b);
  });
  internal::Pager<const models::Job*> pager(q.offset, q.limit);
  for (const models::Job* job : sorted) {
    if (internal::jobMatches(q, *job) && !pager.add(job)) break;
  }
  JobList list;
  list.has_more = pager.hasMore();
  for (const models::Job* job : std::move(pager).take()) list.items.push_back(*job);
  return list;
}

Result<std::vector<std::string>> MemoryJobStore::listFinishedJobsBefore(Time before, size_t limit) {
  auto lock = readLock();
  std::vector<std::string> ids;
  for (const auto& [id, job] : state_->jobs) {
    if (ids.size() >= limit) break;
    if (models::isTerminal(job.state.state_type) && job.modify_time < toUnixNanos(before)) {
      ids.push_back(id);
    }
  }
  return ids;
}

Result<models::Execution> MemoryJobStore::getExecution(const std::string& id) {
  auto lock = readLock();
  return state_->getExecution(id);
}

Result<std::vector<models::Execution>> MemoryJobStore::getExecutions(const ExecutionQuery& q) {
  auto lock = readLock();
  return state_->getExecutions(q);
}

Result<std::vector<models::Execution>> MemoryJobStore::getActiveExecutionsOnNode(
    const std::string& node_id) {
  auto lock = readLock();
  std::vector<models::Execution> out;
  auto it = state_->active_by_node.find(node_id);
  if (it == state_->active_by_node.end()) return out;
  for (const auto& [create_time, id] : it->second) out.push_back(state_->executions.at(id));
  return out;
}

Result<models::Evaluation> MemoryJobStore::getEvaluation(const std::string& id) {
  auto lock = readLock();
  return state_->getEvaluation(id);
}

Result<std::vector<models::Evaluation>> MemoryJobStore::getPendingEvaluations() {
  auto lock = readLock();
  std::vector<models::Evaluation> out;
  out.reserve(state_->pending_evaluations.size());
  for (const std::string& id : state_->pending_evaluations) {
    out.push_back(state_->evaluations.at(id));
  }
  return out;
}

Result<HistoryPage> MemoryJobStore::getHistory(const HistoryQuery& q) {
  auto lock = readLock();
  const models::Job* job = state_->findJob(q.job_id);
  if (job == nullptr) return internal::jobNotFound(q.job_id);
  uint64_t version = wantedVersion(q.job_version, q.all_versions, job->version);
  internal::HistoryPager pager(q);
  auto it = state_->history.find(q.job_id);
  if (it != state_->history.end()) {
    const auto& items = it->second;
    auto first =
        std::lower_bound(items.begin(), items.end(), q.offset,
                         [](const models::JobHistory& h, uint64_t seq) { return h.seq_num < seq; });
    for (auto item = first; item != items.end(); ++item) {
      if (internal::historyMatches(q, version, *item) && !pager.add(*item)) break;
    }
  }
  return std::move(pager).finish();
}

Result<models::NodeState> MemoryJobStore::getNode(const std::string& node_id) {
  auto lock = readLock();
  auto it = state_->nodes.find(node_id);
  if (it == state_->nodes.end()) return internal::nodeNotFound(node_id);
  return it->second;
}

Result<std::vector<models::NodeState>> MemoryJobStore::listNodes() {
  auto lock = readLock();
  std::vector<models::NodeState> out;
  out.reserve(state_->nodes.size());
  for (const auto& [id, node] : state_->nodes) out.push_back(node);
  return out;
}

}  // namespace cod::store
