#include "store/memory/memory_execution_store.h"

namespace cod::store {

Status MemoryExecutionStore::put(const LocalExecution& execution) {
  std::lock_guard lock(mu_);
  executions_[execution.id()] = execution;
  return Status::ok();
}

Result<LocalExecution> MemoryExecutionStore::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = executions_.find(id);
  if (it == executions_.end()) return notFound("execution not found: " + id);
  return it->second;
}

Result<std::vector<LocalExecution>> MemoryExecutionStore::list() {
  std::lock_guard lock(mu_);
  std::vector<LocalExecution> out;
  out.reserve(executions_.size());
  for (const auto& [id, e] : executions_) out.push_back(e);
  return out;
}

Status MemoryExecutionStore::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  if (executions_.erase(id) == 0) return notFound("execution not found: " + id);
  return Status::ok();
}

}  // namespace cod::store
