#pragma once

// Records what compute nodes report about executions (bids, results, errors), answers their
// reconciliation reports, and turns node events into evaluations. A report, or a batch of those
// that queued up meanwhile, is one store transaction; the `exec-update` evaluation it triggers
// (one per job) goes to the broker once it is committed
// (evaluations after a restart come from Orchestrator::start, which evaluates every unfinished
// job).
//
// Every handler is idempotent and tolerates reordering: a report about an execution that already
// reached a terminal state, or that is not on the reporting node, changes nothing.
//
// Thread-safety: all methods may be called concurrently.

#include <functional>
#include <string>
#include <vector>

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
  // Several reports in one transaction (fewer commits under load); should the store refuse it,
  // each is recorded on its own. Logs each report it could not record; the first error, if any.
  Status handleBatch(const std::vector<transport::ToOrchestratorMessage>& msgs);
  transport::ReconcileResponse reconcile(const transport::ReconcileRequest& req);

  // A node was lost or rejected: every job with live executions there is evaluated (node-leave).
  void onNodeLeft(const std::string& node_id);
  // A node joined: queued jobs get another look (node-join).
  void onNodeJoined(const std::string& node_id);

 private:
  // Changes an execution; gets its job (null if it is gone) and fills the history event. False =
  // nothing to record.
  using Change = std::function<bool(models::Execution&, const models::Job*, models::JobHistory&)>;
  // A report, ready to apply: `change` applies to the execution when it is live and on `node_id`.
  struct Update {
    std::string execution_id;
    std::string node_id;
    Change change;
  };
  Update updateFor(const transport::ToOrchestratorMessage& msg);
  Update bidResult(const transport::BidResult& m);
  Update runResult(const transport::RunResult& m);
  Update computeError(const transport::ComputeError& m);
  // Applies the updates in one transaction, then enqueues an exec-update evaluation for each job
  // they changed.
  Status record(const std::vector<Update>& updates);
  // One update inside `tx`: stores the changed execution with its history event and adds the
  // job's evaluation to `evals` (once per job).
  Status applyUpdate(store::Txn& tx, const Update& u, std::vector<models::Evaluation>& evals);
  models::Evaluation newEvaluation(const models::Execution& e, const std::string& trigger,
                                   const models::Job* job);
  void evaluateJobs(const std::vector<std::string>& job_ids, const std::string& trigger);

  Deps deps_;
  Duration report_grace_;
};

}  // namespace cod::orchestrator
