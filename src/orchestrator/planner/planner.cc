#include "orchestrator/planner/planner.h"

#include <spdlog/spdlog.h>

namespace cod::orchestrator {

Planner::Planner(store::JobStore* store, EvaluationBroker* broker,
                 transport::OrchestratorTransport* transport, const Clock* clock)
    : store_(store), broker_(broker), transport_(transport), clock_(clock) {}

Status Planner::apply(Plan& plan) {
  int64_t now = toUnixNanos(clock_->now());
  Status st = store_->update([&](store::Txn& tx) -> Status {
    COD_ASSIGN_OR_RETURN(models::Job current, tx.getJob(plan.job.id));
    if (current.revision != plan.job.revision) {
      return aborted("job " + plan.job.id + " revision conflict: expected " +
                     std::to_string(plan.job.revision) + ", stored " +
                     std::to_string(current.revision));
    }
    if (plan.new_job_state) {
      current.state = *plan.new_job_state;
      current.modify_time = now;
      COD_RETURN_IF_ERROR(tx.updateJob(current));
      plan.job = current;
    }
    for (auto& e : plan.new_executions) COD_RETURN_IF_ERROR(tx.createExecution(e));
    for (auto& e : plan.updated_executions) COD_RETURN_IF_ERROR(tx.updateExecution(e));
    for (auto& h : plan.events) COD_RETURN_IF_ERROR(tx.addHistory(h));
    models::Evaluation done = plan.eval;
    done.status = models::kEvalStatusComplete;
    done.modify_time = now;
    auto existing = tx.getEvaluation(done.id);
    if (existing.isOk()) {
      COD_RETURN_IF_ERROR(tx.updateEvaluation(done));
    } else if (existing.status().code() != StatusCode::kNotFound) {
      return existing.status();
    }
    return Status::ok();
  });
  if (!st.isOk()) return st;

  for (const auto& ev : plan.new_evaluations) broker_->enqueue(ev);
  for (const auto& [node_id, msg] : plan.messages) {
    Status sent = transport_->send(node_id, msg);
    if (!sent.isOk()) {
      // Reconciliation repairs a lost message when the node reports in again.
      spdlog::debug("could not send {} for execution {} to {}: {}", transport::messageTypeName(msg),
                    transport::executionIdOf(msg), node_id, sent.message());
    }
  }
  return Status::ok();
}

}  // namespace cod::orchestrator
