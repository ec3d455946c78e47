// The JSON form of Execution, Evaluation and JobHistory (reference/bacalhau-api.md §5.12–§5.15).

#include <memory>

#include "common/strings.h"
#include "models/history.h"
#include "models/json.h"
#include "models/json_util.h"

namespace cod::models {

using json_internal::ObjectReader;
using json_internal::bj::object;
using json_internal::bj::value;

namespace {

// ---- execution states: integers on the wire; names accepted leniently ---------------------------

template <typename T>
using NameOf = std::string (*)(T);

// Reads an enum written as an integer in [0, max], or as one of its names (case-insensitive).
template <typename T>
Status decodeEnum(const value& v, const std::string& path, const DecodeOptions& opts, T max,
                  NameOf<T> name_of, T* out) {
  auto valid_range = [&] {
    return "valid values are 0 (" + name_of(T{}) + ") to " +
           std::to_string(static_cast<int64_t>(max)) + " (" + name_of(max) + ")";
  };
  if (v.is_string()) {
    std::string_view name = trim(v.get_string());
    for (int64_t i = 0; i <= static_cast<int64_t>(max); ++i) {
      if (equalsIgnoreCase(name, name_of(static_cast<T>(i)))) {
        *out = static_cast<T>(i);
        return Status::ok();
      }
    }
    int64_t n = 0;
    if (!parseInt64(name, &n)) {
      return invalidArgument(path + ": unknown state \"" + std::string(v.get_string()) + "\"; " +
                             valid_range());
    }
    if (n < 0 || n > static_cast<int64_t>(max)) {
      return invalidArgument(path + ": unknown state " + std::to_string(n) + "; " + valid_range());
    }
    *out = static_cast<T>(n);
    return Status::ok();
  }
  int64_t n = 0;
  COD_RETURN_IF_ERROR(json_internal::readInt64(v, path, opts, &n));
  if (n < 0 || n > static_cast<int64_t>(max)) {
    return invalidArgument(path + ": unknown state " + std::to_string(n) + "; " + valid_range());
  }
  *out = static_cast<T>(n);
  return Status::ok();
}

template <typename T>
value stateToJson(const State<T>& s) {
  object obj;
  obj["StateType"] = static_cast<int64_t>(s.state_type);
  if (!s.message.empty()) obj["Message"] = s.message;
  if (!s.details.empty()) obj["Details"] = json_internal::stringMapToJson(s.details);
  return obj;
}

template <typename T>
Status decodeState(const value& v, const std::string& path, const DecodeOptions& opts, T max,
                   NameOf<T> name_of, State<T>* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  if (const value* type = r.get("StateType")) {
    COD_RETURN_IF_ERROR(
        decodeEnum(*type, r.pathOf("StateType"), opts, max, name_of, &out->state_type));
  }
  COD_RETURN_IF_ERROR(r.str("Message", &out->message));
  return r.stringMap("Details", &out->details);
}

Status decodeRunOutput(const value& v, const std::string& path, const DecodeOptions& opts,
                       RunCommandResult* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Stdout", &out->stdout_text));
  COD_RETURN_IF_ERROR(r.boolean("StdoutTruncated", &out->stdout_truncated));
  COD_RETURN_IF_ERROR(r.str("stderr", &out->stderr_text));
  COD_RETURN_IF_ERROR(r.boolean("StderrTruncated", &out->stderr_truncated));
  COD_RETURN_IF_ERROR(r.i64("ExitCode", &out->exit_code));
  return r.str("ErrorMsg", &out->error_msg);
}

Status decodeAllocated(const value& v, const std::string& path, const DecodeOptions& opts,
                       AllocatedResources* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  const value* tasks = r.get("Tasks");
  if (tasks == nullptr) return Status::ok();
  std::string tasks_path = r.pathOf("Tasks");
  if (!tasks->is_object()) {
    return invalidArgument(tasks_path + ": expected an object, got " +
                           json_internal::kindName(*tasks));
  }
  for (const auto& member : tasks->get_object()) {
    Resources res;
    if (!member.value().is_null()) {
      COD_RETURN_IF_ERROR(json_internal::decodeResources(
          member.value(), tasks_path + "[\"" + std::string(member.key()) + "\"]", opts, &res));
    }
    out->tasks[std::string(member.key())] = std::move(res);
  }
  return Status::ok();
}

Status decodeExecution(const value& v, const std::string& path, const DecodeOptions& opts,
                       Execution* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("ID", &out->id));
  COD_RETURN_IF_ERROR(r.str("Namespace", &out->ns));
  COD_RETURN_IF_ERROR(r.str("EvalID", &out->eval_id));
  COD_RETURN_IF_ERROR(r.str("Name", &out->name));
  COD_RETURN_IF_ERROR(r.str("NodeID", &out->node_id));
  COD_RETURN_IF_ERROR(r.str("JobID", &out->job_id));
  if (const value* job = r.get("Job")) {
    auto decoded = std::make_shared<Job>();
    COD_RETURN_IF_ERROR(json_internal::decodeJob(*job, r.pathOf("Job"), opts, decoded.get()));
    out->job = std::move(decoded);
  }
  COD_RETURN_IF_ERROR(r.u64("JobVersion", &out->job_version));
  COD_RETURN_IF_ERROR(r.nested("AllocatedResources", &out->allocated_resources, decodeAllocated));
  if (const value* s = r.get("DesiredState")) {
    COD_RETURN_IF_ERROR(decodeState(*s, r.pathOf("DesiredState"), opts,
                                    ExecutionDesiredStateType::kStopped, &desiredStateName,
                                    &out->desired_state));
  }
  if (const value* s = r.get("ComputeState")) {
    COD_RETURN_IF_ERROR(decodeState(*s, r.pathOf("ComputeState"), opts,
                                    ExecutionStateType::kCancelled, &executionStateName,
                                    &out->compute_state));
    auto retryable = out->compute_state.details.find(kDetailRetryable);
    if (retryable != out->compute_state.details.end()) {
      out->retryable = retryable->second == "true";
      out->compute_state.details.erase(retryable);
    }
  }
  COD_RETURN_IF_ERROR(
      r.nested("PublishedResult", &out->published_result, json_internal::decodeSpecConfig));
  COD_RETURN_IF_ERROR(r.nested("RunOutput", &out->run_output, decodeRunOutput));
  COD_RETURN_IF_ERROR(r.str("PreviousExecution", &out->previous_execution));
  COD_RETURN_IF_ERROR(r.str("NextExecution", &out->next_execution));
  COD_RETURN_IF_ERROR(r.str("FollowupEvalID", &out->followup_eval_id));
  COD_RETURN_IF_ERROR(r.i64("PartitionIndex", &out->partition_index));
  COD_RETURN_IF_ERROR(r.u64("Revision", &out->revision));
  COD_RETURN_IF_ERROR(r.i64("CreateTime", &out->create_time));
  return r.i64("ModifyTime", &out->modify_time);
}

Status decodeEvent(const value& v, const std::string& path, const DecodeOptions& opts, Event* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Message", &out->message));
  COD_RETURN_IF_ERROR(r.str("Topic", &out->topic));
  COD_RETURN_IF_ERROR(r.time("Timestamp", &out->timestamp));
  return r.stringMap("Details", &out->details);
}

std::string historyTypeName(JobHistoryType t) {
  return t == JobHistoryType::kExecutionLevel ? "ExecutionLevel" : "JobLevel";
}

// "JobLevel" / "ExecutionLevel" (case-insensitive), or Go's enum numbers 1 / 2.
Status decodeHistoryType(const value& v, const std::string& path, const DecodeOptions& opts,
                         JobHistoryType* out) {
  if (v.is_number()) {
    int64_t n = 0;
    COD_RETURN_IF_ERROR(json_internal::readInt64(v, path, opts, &n));
    if (n == 1 || n == 2) {
      *out = n == 1 ? JobHistoryType::kJobLevel : JobHistoryType::kExecutionLevel;
      return Status::ok();
    }
    return invalidArgument(path + ": unknown history type " + std::to_string(n) +
                           "; valid values are JobLevel and ExecutionLevel");
  }
  std::string name;
  COD_RETURN_IF_ERROR(json_internal::readString(v, path, opts, &name));
  for (auto t : {JobHistoryType::kJobLevel, JobHistoryType::kExecutionLevel}) {
    if (equalsIgnoreCase(trim(name), historyTypeName(t))) {
      *out = t;
      return Status::ok();
    }
  }
  return invalidArgument(path + ": unknown history type \"" + name +
                         "\"; valid values are JobLevel and ExecutionLevel");
}

}  // namespace

