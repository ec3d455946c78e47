#pragma once

// The error codes (ComputeState.Details["ErrorCode"]) of executions that ended because their node
// went away, not because of their task: the orchestrator lost the node, the node lost the
// execution, or the node restarted while the execution was queued or running there.

#include "models/execution.h"

namespace cod::models {

inline constexpr const char* kErrorNodeLost = "Orchestrator:NodeLost";
inline constexpr const char* kErrorExecutionLost = "Orchestrator:ExecutionLost";
inline constexpr const char* kErrorNodeRestarted = "Compute:NodeRestarted";

// Failed with one of the codes above: lost with its node, not failed by its task.
bool lostWithNode(const Execution& e);

}  // namespace cod::models
