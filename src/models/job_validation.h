#pragma once

// Normalisation, sanitising and validation of submitted jobs (reference/bacalhau-api.md §6).

#include <string>
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

// §6.2: every rule, each failure naming its field ("Job.Tasks[0].Engine.Type: must not be
// blank"). All failures are reported together, one per line, in one InvalidArgument status.
Status validateJob(const Job& job);

// True when two specs are the same for update purposes: ignores ID, State, Version, Revision,
// Create/ModifyTime and reserved Meta keys, compares resource strings case-insensitively.
bool sameSpec(const Job& a, const Job& b);

// A human-readable, line-based diff of two job specs ("" when identical). For PUT /jobs/diff.
std::string diffSpecs(const Job& current, const Job& proposed);

}  // namespace cod::models
