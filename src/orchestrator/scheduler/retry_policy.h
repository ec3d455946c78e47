#pragma once

// When and how often a failed execution is tried again (beyond Bacalhau, which retries any
// failure at once): an exponential backoff with jitter, a per-job limit, and no retry when the
// failure cannot succeed elsewhere. Defaults per job type; a job overrides them in its Meta:
//
//   cod.retry.limit      retries per partition (batch/service) or node (daemon); 0 = none,
//                        "unlimited" = no bound
//   cod.retry.delay      the first delay ("1s", "500ms")
//   cod.retry.factor     growth per retry (≥ 1)
//   cod.retry.max-delay  the cap
//
// An execution lost with its node is retried without delay and does not count toward the limit:
// the job did nothing wrong. A service or daemon execution that ran for 10 minutes resets the
// count, so the backoff grows only while it keeps crashing.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "models/job.h"

namespace cod::orchestrator {

inline constexpr const char* kMetaRetryLimit = "cod.retry.limit";
inline constexpr const char* kMetaRetryDelay = "cod.retry.delay";
inline constexpr const char* kMetaRetryFactor = "cod.retry.factor";
inline constexpr const char* kMetaRetryMaxDelay = "cod.retry.max-delay";

struct RetryPolicy {
  // Retries after the first attempt; nullopt = unlimited.
  std::optional<int64_t> limit = 3;
  Duration first_delay = std::chrono::seconds(1);
  double factor = 2;
  Duration max_delay = std::chrono::seconds(30);
  // Each delay is scaled by a factor in [1 - jitter, 1 + jitter], fixed per failed execution.
  double jitter = 0.2;
};

// batch: 3 retries, 1 s ×2 up to 30 s. service and daemon: unlimited, 1 s ×2 up to 5 min.
// ops: none.
std::array<RetryPolicy, models::kJobTypeCount> defaultRetryPolicies();

// The job's policy: `defaults` with its Meta overrides. InvalidArgument naming the Meta key when
// one does not parse (also checked at submit, so a stored job's overrides parse).
Result<RetryPolicy> retryPolicyFor(const models::Job& job, const RetryPolicy& defaults);
Status validateRetryMeta(const models::Job& job);

// The delay before retry number `retry` (1 = the first), jittered by `seed` (the failed
// execution's ID, so every evaluation computes the same delay).
Duration retryDelay(const RetryPolicy& policy, int64_t retry, const std::string& seed);

}  // namespace cod::orchestrator
