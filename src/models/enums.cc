#include "common/strings.h"
#include "models/execution.h"
#include "models/execution_errors.h"
#include "models/history.h"
#include "models/job.h"

namespace cod::models {

const char* jobTypeName(JobType t) {
  switch (t) {
    case JobType::kBatch: return kJobTypeBatch;
    case JobType::kService: return kJobTypeService;
    case JobType::kOps: return kJobTypeOps;
    case JobType::kDaemon: return kJobTypeDaemon;
  }
  return kJobTypeBatch;
}

std::optional<JobType> parseJobType(std::string_view name) {
  for (JobType t : {JobType::kBatch, JobType::kService, JobType::kOps, JobType::kDaemon}) {
    if (name == jobTypeName(t)) return t;
  }
  return std::nullopt;
}

std::string networkTypeName(NetworkType t) {
  switch (t) {
    case NetworkType::kDefault: return "Default";
    case NetworkType::kNone: return "None";
    case NetworkType::kHost: return "Host";
    case NetworkType::kFull: return "Full";
    case NetworkType::kHttp: return "HTTP";
    case NetworkType::kBridge: return "Bridge";
  }
  return "Default";
}

bool parseNetworkType(std::string_view name, NetworkType* out) {
  for (auto t : {NetworkType::kDefault, NetworkType::kNone, NetworkType::kHost, NetworkType::kFull,
                 NetworkType::kHttp, NetworkType::kBridge}) {
    if (equalsIgnoreCase(name, networkTypeName(t))) {
      *out = t;
      return true;
    }
  }
  if (trim(name).empty()) {
    *out = NetworkType::kDefault;
    return true;
  }
  return false;
}

std::string jobStateName(JobStateType t) {
  switch (t) {
    case JobStateType::kUndefined: return "Undefined";
    case JobStateType::kPending: return "Pending";
    case JobStateType::kQueued: return "Queued";
    case JobStateType::kRunning: return "Running";
    case JobStateType::kCompleted: return "Completed";
    case JobStateType::kFailed: return "Failed";
    case JobStateType::kStopped: return "Stopped";
  }
  return "Undefined";
}

JobStateType parseJobState(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(JobStateType::kStopped); ++i) {
    auto t = static_cast<JobStateType>(i);
    if (equalsIgnoreCase(name, jobStateName(t))) return t;
  }
  return JobStateType::kUndefined;
}

bool isTerminal(JobStateType t) {
  return t == JobStateType::kCompleted || t == JobStateType::kFailed || t == JobStateType::kStopped;
}

std::string executionStateName(ExecutionStateType t) {
  switch (t) {
    case ExecutionStateType::kUndefined: return "Undefined";
    case ExecutionStateType::kNew: return "New";
    case ExecutionStateType::kAskForBid: return "AskForBid";
    case ExecutionStateType::kAskForBidAccepted: return "AskForBidAccepted";
    case ExecutionStateType::kAskForBidRejected: return "AskForBidRejected";
    case ExecutionStateType::kBidAccepted: return "BidAccepted";
    case ExecutionStateType::kRunning: return "Running";
    case ExecutionStateType::kPublishing: return "Publishing";
    case ExecutionStateType::kBidRejected: return "BidRejected";
    case ExecutionStateType::kCompleted: return "Completed";
    case ExecutionStateType::kFailed: return "Failed";
    case ExecutionStateType::kCancelled: return "Cancelled";
  }
  return "Undefined";
}

bool isTerminal(ExecutionStateType t) {
  return t == ExecutionStateType::kAskForBidRejected || t == ExecutionStateType::kBidRejected ||
         t == ExecutionStateType::kCompleted || t == ExecutionStateType::kFailed ||
         t == ExecutionStateType::kCancelled;
}

bool isDiscarded(ExecutionStateType t) {
  return t == ExecutionStateType::kAskForBidRejected || t == ExecutionStateType::kBidRejected ||
         t == ExecutionStateType::kFailed || t == ExecutionStateType::kCancelled;
}

bool isExecuting(ExecutionStateType t) {
  return t == ExecutionStateType::kBidAccepted || t == ExecutionStateType::kRunning ||
         t == ExecutionStateType::kPublishing;
}

std::string desiredStateName(ExecutionDesiredStateType t) {
  switch (t) {
    case ExecutionDesiredStateType::kPending: return "Pending";
    case ExecutionDesiredStateType::kRunning: return "Running";
    case ExecutionDesiredStateType::kStopped: return "Stopped";
  }
  return "Pending";
}

Resources AllocatedResources::total() const {
  Resources sum;
  for (const auto& [name, r] : tasks) sum += r;
  return sum;
}

bool lostWithNode(const Execution& e) {
  if (e.compute_state.state_type != ExecutionStateType::kFailed) return false;
  auto it = e.compute_state.details.find(kDetailErrorCode);
  return it != e.compute_state.details.end() &&
         (it->second == kErrorNodeLost || it->second == kErrorExecutionLost ||
          it->second == kErrorNodeRestarted);
}

bool Execution::operator==(const Execution& o) const {
  bool jobs_equal = (job == nullptr && o.job == nullptr) ||
                    (job != nullptr && o.job != nullptr && *job == *o.job);
  return jobs_equal && id == o.id && ns == o.ns && job_id == o.job_id && eval_id == o.eval_id &&
         name == o.name && node_id == o.node_id && job_version == o.job_version &&
         allocated_resources == o.allocated_resources && desired_state == o.desired_state &&
         compute_state == o.compute_state && published_result == o.published_result &&
         run_output == o.run_output && previous_execution == o.previous_execution &&
         next_execution == o.next_execution && followup_eval_id == o.followup_eval_id &&
         partition_index == o.partition_index && retryable == o.retryable &&
         revision == o.revision && create_time == o.create_time && modify_time == o.modify_time;
}

}  // namespace cod::models
