#pragma once

// A compute node's record of the executions it holds, so that after a crash it knows what it was
// doing: what to clean up, what to report. Implementations: `memory/` (tests, devstack) and
// `sqlite/` (durable).
//
// Thread-safety: every method may be called from any thread.

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "models/execution.h"
#include "models/resources.h"

namespace cod::store {

struct LocalExecution {
  // The execution with its job snapshot; compute_state is this node's view of it.
  models::Execution execution;
  models::Resources resources;  // reserved for it on this node
  // The outcome, kept so a lost report can be sent again.
  std::string bid_reason;  // why the bid was declined
  models::RunCommandResult result;
  models::SpecConfig published_result;
  std::string error;
  std::string error_code;
  std::string hint;
  bool retryable = true;
  Time updated{};

  const std::string& id() const { return execution.id; }
  models::ExecutionStateType state() const { return execution.compute_state.state_type; }
  bool operator==(const LocalExecution&) const = default;
};

class ExecutionStore {
 public:
  virtual ~ExecutionStore() = default;
  // Inserts or replaces.
  virtual Status put(const LocalExecution& execution) = 0;
  virtual Result<LocalExecution> get(const std::string& id) = 0;
  virtual Result<std::vector<LocalExecution>> list() = 0;
  // NotFound when absent.
  virtual Status remove(const std::string& id) = 0;
};

}  // namespace cod::store