// ---- RunCommandResult --------------------------------------------------------------------------

value toJson(const RunCommandResult& v) {
  object obj;
  obj["Stdout"] = v.stdout_text;
  obj["StdoutTruncated"] = v.stdout_truncated;
  obj["stderr"] = v.stderr_text;
  obj["StderrTruncated"] = v.stderr_truncated;
  obj["ExitCode"] = v.exit_code;
  obj["ErrorMsg"] = v.error_msg;
  return obj;
}

Result<RunCommandResult> runCommandResultFromJson(const value& v, const DecodeOptions& opts) {
  RunCommandResult out;
  COD_RETURN_IF_ERROR(
      decodeRunOutput(v, json_internal::rootPath(opts, "RunCommandResult"), opts, &out));
  return out;
}

// ---- Execution ---------------------------------------------------------------------------------

value toJson(const Execution& v) {
  object obj;
  obj["ID"] = v.id;
  obj["Namespace"] = v.ns;
  obj["EvalID"] = v.eval_id;
  obj["Name"] = v.name;
  obj["NodeID"] = v.node_id;
  obj["JobID"] = v.job_id;
  if (v.job != nullptr) obj["Job"] = toJson(*v.job);
  obj["JobVersion"] = v.job_version;
  object tasks;
  for (const auto& [name, res] : v.allocated_resources.tasks) tasks[name] = toJson(res);
  obj["AllocatedResources"] = object{{"Tasks", std::move(tasks)}};
  obj["DesiredState"] = stateToJson(v.desired_state);
  {
    // The typed flag travels as Bacalhau's string detail.
    State<ExecutionStateType> compute = v.compute_state;
    if (v.retryable) {
      compute.details[kDetailRetryable] = "true";
    } else {
      compute.details.erase(kDetailRetryable);
    }
    obj["ComputeState"] = stateToJson(compute);
  }
  obj["PublishedResult"] = toJson(v.published_result);
  obj["RunOutput"] = toJson(v.run_output);
  obj["PreviousExecution"] = v.previous_execution;
  obj["NextExecution"] = v.next_execution;
  obj["FollowupEvalID"] = v.followup_eval_id;
  if (v.partition_index != 0) obj["PartitionIndex"] = v.partition_index;
  obj["Revision"] = v.revision;
  obj["CreateTime"] = v.create_time;
  obj["ModifyTime"] = v.modify_time;
  return obj;
}

