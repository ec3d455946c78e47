#include <algorithm>

#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {

namespace {
double ratio(double available, double max) {
  return max <= 0 ? 0 : std::clamp(available / max, 0.0, 1.0);
}
}  // namespace

RankResult AvailableCapacityRanker::rank(const RankRequest& req,
                                         const models::NodeState& node) const {
  const auto& info = node.info.compute_node_info;
  const auto& max = info.max_capacity;
  const auto& avail = info.available_capacity;
  const auto& queued = info.queue_capacity;
  // Weigh the dimensions the job asks for most; default weights CPU .4, memory .3, disk .2, GPU .1.
  double w_cpu = 0.4, w_mem = 0.3, w_disk = 0.2, w_gpu = 0.1;
  if (req.resources.gpu > 0) {
    w_gpu = 0.4;
    w_cpu = 0.3;
    w_mem = 0.2;
    w_disk = 0.1;
  }
  double total_w = 0, score = 0;
  auto add = [&](double w, double a, double m) {
    if (m <= 0) return;
    total_w += w;
    score += w * ratio(a, m);
  };
  add(w_cpu, avail.cpu, max.cpu);
  add(w_mem, static_cast<double>(avail.memory), static_cast<double>(max.memory));
  add(w_disk, static_cast<double>(avail.disk), static_cast<double>(max.disk));
  add(w_gpu, static_cast<double>(avail.gpu), static_cast<double>(max.gpu));
  double available_ratio = total_w > 0 ? score / total_w : 0;
  double queue_ratio = max.cpu > 0 ? std::clamp(queued.cpu / max.cpu, 0.0, 1.0) : 0;
  return RankResult::ok(static_cast<int>(80 * available_ratio + 20 * (1 - queue_ratio)));
}

}  // namespace cod::orchestrator::selection
