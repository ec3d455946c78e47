#pragma once

// Submitting, stopping and re-running jobs: the orchestrator's write API, used by the REST
// endpoints. Every change is stored together with the evaluation it triggers, in one transaction,
// and the evaluation is then handed to the broker.

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "models/evaluation.h"
#include "models/job.h"
#include "models/job_validation.h"
#include "store/job_store.h"

namespace cod::orchestrator {

class EvaluationBroker;

struct SubmitJobRequest {
  models::Job job;
  bool force = false;
  // Meta the server records from request headers: "bacalhau.org/client.installation.id", …
  models::StringMap client_meta;
};

struct SubmitJobResponse {
  std::string job_id;
  std::string evaluation_id;
  std::vector<std::string> warnings;
};

struct RerunJobResponse {
  std::string job_id;
  std::string evaluation_id;
  uint64_t job_version = 0;
  std::vector<std::string> warnings;
};

struct DiffJobResponse {
  std::string diff;
  std::vector<std::string> warnings;
};

// Defaults applied to submitted jobs (§6.3 transformers).
struct JobDefaults {
  std::string cpu = "500m";
  std::string memory = "512mb";
  std::string disk;
  std::string gpu;
  // Publisher given to batch/ops jobs that name none ("" = none).
  std::string publisher;
  int64_t execution_timeout_s = 0;
  int64_t total_timeout_s = 0;
  int64_t queue_timeout_s = 0;
};

class JobService {
 public:
  struct Deps {
    store::JobStore* store = nullptr;
    EvaluationBroker* broker = nullptr;
    const Clock* clock = nullptr;
    Random* random = nullptr;
    std::string orchestrator_id;  // node ID recorded in job Meta
  };
  JobService(Deps deps, JobDefaults defaults, models::JobLimits limits = {});

  // Validates, normalises and stores a job (or a new version of the job with the same name and
  // namespace). Errors: InvalidArgument naming the field; FailedPrecondition when an update changes
  // nothing and force is false.
  Result<SubmitJobResponse> submit(SubmitJobRequest req);

  // Stops a job found by ID, unique ID prefix or name. Returns the evaluation ID, "" when the job
  // was already stopped. FailedPrecondition for a Completed or Failed job.
  Result<std::string> stop(const std::string& id_or_name, const std::string& ns,
                           const std::string& reason);

  // Runs a terminal job again as a new version (version 0 = the latest spec).
  Result<RerunJobResponse> rerun(const std::string& id_or_name, const std::string& ns,
                                 uint64_t version, const std::string& reason);

  // What submitting `job` would change for the existing job of the same name.
  Result<DiffJobResponse> diff(models::Job job);

 private:
  // Normalise + sanitise + validate + transformers; returns warnings.
  Result<std::vector<std::string>> prepare(models::Job& job, const models::StringMap& client_meta);

  Deps deps_;
  JobDefaults defaults_;
  models::JobLimits limits_;
};

}  // namespace cod::orchestrator
