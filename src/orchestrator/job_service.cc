#include "orchestrator/job_service.h"

#include "common/ids.h"
#include "common/strings.h"
#include "models/job_validation.h"
#include "models/wasm_params.h"
#include "orchestrator/broker/evaluation_broker.h"
#include "orchestrator/events.h"
#include "orchestrator/scheduler/retry_policy.h"

namespace cod::orchestrator {

using models::JobStateType;

namespace {

constexpr const char* kComponent = "JobService";

models::Evaluation newEvaluation(const models::Job& job, const std::string& trigger, Time now,
                                 Random& random) {
  models::Evaluation ev;
  ev.id = newEvaluationId(now, random);
  ev.ns = job.ns;
  ev.job_id = job.id;
  ev.triggered_by = trigger;
  ev.priority = job.priority;
  ev.type = job.type;
  ev.status = models::kEvalStatusPending;
  ev.create_time = ev.modify_time = toUnixNanos(now);
  return ev;
}

Status conflictState(const models::Job& job, const std::string& action) {
  return failedPrecondition("cannot " + action + " job " + job.id + " in state " +
                            models::jobStateName(job.state.state_type))
      .withErrorCode("ConflictJobState")
      .withComponent(kComponent);
}

}  // namespace

JobService::JobService(Deps deps, JobDefaults defaults, models::JobLimits limits)
    : deps_(std::move(deps)), defaults_(std::move(defaults)), limits_(limits) {}

Result<std::vector<std::string>> JobService::prepare(models::Job& job,
                                                     const models::StringMap& client_meta) {
  models::normalizeJob(job);
  std::vector<std::string> warnings = models::sanitizeSubmittedJob(job);
  for (models::Task& task : job.tasks) {
    Status rewritten = models::rewriteLegacyWasmParams(task);
    if (!rewritten.isOk()) {
      return std::move(rewritten).prepend("Job.Tasks[0].Engine.Params").withComponent(kComponent);
    }
  }
  Status valid = models::validateJob(job, limits_);
  if (!valid.isOk()) return std::move(valid).withComponent(kComponent);
  Status retry = validateRetryMeta(job);
  if (!retry.isOk()) return std::move(retry).withComponent(kComponent);

  // Transformers (§6.3).
  if (job.id.empty()) job.id = newJobId(*deps_.random);
  if (job.name.empty()) job.name = job.id;
  job.meta["bacalhau.org/requester.id"] = deps_.orchestrator_id;
  job.meta["bacalhau.org/orchestrator.id"] = deps_.orchestrator_id;
  for (const auto& [k, v] : client_meta) {
    if (!v.empty()) job.meta[k] = v;
  }
  models::Task& task = job.task();
  if (task.resources.cpu.empty()) task.resources.cpu = defaults_.cpu;
  if (task.resources.memory.empty()) task.resources.memory = defaults_.memory;
  if (task.resources.disk.empty()) task.resources.disk = defaults_.disk;
  if (task.resources.gpu.empty()) task.resources.gpu = defaults_.gpu;
  // Jobs that end get the default publisher and timeouts; services and daemons run until stopped.
  if (!job.isLongRunning()) {
    if (task.publisher.type.empty() && !defaults_.publisher.empty()) {
      task.publisher.type = defaults_.publisher;
    }
    if (task.timeouts.execution_timeout <= 0) {
      task.timeouts.execution_timeout = defaults_.execution_timeout_s;
    }
    if (task.timeouts.total_timeout <= 0) task.timeouts.total_timeout = defaults_.total_timeout_s;
    if (task.timeouts.queue_timeout <= 0) task.timeouts.queue_timeout = defaults_.queue_timeout_s;
  }
  // Defaults may not break what was valid: re-check the combination.
  Status again = models::validateJob(job, limits_);
  if (!again.isOk()) return std::move(again).withComponent(kComponent);
  return warnings;
}

Result<SubmitJobResponse> JobService::submit(SubmitJobRequest req) {
  models::Job job = std::move(req.job);
  COD_ASSIGN_OR_RETURN(auto warnings, prepare(job, req.client_meta));
  Time now = deps_.clock->now();
  models::Evaluation eval;
  std::string job_id;
  Status st = deps_.store->update([&](store::Txn& tx) -> Status {
    auto existing = tx.getJobByName(job.ns, job.name);
    if (!existing.isOk() && existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
    if (!existing.isOk()) {
      models::Job created = job;
      created.state = {JobStateType::kPending, "", {}};
      created.version = 1;
      created.create_time = created.modify_time = toUnixNanos(now);
      COD_RETURN_IF_ERROR(tx.createJob(created));
      auto h = events::jobEvent(created, now, models::kTopicSubmission, "Job submitted");
      COD_RETURN_IF_ERROR(tx.addHistory(h));
      eval = newEvaluation(created, models::kEvalTriggerJobRegister, now, *deps_.random);
      job_id = created.id;
      return tx.createEvaluation(eval);
    }
    models::Job updated = std::move(existing).value();
    if (!req.force && models::sameSpec(updated, job)) {
      return failedPrecondition("no changes detected for new job spec. Job Name: '" + updated.name +
                                "', Job Id: '" + updated.id + "'")
          .withHint("Use the --force flag to submit the same spec again")
          .withErrorCode("ConflictJobState")
          .withComponent(kComponent);
    }
    if (updated.type != job.type) {
      return invalidArgument("Job.Type: cannot change the type of job " + updated.id + " from \"" +
                             updated.type + "\" to \"" + job.type + "\"")
          .withComponent(kComponent);
    }
    updated.priority = job.priority;
    updated.count = job.count;
    updated.constraints = job.constraints;
    models::StringMap meta = job.meta;
    for (const auto& [k, v] : updated.meta) {
      if (startsWith(k, models::kReservedMetaPrefix) && !meta.count(k)) meta[k] = v;
    }
    updated.meta = std::move(meta);
    updated.labels = job.labels;
    updated.tasks = job.tasks;
    updated.version++;
    updated.state = {JobStateType::kPending, "Job update requested by user", {}};
    updated.modify_time = toUnixNanos(now);
    COD_RETURN_IF_ERROR(tx.updateJob(updated));
    auto h = events::jobEvent(updated, now, models::kTopicSubmission, "Job updated");
    COD_RETURN_IF_ERROR(tx.addHistory(h));
    eval = newEvaluation(updated, models::kEvalTriggerJobUpdate, now, *deps_.random);
    job_id = updated.id;
    return tx.createEvaluation(eval);
  });
  if (!st.isOk()) return st;
  deps_.broker->enqueue(eval);
  return SubmitJobResponse{job_id, eval.id, std::move(warnings)};
}

Result<std::string> JobService::stop(const std::string& id_or_name, const std::string& ns,
                                     const std::string& reason) {
  COD_ASSIGN_OR_RETURN(models::Job found, deps_.store->resolveJob(id_or_name, ns));
  Time now = deps_.clock->now();
  models::Evaluation eval;
  bool already = false;
  Status st = deps_.store->update([&](store::Txn& tx) -> Status {
    COD_ASSIGN_OR_RETURN(models::Job job, tx.getJob(found.id));
    if (job.state.state_type == JobStateType::kStopped) {
      already = true;
      return Status::ok();
    }
    if (models::isTerminal(job.state.state_type)) return conflictState(job, "stop");
    std::string message = reason.empty() ? "Job stopped by user" : reason;
    job.state = {JobStateType::kStopped, message, {}};
    job.modify_time = toUnixNanos(now);
    COD_RETURN_IF_ERROR(tx.updateJob(job));
    auto h = events::jobEvent(job, now, models::kTopicScheduling,
                              "Job requested to stop before completion",
                              {{models::kDetailReason, message}});
    COD_RETURN_IF_ERROR(tx.addHistory(h));
    auto s = events::jobStateChanged(job, now, JobStateType::kStopped, message);
    COD_RETURN_IF_ERROR(tx.addHistory(s));
    eval = newEvaluation(job, models::kEvalTriggerJobCancel, now, *deps_.random);
    return tx.createEvaluation(eval);
  });
  if (!st.isOk()) return st;
  if (already) return std::string();
  deps_.broker->enqueue(eval);
  return eval.id;
}

Result<RerunJobResponse> JobService::rerun(const std::string& id_or_name, const std::string& ns,
                                           uint64_t version, const std::string& reason) {
  COD_ASSIGN_OR_RETURN(models::Job found, deps_.store->resolveJob(id_or_name, ns));
  models::Job spec;
  if (version == 0) {
    spec = found;
  } else {
    COD_ASSIGN_OR_RETURN(spec, deps_.store->getJobVersion(found.id, version));
  }
  Time now = deps_.clock->now();
  models::Evaluation eval;
  RerunJobResponse out;
  Status st = deps_.store->update([&](store::Txn& tx) -> Status {
    COD_ASSIGN_OR_RETURN(models::Job job, tx.getJob(found.id));
    auto s = job.state.state_type;
    if (s == JobStateType::kUndefined || s == JobStateType::kPending ||
        s == JobStateType::kQueued) {
      return conflictState(job, "rerun")
          .withHint(
              "the job has not started yet; to change it, submit a new spec with `cod job run`");
    }
    job.priority = spec.priority;
    job.count = spec.count;
    job.constraints = spec.constraints;
    job.meta = spec.meta;
    job.labels = spec.labels;
    job.tasks = spec.tasks;
    job.version++;
    job.state = {JobStateType::kPending, "job rerun", {}};
    job.modify_time = toUnixNanos(now);
    COD_RETURN_IF_ERROR(tx.updateJob(job));
    models::StringMap details;
    if (!reason.empty()) details[models::kDetailReason] = reason;
    auto h = events::jobEvent(job, now, models::kTopicSubmission, "Job rerun requested",
                              std::move(details));
    COD_RETURN_IF_ERROR(tx.addHistory(h));
    eval = newEvaluation(job, models::kEvalTriggerJobRerun, now, *deps_.random);
    out.job_id = job.id;
    out.job_version = job.version;
    return tx.createEvaluation(eval);
  });
  if (!st.isOk()) return st;
  deps_.broker->enqueue(eval);
  out.evaluation_id = eval.id;
  return out;
}

Result<DiffJobResponse> JobService::diff(models::Job job) {
  models::normalizeJob(job);
  if (trim(job.name).empty()) {
    return invalidArgument("Job.Name: a job name is required to compare with an existing job")
        .withErrorCode("ValidationError")
        .withComponent(kComponent);
  }
  COD_ASSIGN_OR_RETURN(auto warnings, prepare(job, {}));
  COD_ASSIGN_OR_RETURN(models::Job current, deps_.store->resolveJob(job.name, job.ns));
  return DiffJobResponse{models::diffSpecs(current, job), std::move(warnings)};
}

}  // namespace cod::orchestrator
