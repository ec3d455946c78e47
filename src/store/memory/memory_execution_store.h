#pragma once

#include <map>
#include <mutex>

#include "store/execution_store.h"

namespace cod::store {

// ExecutionStore in a map: for tests and in-process compute nodes that need no crash recovery.
class MemoryExecutionStore final : public ExecutionStore {
 public:
  Status put(const LocalExecution& execution) override;
  Result<LocalExecution> get(const std::string& id) override;
  Result<std::vector<LocalExecution>> list() override;
  Status remove(const std::string& id) override;

 private:
  std::mutex mu_;
  std::map<std::string, LocalExecution> executions_;
};

}  // namespace cod::store
