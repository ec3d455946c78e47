#pragma once

// Records what compute nodes report about executions (bids, results, errors), answers their
// reconciliation reports, and turns node events into evaluations. Each report is one store
// transaction; the `exec-update` evaluation it triggers goes to the broker once it is committed
// (evaluations after a restart come from Orchestrator::start, which evaluates every unfinished
// job).
//
// Every handler is idempotent and tolerates reordering: a report about an execution that already
// reached a terminal state, or that is not on the reporting node, changes nothing.
//
// Thread-safety: all methods may be called concurrently.

#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "orchestrator/broker/evaluation_broker.h"
#include "store/job_store.h"
#include "transport/transport.h"

namespace cod::orchestrator {

class ExecutionUpdater {
 public:
  struct Deps {
    store::JobStore* store = nullptr;
    EvaluationBroker* broker = nullptr;
    transport::OrchestratorTransport* transport = nullptr;
    const Clock* clock = nullptr;
    Random* random = nullptr;
    // When the node last handshook (Time{} if unknown). A node builds its report after its
    // handshake, so an execution we changed before then and that the report lacks is lost.
    std::function<Time(const std::string& node_id)> handshake_time;
  };
  // How long an execution must have been unchanged before a report that lacks it counts as the
  // node having lost it (a report may race a bid that is still on the wire).
  explicit ExecutionUpdater(Deps deps, Duration report_grace = std::chrono::seconds(5));

  Status handle(const transport::ToOrchestratorMessage& msg);
  transport::ReconcileResponse reconcile(const transport::ReconcileRequest& req);

  // A node was lost or rejected: every job with live executions there is evaluated (node-leave).
  void onNodeLeft(const std::string& node_id);
  // A node joined: queued jobs get another look (node-join).
  void onNodeJoined(const std::string& node_id);

 private:
  Status onBidResult(const transport::BidResult& m);
  Status onRunResult(const transport::RunResult& m);
  Status onComputeError(const transport::ComputeError& m);
  // Changes an execution; gets its job (null if it is gone) and fills the history event. False =
  // nothing to record.
  using Change = std::function<bool(models::Execution&, const models::Job*, models::JobHistory&)>;
  // Loads the execution inside `tx`, applies `change` when it is live and on `node_id`, stores it
  // with `event` and enqueues an exec-update evaluation.
  Status recordUpdate(const std::string& execution_id, const std::string& node_id,
                      const Change& change);
  models::Evaluation newEvaluation(const models::Execution& e, const std::string& trigger,
                                   const models::Job* job);
  void evaluateJobs(const std::vector<std::string>& job_ids, const std::string& trigger);

  Deps deps_;
  Duration report_grace_;
};

}  // namespace cod::orchestrator
