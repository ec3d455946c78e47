#include "store/query_rules.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "common/strings.h"
#include "models/label_selector.h"

namespace cod::store::internal {

namespace {
// An ambiguous prefix such as "j-" can match every job; the message names the first few.
constexpr size_t kMaxListedMatches = 10;
}  // namespace

Status storeError(Status status) { return std::move(status).withComponent(kComponent); }

Status jobNotFound(std::string_view id_or_name) {
  return storeError(notFound(fmt::format("job not found: {}", id_or_name)));
}

Status jobExists(std::string_view id) {
  return storeError(alreadyExists(fmt::format("job already exists: {}", id)));
}

Status jobNameTaken(const models::Job& job, std::string_view holder_id) {
  return storeError(
      alreadyExists(fmt::format("job name \"{}\" is already used by job {} in "
                                "namespace \"{}\"",
                                job.name, holder_id, job.ns)));
}

Status jobVersionNotFound(std::string_view id, uint64_t version) {
  return storeError(notFound(fmt::format("job {} has no version {}", id, version)));
}

Status executionNotFound(std::string_view id) {
  return storeError(notFound(fmt::format("execution not found: {}", id)));
}

Status executionExists(std::string_view id) {
  return storeError(alreadyExists(fmt::format("execution already exists: {}", id)));
}

Status evaluationNotFound(std::string_view id) {
  return storeError(notFound(fmt::format("evaluation not found: {}", id)));
}

Status evaluationExists(std::string_view id) {
  return storeError(alreadyExists(fmt::format("evaluation already exists: {}", id)));
}

Status nodeNotFound(std::string_view id) {
  return storeError(notFound(fmt::format("node not found: {}", id)));
}

Status revisionConflict(std::string_view kind, std::string_view id, uint64_t expected,
                        uint64_t stored) {
  return storeError(aborted(
      fmt::format("{} {} revision conflict: expected {}, stored {}", kind, id, expected, stored)));
}

Status ambiguousJobPrefix(std::string_view prefix, const std::vector<std::string>& ids) {
  std::vector<std::string> listed(ids.begin(),
                                  ids.begin() + std::min(ids.size(), kMaxListedMatches));
  std::string message =
      fmt::format("multiple jobs found for ID prefix \"{}\": {}", prefix, join(listed, ", "));
  if (ids.size() > listed.size())
    message += fmt::format(" and {} more", ids.size() - listed.size());
  return storeError(failedPrecondition(std::move(message)))
      .withErrorCode("MultipleJobsFound")
      .withHint("use a longer ID prefix or the full job ID");
}

const std::string& nameNamespace(const std::string& ns) {
  static const std::string kDefaultNs = models::kDefaultNamespace;
  return ns.empty() ? kDefaultNs : ns;
}

bool isAllNamespaces(const std::string& ns) { return ns.empty() || ns == "*"; }

Result<JobOrder> parseJobOrder(std::string_view order_by) {
  if (order_by.empty() || order_by == "created_at" || order_by == "create_time") {
    return JobOrder::kCreateTime;
  }
  if (order_by == "modified_at" || order_by == "modify_time") return JobOrder::kModifyTime;
  return storeError(invalidArgument(
      fmt::format("invalid order_by \"{}\": use created_at or modified_at", order_by)));
}

bool pastCursor(const JobQuery& q, JobOrder order, const models::Job& job) {
  if (!q.after.has_value()) return true;
  int64_t time = order == JobOrder::kCreateTime ? job.create_time : job.modify_time;
  auto key = std::tie(time, job.id);
  auto cursor = std::tie(q.after->time, q.after->id);
  return q.reverse ? key < cursor : cursor < key;
}

bool jobMatches(const JobQuery& q, const models::Job& job) {
  if (!isAllNamespaces(q.ns) && job.ns != q.ns) return false;
  if (!q.states.empty() &&
      std::find(q.states.begin(), q.states.end(), job.state.state_type) == q.states.end()) {
    return false;
  }
  return !q.selector.has_value() || q.selector->matches(job.labels);
}

bool historyMatches(const HistoryQuery& q, uint64_t version, const models::JobHistory& item) {
  if (item.seq_num < q.offset) return false;
  switch (q.event_type) {
    case HistoryEventType::kAll: break;
    case HistoryEventType::kJob:
      if (item.type != models::JobHistoryType::kJobLevel) return false;
      break;
    case HistoryEventType::kExecution:
      if (item.type != models::JobHistoryType::kExecutionLevel) return false;
      break;
  }
  if (!q.execution_id_prefix.empty() && !startsWith(item.execution_id, q.execution_id_prefix)) {
    return false;
  }
  if (version != 0 && item.job_version != version) return false;
  return q.since == Time{} || item.time >= q.since;
}

std::string prefixUpperBound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(upper.back());
    if (last != 0xff) {
      ++last;
      return upper;
    }
    upper.pop_back();
  }
  return upper;
}

HistoryPage HistoryPager::finish() && {
  HistoryPage page;
  page.has_more = pager_.hasMore();
  page.items = std::move(pager_).take();
  page.next_offset = page.items.empty() ? q_offset_ : page.items.back().seq_num + 1;
  return page;
}

}  // namespace cod::store::internal
