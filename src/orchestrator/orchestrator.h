#pragma once

// The orchestrator: wires the job service, evaluation broker, schedulers (one per job type),
// planner, node manager and execution updater together and runs them.
//
// Threads: `workers` scheduler workers (dequeue → snapshot → schedule → plan → ack), `updaters`
// threads applying compute reports, and one timer thread (broker timers, heartbeat checks,
// housekeeping). Transport callbacks only queue work: compute reports and every control request
// but heartbeats (answered from memory) go to the updaters, which answer them.
//
// Lifecycle: construct, start() (reloads pending evaluations from the store: a restart resumes
// every job), stop() (idempotent; also called by the destructor).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "orchestrator/broker/evaluation_broker.h"
#include "orchestrator/execution_updater.h"
#include "orchestrator/job_service.h"
#include "orchestrator/logs/log_proxy.h"
#include "orchestrator/nodes/node_manager.h"
#include "orchestrator/planner/planner.h"
#include "orchestrator/scheduler/scheduler.h"
#include "orchestrator/selection/node_selector.h"
#include "store/job_store.h"
#include "transport/transport.h"

namespace cod::orchestrator {

struct OrchestratorConfig {
  int workers = 2;
  int updaters = 2;
  SchedulerConfig scheduler;
  NodeManagerConfig nodes;
  BrokerConfig broker;
  JobDefaults job_defaults;
  // Bounds on submitted jobs; max_count also bounds what the scheduler plans for stored jobs.
  models::JobLimits job_limits;
  // How often in-progress jobs are checked for timeouts.
  Duration housekeeping_interval = std::chrono::seconds(10);
  // Job retention: a job that ended (Completed, Failed, Stopped) and has not changed for this long
  // is removed with its executions and history, and compute nodes then remove its local results;
  // evaluations older than it that are not pending go too (zero = keep everything). Checked every
  // tenth of it (between 1 s and 5 min), in transactions of `retention_batch` records.
  Duration job_retention{0};
  size_t retention_batch = 200;
  // Start no threads: tests drive processOne()/tick() themselves.
  bool manual = false;
  // The s3managed publisher's upload URLs: a presigned PUT for one execution's results in the
  // bucket this orchestrator manages (node/ fills it from Publishers.Types.S3Managed; unset = no
  // managed bucket).
  std::function<Result<std::string>(const std::string& job_id, const std::string& execution_id)>
      presign_managed_upload;
};

class Orchestrator final : public transport::OrchestratorHandler {
 public:
  struct Deps {
    store::JobStore* store = nullptr;
    transport::OrchestratorTransport* transport = nullptr;
    const Clock* clock = nullptr;
    Random* random = nullptr;
  };

  Orchestrator(Deps deps, OrchestratorConfig config);
  ~Orchestrator() override;

  Status start(const models::NodeInfo& self);
  void stop();

  JobService& jobs() { return *jobs_; }
  NodeManager& nodes() { return *nodes_; }
  EvaluationBroker& broker() { return *broker_; }
  // Execution logs, streamed from the compute nodes (logs/log_proxy.h).
  LogSource* logs() { return logs_.get(); }

  // Manual mode (tests): processes one ready evaluation / queued compute report or control
  // request on the calling thread; false when there was none.
  bool processOne();
  bool processOneUpdate();
  // Timers (broker, heartbeats, housekeeping) against the injected clock. The timer thread calls
  // it every 250 ms; tests on a ManualClock call it after advancing the clock, in manual mode or
  // alongside the timer thread (calls are serialized).
  void tick();

  // transport::OrchestratorHandler
  void onHandshake(const transport::HandshakeRequest& req,
                   transport::Reply<transport::HandshakeResponse> reply) override;
  void onHeartbeat(const transport::HeartbeatRequest& req,
                   transport::Reply<transport::HeartbeatResponse> reply) override;
  void onUpdateNodeInfo(const transport::UpdateNodeInfoRequest& req,
                        transport::Reply<transport::UpdateNodeInfoResponse> reply) override;
  void onReconcile(const transport::ReconcileRequest& req,
                   transport::Reply<transport::ReconcileResponse> reply) override;
  void onPresignUpload(const transport::PresignUploadRequest& req,
                       transport::Reply<transport::PresignUploadResponse> reply) override;
  void onMessage(const transport::ToOrchestratorMessage& msg) override;

 private:
  void workerLoop();
  void updaterLoop();
  // What the updaters do, in the order it came: compute reports (those queued together are
  // recorded in one transaction, up to kMaxReportBatch) and the control requests that need the
  // store.
  using Work = std::variant<transport::ToOrchestratorMessage, std::function<void()>>;
  static constexpr size_t kMaxReportBatch = 64;
  void post(Work work);
  transport::PresignUploadResponse presignUpload(const transport::PresignUploadRequest& req);
  void timerLoop();
  void processDelivery(const EvaluationBroker::Delivery& d);
  void housekeeping();
  // Removes jobs past their retention, a few batches at a time; true when more are left.
  bool expireJobs();
  void flushCancelledEvaluations();
  void markEvaluation(const models::Evaluation& eval, const std::string& status,
                      const std::string& comment);

  Deps deps_;
  OrchestratorConfig config_;
  std::unique_ptr<EvaluationBroker> broker_;
  std::unique_ptr<NodeManager> nodes_;
  std::unique_ptr<JobService> jobs_;
  selection::NodeSelector selector_;
  std::unique_ptr<SchedulerTable> schedulers_;
  std::unique_ptr<Planner> planner_;
  std::unique_ptr<ExecutionUpdater> updater_;
  std::unique_ptr<LogProxy> logs_;

  std::mutex updates_mu_;
  std::condition_variable updates_cv_;
  std::deque<Work> updates_;
  bool transport_stopped_ = false;  // guarded by updates_mu_; then the updaters drain and leave

  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::mutex tick_mu_;  // serializes tick(); guards the two times below
  Time last_heartbeat_check_{};
  Time last_housekeeping_{};
  Time last_retention_{};

  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cod::orchestrator
