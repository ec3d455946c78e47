#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"

namespace cod::models {

// Evaluation statuses.
inline constexpr const char* kEvalStatusBlocked = "blocked";
inline constexpr const char* kEvalStatusPending = "pending";
inline constexpr const char* kEvalStatusComplete = "complete";
inline constexpr const char* kEvalStatusFailed = "failed";
inline constexpr const char* kEvalStatusCanceled = "canceled";

// What caused an evaluation.
inline constexpr const char* kEvalTriggerJobRegister = "job-register";
inline constexpr const char* kEvalTriggerJobCancel = "job-cancel";
inline constexpr const char* kEvalTriggerJobRerun = "job-rerun";
inline constexpr const char* kEvalTriggerJobUpdate = "job-update";
inline constexpr const char* kEvalTriggerJobQueue = "job-queue";
inline constexpr const char* kEvalTriggerJobTimeout = "job-timeout";
inline constexpr const char* kEvalTriggerExecFailure = "exec-failure";
inline constexpr const char* kEvalTriggerExecUpdate = "exec-update";
inline constexpr const char* kEvalTriggerExecTimeout = "exec-timeout";
inline constexpr const char* kEvalTriggerExecLimit = "exec-limit";
inline constexpr const char* kEvalTriggerNodeJoin = "node-join";
inline constexpr const char* kEvalTriggerNodeLeave = "node-leave";
// cod's own: an unfinished job looked at again after the orchestrator restarted.
inline constexpr const char* kEvalTriggerJobRecover = "job-recover";

// A request to look at a job again. Stored with the change that caused it.
struct Evaluation {
  std::string id;
  std::string ns;
  std::string job_id;
  std::string triggered_by;
  int64_t priority = 0;
  std::string type;  // the job's type
  std::string status;
  std::string comment;
  Time wait_until{};  // zero (epoch) = now; wire form RFC 3339, Go zero time when unset
  int64_t create_time = 0;
  int64_t modify_time = 0;
  bool operator==(const Evaluation&) const = default;
};

}  // namespace cod::models
