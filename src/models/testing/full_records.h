#pragma once

// Records with every field set to something other than its default, for the tests of codecs
// (the API's JSON, the stored records): a field that a codec drops or mangles then shows.

#include <cstdint>

#include "common/clock.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/node.h"
#include "models/resources.h"

namespace cod::models::fixtures {

// `seconds` + `nanos` after the Unix epoch.
Time at(int64_t seconds, int64_t nanos = 0);

// Two tasks, every engine/publisher/input/network/timeout field set, a Failed state.
Job fullJob();
// Two GPUs.
Resources fullResources();
// With fullJob() as its job snapshot.
Execution fullExecution();
NodeState fullNodeState();

}  // namespace cod::models::fixtures
