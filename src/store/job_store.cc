#include "store/job_store.h"

#include <utility>

#include "common/check.h"
#include "store/query_rules.h"

namespace cod::store {

Status forEachJob(JobStore& store, JobQuery q, size_t page,
                  const std::function<Status(const models::Job&)>& fn) {
  COD_CHECK(page > 0 && q.offset == 0) << "forEachJob pages by cursor";
  COD_ASSIGN_OR_RETURN(internal::JobOrder order, internal::parseJobOrder(q.order_by));
  q.after.reset();
  q.limit = page;
  while (true) {
    COD_ASSIGN_OR_RETURN(JobList list, store.listJobs(q));
    for (const auto& job : list.items) COD_RETURN_IF_ERROR(fn(job));
    if (!list.has_more || list.items.empty()) return Status::ok();
    const models::Job& last = list.items.back();
    q.after = JobQuery::Cursor{
        order == internal::JobOrder::kCreateTime ? last.create_time : last.modify_time, last.id};
  }
}

Status forEachUnfinishedJob(JobStore& store, const std::function<Status(const models::Job&)>& fn) {
  // A page of decoded jobs is some 0.5 MB, where a list of a 50,000-job backlog was ~100 MB.
  constexpr size_t kPage = 256;
  JobQuery q;
  q.states = {models::JobStateType::kPending, models::JobStateType::kQueued,
              models::JobStateType::kRunning};
  return forEachJob(store, std::move(q), kPage, fn);
}

}  // namespace cod::store
