#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "models/job.h"
#include "models/resources.h"

namespace cod::models {

// Serialised as integers on the wire (Bacalhau has no text form for these).
enum class ExecutionStateType {
  kUndefined = 0,
  kNew = 1,
  kAskForBid = 2,
  kAskForBidAccepted = 3,
  kAskForBidRejected = 4,
  kBidAccepted = 5,
  kRunning = 6,
  kPublishing = 7,
  kBidRejected = 8,
  kCompleted = 9,
  kFailed = 10,
  kCancelled = 11,
};
std::string executionStateName(ExecutionStateType t);  // "BidAccepted", …
// AskForBidRejected, BidRejected, Completed, Failed, Cancelled.
bool isTerminal(ExecutionStateType t);
// AskForBidRejected, BidRejected, Cancelled, Failed.
bool isDiscarded(ExecutionStateType t);
// BidAccepted, Running, Publishing.
bool isExecuting(ExecutionStateType t);

enum class ExecutionDesiredStateType { kPending = 0, kRunning = 1, kStopped = 2 };
std::string desiredStateName(ExecutionDesiredStateType t);  // "Pending", "Running", "Stopped"

template <typename T>
struct State {
  T state_type{};
  std::string message;
  StringMap details;
  bool operator==(const State&) const = default;
};

// The first 2 KiB of a task's output and how it ended. Wire key for stderr is lower-case.
struct RunCommandResult {
  std::string stdout_text;  // "Stdout"
  bool stdout_truncated = false;
  std::string stderr_text;  // "stderr"
  bool stderr_truncated = false;
  int64_t exit_code = 0;
  std::string error_msg;
  bool operator==(const RunCommandResult&) const = default;
};
inline constexpr size_t kRunOutputLimit = 2048;

struct AllocatedResources {
  std::map<std::string, Resources> tasks;  // task name → resources
  // The resources of all tasks together.
  Resources total() const;
  bool operator==(const AllocatedResources&) const = default;
};

struct Execution {
  std::string id;
  std::string ns;
  std::string job_id;
  std::string eval_id;
  std::string name;  // always ""
  std::string node_id;
  // The job snapshot; set in messages to compute nodes and optionally in API responses.
  std::shared_ptr<const Job> job;
  uint64_t job_version = 0;
  AllocatedResources allocated_resources;
  State<ExecutionDesiredStateType> desired_state;
  State<ExecutionStateType> compute_state;
  SpecConfig published_result;
  RunCommandResult run_output;
  std::string previous_execution;
  std::string next_execution;
  std::string followup_eval_id;
  int64_t partition_index = 0;
  // A Failed execution whose cause may go away on another node or later (the compute node sets it
  // from the failing Status). On the wire it is ComputeState.Details["Retryable"] = "true".
  bool retryable = false;
  uint64_t revision = 0;
  int64_t create_time = 0;  // Unix ns
  int64_t modify_time = 0;

  bool isTerminal() const { return models::isTerminal(compute_state.state_type); }
  bool isDiscarded() const { return models::isDiscarded(compute_state.state_type); }
  bool operator==(const Execution& o) const;
};

}  // namespace cod::models