Result<Execution> executionFromJson(const value& v, const DecodeOptions& opts) {
  Execution out;
  COD_RETURN_IF_ERROR(decodeExecution(v, json_internal::rootPath(opts, "Execution"), opts, &out));
  return out;
}

// ---- Evaluation --------------------------------------------------------------------------------

value toJson(const Evaluation& v) {
  object obj;
  obj["ID"] = v.id;
  obj["Namespace"] = v.ns;
  obj["JobID"] = v.job_id;
  obj["TriggeredBy"] = v.triggered_by;
  obj["Priority"] = v.priority;
  obj["Type"] = v.type;
  obj["Status"] = v.status;
  obj["Comment"] = v.comment;
  obj["WaitUntil"] = json_internal::timeToJson(v.wait_until);
  obj["CreateTime"] = v.create_time;
  obj["ModifyTime"] = v.modify_time;
  return obj;
}

Result<Evaluation> evaluationFromJson(const value& v, const DecodeOptions& opts) {
  COD_ASSIGN_OR_RETURN(ObjectReader r,
                       ObjectReader::open(v, json_internal::rootPath(opts, "Evaluation"), opts));
  Evaluation out;
  COD_RETURN_IF_ERROR(r.str("ID", &out.id));
  COD_RETURN_IF_ERROR(r.str("Namespace", &out.ns));
  COD_RETURN_IF_ERROR(r.str("JobID", &out.job_id));
  COD_RETURN_IF_ERROR(r.str("TriggeredBy", &out.triggered_by));
  COD_RETURN_IF_ERROR(r.i64("Priority", &out.priority));
  COD_RETURN_IF_ERROR(r.str("Type", &out.type));
  COD_RETURN_IF_ERROR(r.str("Status", &out.status));
  COD_RETURN_IF_ERROR(r.str("Comment", &out.comment));
  COD_RETURN_IF_ERROR(r.time("WaitUntil", &out.wait_until));
  COD_RETURN_IF_ERROR(r.i64("CreateTime", &out.create_time));
  COD_RETURN_IF_ERROR(r.i64("ModifyTime", &out.modify_time));
  return out;
}

// ---- Event and JobHistory ----------------------------------------------------------------------

value toJson(const Event& v) {
  object obj;
  obj["Message"] = v.message;
  obj["Topic"] = v.topic;
  obj["Timestamp"] = json_internal::timeToJson(v.timestamp);
  if (!v.details.empty()) obj["Details"] = json_internal::stringMapToJson(v.details);
  return obj;
}

Result<Event> eventFromJson(const value& v, const DecodeOptions& opts) {
  Event out;
  COD_RETURN_IF_ERROR(decodeEvent(v, json_internal::rootPath(opts, "Event"), opts, &out));
  return out;
}

value toJson(const JobHistory& v) {
  object obj;
  obj["SeqNum"] = v.seq_num;
  obj["Type"] = historyTypeName(v.type);
  obj["JobID"] = v.job_id;
  obj["JobVersion"] = v.job_version;
  if (!v.execution_id.empty()) obj["ExecutionID"] = v.execution_id;
  obj["Event"] = toJson(v.event);
  obj["Time"] = json_internal::timeToJson(v.time);
  return obj;
}

Result<JobHistory> jobHistoryFromJson(const value& v, const DecodeOptions& opts) {
  COD_ASSIGN_OR_RETURN(ObjectReader r,
                       ObjectReader::open(v, json_internal::rootPath(opts, "JobHistory"), opts));
  JobHistory out;
  COD_RETURN_IF_ERROR(r.u64("SeqNum", &out.seq_num));
  COD_RETURN_IF_ERROR(r.nested("Type", &out.type, decodeHistoryType));
  COD_RETURN_IF_ERROR(r.str("JobID", &out.job_id));
  COD_RETURN_IF_ERROR(r.u64("JobVersion", &out.job_version));
  COD_RETURN_IF_ERROR(r.str("ExecutionID", &out.execution_id));
  COD_RETURN_IF_ERROR(r.nested("Event", &out.event, decodeEvent));
  COD_RETURN_IF_ERROR(r.time("Time", &out.time));
  return out;
}

}  // namespace cod::models
