#pragma once

// A compute node (DESIGN §2): registers with the orchestrator, heartbeats, bids on executions,
// runs them up to its capacity and queues the rest, reports outcomes, and reconciles its view with
// the orchestrator's so that a lost message or a restart on either side never loses work.
//
// Threads:
// * the control thread owns the node's state; every incoming message and every finished run is an
//   event queued to it;
// * run threads (at most `max_parallel`) call Executor::run(), which blocks;
// * the connection thread handshakes, heartbeats and reconciles with the orchestrator.
//
// Lifecycle: construct, start() (loads the executions the store holds from an earlier life:
// those that were running are reported failed, since their process is gone), stop().

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/thread_checker.h"
#include "compute/log_server.h"
#include "compute/plugins.h"
#include "compute/run_pipeline.h"
#include "executor/executor.h"
#include "models/node.h"
#include "publisher/publisher.h"
#include "storage/cache/input_cache.h"
#include "store/execution_store.h"
#include "transport/transport.h"

namespace cod::compute {

struct ComputeConfig {
  std::string node_id;
  models::StringMap labels;  // added to the automatic os_type/os_arch/name/hostname labels
  // Zero = 80 % of the machine and all of its GPUs (defaultCapacity). `capacity.gpus` are the
  // devices the node hands out, one execution at a time each; `capacity.gpu` may offer fewer of
  // them (the first ones), never more: a GPU the node cannot name cannot be given to a container.
  models::Resources capacity;
  // Executions' working folders go under <data_dir>/executions.
  std::string data_dir;
  std::string address = "127.0.0.1";  // advertised to the orchestrator
  Duration heartbeat_interval = std::chrono::seconds(5);
  Duration reconcile_interval = std::chrono::seconds(15);
  int max_parallel = 32;
  // Network access for jobs (Bacalhau's AcceptNetworkedJobs): without these, a job asking for any
  // network but None is refused at bid time with the reason. Host shares the node's own network
  // (its loopback services included) and so has its own switch.
  bool allow_networked_jobs = false;
  bool allow_host_network = false;
  // Free bytes where inputs are staged (the data dir's file system); inputs whose known size is
  // larger are refused at bid time. Unset = statvfs of data_dir.
  std::function<uint64_t()> free_disk;
  // Executions' logs (<data_dir>/logs/<id>.log, served by the log server): how long one stays
  // after its last write, how large one grows (then it says it was truncated and stops; the
  // stdout/stderr result files are not capped by this), how large the folder may grow (the
  // janitor then removes finished executions' logs, oldest first; 0 = no cap), and how many
  // streams are served at once.
  Duration log_retention = std::chrono::hours(1);
  uint64_t log_max_bytes = uint64_t{100} * 1024 * 1024;
  uint64_t logs_max_total_bytes = uint64_t{5} * 1024 * 1024 * 1024;
  int max_log_streams = 32;
};

struct ComputeDeps {
  transport::ComputeTransport* transport = nullptr;
  store::ExecutionStore* store = nullptr;
  Plugins plugins;
  const Clock* clock = nullptr;
  // The node's input cache, shown in NodeInfo (null = none).
  const storage::InputCache* input_cache = nullptr;
};

class ComputeNode final : public transport::ComputeHandler {
 public:
  ComputeNode(ComputeDeps deps, ComputeConfig config);
  ~ComputeNode() override;

  Status start();
  void stop();

  const std::string& nodeId() const { return config_.node_id; }
  models::NodeInfo nodeInfo() const;
  // True once the orchestrator accepted our handshake (and until the link is lost).
  bool registered() const { return registered_; }
  // Waits (real time) until registered; false on timeout or stop.
  bool waitUntilRegistered(Duration timeout);
  // Run threads started so far (they start with the work, up to max_parallel, and stay), and how
  // many of them wait for a run.
  struct RunThreads {
    size_t started = 0;
    size_t idle = 0;
  };
  RunThreads runThreads() {
    std::lock_guard lock(runs_mu_);
    return {workers_.size(), idle_workers_};
  }
  // The injected clock moved (tests on a ManualClock): the connection thread reads it now rather
  // than at its next poll, so a heartbeat or reconciliation that fell due goes out at once.
  void clockAdvanced();

  // transport::ComputeHandler
  void onMessage(const transport::ToComputeMessage& msg) override;
  void onConnectionChanged(bool connected) override;
  // Handed to the log server (its own threads).
  void onLogStream(const transport::LogStreamRequest& request,
                   std::unique_ptr<transport::LogStreamWriter> writer) override;
  // Where the execution is on this node, for the log server.
  ExecutionPhase executionPhase(const std::string& execution_id) const;

