#include "orchestrator/scheduler/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "common/strings.h"
#include "common/units.h"

namespace cod::orchestrator {

std::array<RetryPolicy, models::kJobTypeCount> defaultRetryPolicies() {
  std::array<RetryPolicy, models::kJobTypeCount> out;
  RetryPolicy long_running;
  long_running.limit = std::nullopt;
  long_running.max_delay = std::chrono::minutes(5);
  out[static_cast<size_t>(models::JobType::kBatch)] = RetryPolicy{};
  out[static_cast<size_t>(models::JobType::kService)] = long_running;
  out[static_cast<size_t>(models::JobType::kDaemon)] = long_running;
  RetryPolicy none;
  none.limit = 0;
  out[static_cast<size_t>(models::JobType::kOps)] = none;
  return out;
}

namespace {

Status badMeta(const char* key, const std::string& value, const std::string& why) {
  return invalidArgument(std::string("Job.Meta[\"") + key + "\"]: " + quoted(value) + " " + why);
}

Result<Duration> metaDuration(const char* key, const std::string& value) {
  auto d = parseDuration(trim(value));
  if (!d.isOk() || *d < Duration::zero()) {
    return badMeta(key, value, "is not a duration; write e.g. \"500ms\", \"8s\" or \"2m\"");
  }
  if (*d > std::chrono::hours(24)) return badMeta(key, value, "is longer than 24h");
  return *d;
}

}  // namespace

Result<RetryPolicy> retryPolicyFor(const models::Job& job, const RetryPolicy& defaults) {
  RetryPolicy p = defaults;
  if (auto it = job.meta.find(kMetaRetryLimit); it != job.meta.end()) {
    std::string_view v = trim(it->second);
    if (equalsIgnoreCase(v, "unlimited")) {
      p.limit = std::nullopt;
    } else {
      int64_t n = -1;
      if (!parseInt64(v, &n) || n < 0 || n > 1000) {
        return badMeta(kMetaRetryLimit, it->second,
                       "is not a retry limit; write a number from 0 to 1000, or \"unlimited\"");
      }
      p.limit = n;
    }
  }
  if (auto it = job.meta.find(kMetaRetryDelay); it != job.meta.end()) {
    COD_ASSIGN_OR_RETURN(p.first_delay, metaDuration(kMetaRetryDelay, it->second));
  }
  if (auto it = job.meta.find(kMetaRetryMaxDelay); it != job.meta.end()) {
    COD_ASSIGN_OR_RETURN(p.max_delay, metaDuration(kMetaRetryMaxDelay, it->second));
  }
  if (auto it = job.meta.find(kMetaRetryFactor); it != job.meta.end()) {
    double f = 0;
    if (!parseDouble(trim(it->second), &f) || !(f >= 1 && f <= 10)) {
      return badMeta(kMetaRetryFactor, it->second, "is not a factor from 1 to 10");
    }
    p.factor = f;
  }
  if (p.max_delay < p.first_delay) p.max_delay = p.first_delay;
  return p;
}

Status validateRetryMeta(const models::Job& job) {
  return retryPolicyFor(job, RetryPolicy{}).status();
}

Duration retryDelay(const RetryPolicy& policy, int64_t retry, const std::string& seed) {
  if (policy.first_delay <= Duration::zero()) return Duration::zero();
  double ms = std::chrono::duration<double, std::milli>(policy.first_delay).count() *
              std::pow(policy.factor, static_cast<double>(std::max<int64_t>(retry, 1) - 1));
  double cap = std::chrono::duration<double, std::milli>(policy.max_delay).count();
  ms = std::min(ms, cap);
  // A stable fraction in [0, 1) from the seed: the same failure always waits the same time.
  double unit = static_cast<double>(std::hash<std::string>{}(seed) % 10007) / 10007.0;
  ms *= 1 - policy.jitter + (2 * policy.jitter * unit);
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms));
}

}  // namespace cod::orchestrator
