#pragma once

// Builders for job history entries with Bacalhau's topics and messages (reference §5.13), so that
// every component words the same event the same way.

#include <string>

#include "common/clock.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/job.h"

namespace cod::orchestrator::events {

models::JobHistory jobEvent(const models::Job& job, Time now, std::string topic,
                            std::string message, models::StringMap details = {});

models::JobHistory executionEvent(const models::Execution& execution, Time now, std::string topic,
                                  std::string message, models::StringMap details = {});

// "Completed", or "Failed. <reason>"; Details NewState.
models::JobHistory jobStateChanged(const models::Job& job, Time now, models::JobStateType state,
                                   const std::string& reason);

// An error event: IsError, and Hint / FailsExecution / Retryable / ErrorCode when given.
models::StringMap errorDetails(const std::string& hint, bool fails_execution, bool retryable,
                               const std::string& error_code = "");

}  // namespace cod::orchestrator::events
