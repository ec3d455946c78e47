#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "models/job.h"

namespace cod::models {

// Topics used by the orchestrator.
inline constexpr const char* kTopicSubmission = "Submission";
inline constexpr const char* kTopicStateUpdate = "State Update";
inline constexpr const char* kTopicScheduling = "Scheduling";
inline constexpr const char* kTopicQueueing = "Queueing";
inline constexpr const char* kTopicExecTimeout = "Exec Timeout";
inline constexpr const char* kTopicJobTimeout = "Job Timeout";
inline constexpr const char* kTopicExecution = "Execution";

// Detail keys with meaning to clients.
inline constexpr const char* kDetailIsError = "IsError";
inline constexpr const char* kDetailHint = "Hint";
inline constexpr const char* kDetailRetryable = "Retryable";
inline constexpr const char* kDetailFailsExecution = "FailsExecution";
inline constexpr const char* kDetailNewState = "NewState";
inline constexpr const char* kDetailErrorCode = "ErrorCode";
inline constexpr const char* kDetailNodeId = "NodeID";
inline constexpr const char* kDetailReason = "Reason";

struct Event {
  std::string message;
  std::string topic;
  Time timestamp{};
  StringMap details;
  bool operator==(const Event&) const = default;
};

enum class JobHistoryType { kJobLevel, kExecutionLevel };

struct JobHistory {
  uint64_t seq_num = 0;  // assigned by the store, per job, from 1
  JobHistoryType type = JobHistoryType::kJobLevel;
  std::string job_id;
  uint64_t job_version = 0;
  std::string execution_id;  // execution-level events only
  Event event;
  Time time{};
  bool operator==(const JobHistory&) const = default;
};

}  // namespace cod::models
