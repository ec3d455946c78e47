// What one scheduling pass costs as the fleet grows: --nodes compute nodes join a NodeManager (as
// handshakes do), then --evals evaluations of a one-partition batch job each take the node
// snapshot the orchestrator's workers take (NodeManager::list) and run the batch scheduler over
// it. Reports the median and p99 of each step in ms and the CPU time per evaluation, next to the
// same with 3 nodes (the baseline of the same run), then again with a capacity change before
// every pass. Not a test: it measures.
//
//   schedule_scale --nodes 10000 --evals 200

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "common/clock.h"
#include "orchestrator/nodes/node_manager.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/selection/node_selector.h"
#include "store/memory/memory_job_store.h"

using namespace cod;
using Steady = std::chrono::steady_clock;

namespace {

double cpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// `churn`: before each pass one node heartbeats a new capacity, so the snapshot is rebuilt each
// time (the worst case); without it the fleet only says it is alive.
void measure(long nodes, long evals, bool churn) {
  store::MemoryJobStore store;
  SystemClock clock;
  SeededRandom random(1);
  orchestrator::NodeManager manager(&store, &clock, {});
  models::NodeInfo self;
  self.node_id = "orchestrator";
  self.node_type = models::kNodeTypeRequester;
  (void)manager.start(self);
  for (long i = 0; i < nodes; ++i) {
    transport::HandshakeRequest req;
    req.node_info = bench::simulatedNodeInfo(bench::simulatedNodeId(i));
    (void)manager.handshake(req);
  }
  orchestrator::selection::NodeSelector selector;
  orchestrator::SchedulerTable table(orchestrator::SchedulerDeps{&selector, &random, {}});
  models::Job job = bench::noopJob();
  job.id = job.name = "j-1";
  job.ns = "default";
  job.version = job.revision = 1;
  job.tasks[0].resources.cpu = "100m";

  std::vector<double> snapshot_ms, schedule_ms;
  double cpu0 = cpuMs();
  for (long e = 0; e < evals; ++e) {
    orchestrator::SchedulerInput in;
    in.eval.id = "ev-" + std::to_string(e);
    in.eval.job_id = job.id;
    in.eval.triggered_by = models::kEvalTriggerJobRegister;
    in.job = job;
    in.now = clock.now();
    if (churn) {
      transport::HeartbeatRequest hb;
      hb.node_id = bench::simulatedNodeId(e % nodes);
      hb.available_capacity.cpu = static_cast<double>(e % 8);
      (void)manager.heartbeat(hb);
    }
    auto t0 = Steady::now();
    in.node_snapshot = manager.snapshot();
    auto t1 = Steady::now();
    auto plan = table.forType(job.jobType()).process(in);
    auto t2 = Steady::now();
    if (plan.new_executions.size() != 1) std::fprintf(stderr, "no node was chosen\n");
    snapshot_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    schedule_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  double cpu_per_eval = (cpuMs() - cpu0) / static_cast<double>(evals);
  std::printf(
      "%6ld nodes%s: node snapshot ms p50 %.3f p99 %.3f; scheduling ms p50 %.3f p99 %.3f; "
      "CPU %.3f ms per evaluation\n",
      nodes, churn ? ", a capacity change before each pass" : "",
      bench::percentile(snapshot_ms, 0.5), bench::percentile(snapshot_ms, 0.99),
      bench::percentile(schedule_ms, 0.5), bench::percentile(schedule_ms, 0.99), cpu_per_eval);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // not a line per joining node
  long nodes = static_cast<long>(bench::numberFlag(argc, argv, "--nodes", 10000));
  long evals = static_cast<long>(bench::numberFlag(argc, argv, "--evals", 200));
  measure(3, evals, false);
  measure(nodes, evals, false);
  measure(nodes, evals, true);
  return 0;
}
