#pragma once

// Normalisation, sanitising and validation of submitted jobs (reference/bacalhau-api.md §6).

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "models/job.h"

namespace cod::models {

// §6.1: fills nil collections, defaults the namespace, names the job after its ID, forces
// daemon/ops Count to 0, trims types/aliases/targets/names/paths, lower-cases resource strings
// (removing spaces) and network domains. Idempotent.
void normalizeJob(Job& job);

// Removes what a client may not set and returns a warning for each (exact Bacalhau texts): State,
// Revision, Version, CreateTime, ModifyTime, the ID of a batch/ops job, tasks beyond the first,
// reserved `bacalhau.org/` Meta keys.
std::vector<std::string> sanitizeSubmittedJob(Job& job);

// Bounds an operator sets (orchestrator config); they keep one job from exhausting the scheduler.
struct JobLimits {
  // Most partitions (Count) one job may ask for. No node runs two partitions of a job, so a Count
  // above the number of nodes cannot run anyway; the default is the fleet size cod is built for.
  int64_t max_count = 10000;
};
inline constexpr int64_t kDefaultMaxJobCount = JobLimits{}.max_count;
// Longest timeout a task may set, in seconds (100 years): every timeout, and the sum of the
// execution and queue timeouts, then fit in int64 nanoseconds.
inline constexpr int64_t kMaxTimeoutSeconds = int64_t{100} * 365 * 24 * 3600;

// §6.2: every rule, each failure naming its field ("Job.Tasks[0].Engine.Type: must not be
// blank"). All failures are reported together, one per line, in one InvalidArgument status.
// Spec strings that become paths are held to common/paths.h: ResultPaths[].Name one plain path
// segment, Targets and Paths absolute and clean, the ID of a service/daemon job a safe ID.
Status validateJob(const Job& job, const JobLimits& limits = {});

// The checks of validateJob that keep a spec from reaching outside its folders on a compute node
// (IDs, ResultPaths, input Targets). The compute node runs them again on every execution it is
// asked to bid on, whatever the orchestrator checked; "" when the spec is safe, otherwise the
// first problem, naming the field.
std::string unsafePathReason(const Job& job, std::string_view execution_id);

// True when two specs are the same for update purposes: ignores ID, State, Version, Revision,
// Create/ModifyTime and reserved Meta keys, compares resource strings case-insensitively.
bool sameSpec(const Job& a, const Job& b);

// A human-readable, line-based diff of two job specs ("" when identical). For PUT /jobs/diff.
std::string diffSpecs(const Job& current, const Job& proposed);

}  // namespace cod::models
