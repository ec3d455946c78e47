#include "orchestrator/events.h"

namespace cod::orchestrator::events {

models::JobHistory jobEvent(const models::Job& job, Time now, std::string topic,
                            std::string message, models::StringMap details) {
  models::JobHistory h;
  h.type = models::JobHistoryType::kJobLevel;
  h.job_id = job.id;
  h.job_version = job.version;
  h.event.topic = std::move(topic);
  h.event.message = std::move(message);
  h.event.timestamp = now;
  h.event.details = std::move(details);
  h.time = now;
  return h;
}

models::JobHistory executionEvent(const models::Execution& execution, Time now, std::string topic,
                                  std::string message, models::StringMap details) {
  models::JobHistory h;
  h.type = models::JobHistoryType::kExecutionLevel;
  h.job_id = execution.job_id;
  h.job_version = execution.job_version;
  h.execution_id = execution.id;
  h.event.topic = std::move(topic);
  h.event.message = std::move(message);
  h.event.timestamp = now;
  h.event.details = std::move(details);
  h.time = now;
  return h;
}

models::JobHistory jobStateChanged(const models::Job& job, Time now, models::JobStateType state,
                                   const std::string& reason) {
  std::string message = models::jobStateName(state);
  if (!reason.empty()) message += ". " + reason;
  models::StringMap details{{models::kDetailNewState, models::jobStateName(state)}};
  if (state == models::JobStateType::kFailed) details[models::kDetailIsError] = "true";
  return jobEvent(job, now, models::kTopicStateUpdate, std::move(message), std::move(details));
}

models::StringMap errorDetails(const std::string& hint, bool fails_execution, bool retryable,
                               const std::string& error_code) {
  models::StringMap d{{models::kDetailIsError, "true"}};
  if (!hint.empty()) d[models::kDetailHint] = hint;
  if (fails_execution) d[models::kDetailFailsExecution] = "true";
  if (retryable) d[models::kDetailRetryable] = "true";
  if (!error_code.empty()) d[models::kDetailErrorCode] = error_code;
  return d;
}

}  // namespace cod::orchestrator::events
