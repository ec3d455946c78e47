#include "orchestrator/scheduler/scheduler.h"

#include "orchestrator/scheduler/batch_scheduler.h"
#include "orchestrator/scheduler/node_schedulers.h"

namespace cod::orchestrator {

SchedulerTable::SchedulerTable(const SchedulerDeps& deps) {
  auto at = [this](models::JobType t) -> std::unique_ptr<Scheduler>& {
    return schedulers_[static_cast<size_t>(t)];
  };
  at(models::JobType::kBatch) = std::make_unique<BatchScheduler>(deps);
  at(models::JobType::kService) = std::make_unique<ServiceScheduler>(deps);
  at(models::JobType::kOps) = std::make_unique<OpsScheduler>(deps);
  at(models::JobType::kDaemon) = std::make_unique<DaemonScheduler>(deps);
}

const Scheduler& SchedulerTable::forType(models::JobType type) const {
  return *schedulers_[static_cast<size_t>(type)];
}

}  // namespace cod::orchestrator
