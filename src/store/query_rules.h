#pragma once

// The rules every JobStore implementation applies identically: errors and their messages, query
// validation, filters and paging. Private to src/store; the conformance suite checks that each
// backend's results follow them.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "models/history.h"
#include "models/job.h"
#include "store/job_store.h"

namespace cod::store::internal {

inline constexpr const char* kComponent = "JobStore";

// Tags a status with the store's component name.
Status storeError(Status status);

Status jobNotFound(std::string_view id_or_name);
Status jobExists(std::string_view id);
Status jobNameTaken(const models::Job& job, std::string_view holder_id);
Status jobVersionNotFound(std::string_view id, uint64_t version);
Status executionNotFound(std::string_view id);
Status executionExists(std::string_view id);
Status evaluationNotFound(std::string_view id);
Status evaluationExists(std::string_view id);
Status nodeNotFound(std::string_view id);
// Aborted "<kind> <id> revision conflict: expected N, stored M".
Status revisionConflict(std::string_view kind, std::string_view id, uint64_t expected,
                        uint64_t stored);
// FailedPrecondition with errorCode "MultipleJobsFound", naming (some of) the matches.
Status ambiguousJobPrefix(std::string_view prefix, const std::vector<std::string>& ids);

// "" means the default namespace (for names).
const std::string& nameNamespace(const std::string& ns);
// "" and "*" select every namespace (for listing).
bool isAllNamespaces(const std::string& ns);

enum class JobOrder { kCreateTime, kModifyTime };
// "", "created_at", "create_time" → by create time; "modified_at", "modify_time" → by modify time.
Result<JobOrder> parseJobOrder(std::string_view order_by);
// True when `job` sorts after q.after in `order` (before it when q.reverse), or there is no cursor.
bool pastCursor(const JobQuery& q, JobOrder order, const models::Job& job);

// The part of a JobQuery applied after sorting: namespace, states and label selector.
bool jobMatches(const JobQuery& q, const models::Job& job);

// The version whose items a query asks for, given the job's latest: 0 = every version.
inline uint64_t wantedVersion(uint64_t query_version, bool all_versions, uint64_t latest) {
  if (all_versions) return 0;
  return query_version == 0 ? latest : query_version;
}

// True when `item` passes every filter of `q` except the offset and limit; `version` as returned
// by wantedVersion.
bool historyMatches(const HistoryQuery& q, uint64_t version, const models::JobHistory& item);

// The exclusive upper bound of the IDs that start with `prefix` (for range scans): `prefix` with
// its last byte incremented. Empty when no bound exists (every byte is 0xff).
std::string prefixUpperBound(std::string_view prefix);

// Collects matching items in order and pages them: skips `offset` matches, keeps `limit` (0 = all)
// and notices whether another match follows. Feed items until add() returns false.
template <typename T>
class Pager {
 public:
  Pager(uint64_t offset, uint64_t limit) : skip_(offset), limit_(limit) {}

  // Returns false once the page is full and one more match has been seen: stop feeding.
  bool add(T item) {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (limit_ != 0 && items_.size() >= limit_) {
      has_more_ = true;
      return false;
    }
    items_.push_back(std::move(item));
    return true;
  }
  // True when add() would keep the next item (else the caller may pass a placeholder).
  bool keepsNext() const { return skip_ == 0 && (limit_ == 0 || items_.size() < limit_); }
  bool hasMore() const { return has_more_; }
  std::vector<T> take() && { return std::move(items_); }

 private:
  uint64_t skip_;
  uint64_t limit_;
  bool has_more_ = false;
  std::vector<T> items_;
};

// Pages history items (already in SeqNum order, SeqNum ≥ q.offset, matching the filters).
class HistoryPager {
 public:
  explicit HistoryPager(const HistoryQuery& q) : q_offset_(q.offset), pager_(0, q.limit) {}
  bool add(models::JobHistory item) { return pager_.add(std::move(item)); }
  HistoryPage finish() &&;

 private:
  uint64_t q_offset_;
  Pager<models::JobHistory> pager_;
};

}  // namespace cod::store::internal