 private:
  struct RunFinished {
    std::string execution_id;
    Result<models::RunCommandResult> outcome;
    models::SpecConfig published;
  };
  struct ReconcileAnswer {
    transport::ReconcileResponse response;
  };
  using Event = std::variant<transport::ToComputeMessage, RunFinished, ReconcileAnswer>;

  struct Running {
    std::shared_ptr<CancelToken> cancel;
    models::Resources reserved;     // what used_ holds for it
    std::vector<size_t> gpu_slots;  // positions in config_.capacity.gpus
  };

  void post(Event event);
  void controlLoop();
  void handle(const transport::ToComputeMessage& msg);
  void handleAskForBid(const transport::AskForBid& m);
  void handleBidAccepted(const std::string& execution_id);
  void handleBidRejected(const transport::BidRejected& m);
  void handleCancel(const std::string& execution_id, const std::string& reason);
  void handleRunFinished(RunFinished& f);
  void handleReconcile(const transport::ReconcileResponse& r);
  void startQueuedRuns();
  void runOnThread(const store::LocalExecution& exec, const std::shared_ptr<CancelToken>& cancel,
                   std::vector<models::Gpu> gpus);
  // Fails an approved execution that can never start here (its GPUs outnumber the node's).
  void failUnrunnable(const std::string& execution_id, const std::string& reason);
  void runWorkerLoop();
  void resendOutcome(const store::LocalExecution& e);
  void save(store::LocalExecution& e);
  void forget(const std::string& execution_id);
  std::string executionDir(const std::string& execution_id) const;
  // Why this node cannot stage the task's inputs on its disk ("" = it can, or their sizes are
  // not known before staging).
  std::string inputsDiskRefusal(const models::Task& task) const;
  // Why this node will not give a task the network it asks for ("" = it will).
  std::string networkRefusal(const models::NetworkConfig& network) const;
  // Why this node cannot give a task `wanted` GPUs ("" = it can, when enough are free).
  std::string gpuRefusal(uint64_t wanted) const;

  void connectionLoop();
  bool handshakeOnce();
  void heartbeatOnce();
  void reconcileOnce();

  ComputeDeps deps_;
  ComputeConfig config_;
  Time start_time_{};

  // Debug builds check that the state below is changed on the control thread and that the
  // connection thread's own is touched only there.
  ThreadChecker control_thread_;
  ThreadChecker connection_thread_;

  // Control-thread state; `mu_` guards it for the connection thread's reads.
  mutable std::mutex mu_;
  std::map<std::string, store::LocalExecution> executions_;
  std::deque<std::string> queue_;  // approved, waiting for capacity
  std::map<std::string, Running> running_;
  models::Resources used_;  // reserved by running executions
  // Which of config_.capacity.gpus a running execution holds (no two ever share one).
  std::vector<bool> gpu_in_use_;

  std::mutex events_mu_;
  std::condition_variable events_cv_;
  std::deque<Event> events_;

  std::mutex runs_mu_;
  std::condition_variable runs_cv_;
  std::deque<std::function<void()>> runs_;
  // Run threads start when there is work for them, up to config_.max_parallel, so an idle node
  // holds none; each then waits for the next run. Guarded by runs_mu_.
  std::vector<std::thread> workers_;
  size_t idle_workers_ = 0;

  std::mutex conn_mu_;
  std::condition_variable conn_cv_;
  bool reconcile_now_ = false;
  bool clock_advanced_ = false;

  std::atomic<bool> registered_{false};
  std::atomic<Duration> heartbeat_interval_{std::chrono::seconds(5)};
  // The orchestrator's job retention (its handshake answer; zero = it keeps jobs for ever): local
  // results older than this are offered in reconciliation, and removed once their job is gone.
  std::atomic<Duration> job_retention_{Duration::zero()};
  // Kept results whose executions the orchestrator said it still knows, and when: not offered
  // again for a retention period, so that others get their turn (connection thread only).
  std::map<std::string, Time> kept_known_;
  Time last_kept_scan_{};  // when the results folder was last read for them
  // The input cache's generation the orchestrator last heard of (connection thread only).
  uint64_t sent_cache_generation_ = ~uint64_t{0};
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::vector<std::thread> threads_;
  std::unique_ptr<LogServer> log_server_;  // made by start()
};

}  // namespace cod::compute
