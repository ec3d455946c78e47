#pragma once

// A Plan is everything one evaluation decided: it is produced by a (pure) scheduler and applied
// atomically by the planner, with optimistic checks on the job's and each execution's revision.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/evaluation.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/job.h"
#include "transport/messages.h"

namespace cod::orchestrator {

struct Plan {
  models::Evaluation eval;
  // The job as the scheduler read it: job.revision is checked when the plan is applied.
  models::Job job;
  // Set when the job changes state.
  std::optional<models::JobState> new_job_state;
  std::vector<models::Execution> new_executions;
  // Changed executions; each carries the revision it was read at.
  std::vector<models::Execution> updated_executions;
  // Follow-up evaluations (delayed re-checks, the rest of a large job).
  std::vector<models::Evaluation> new_evaluations;
  std::vector<models::JobHistory> events;
  // Sent to compute nodes once the plan is committed: (node ID, message).
  std::vector<std::pair<std::string, transport::ToComputeMessage>> messages;
};

}  // namespace cod::orchestrator
