#include "orchestrator/execution_updater.h"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "models/execution_errors.h"
#include "orchestrator/events.h"

namespace cod::orchestrator {

using models::ExecutionDesiredStateType;
using models::ExecutionStateType;

ExecutionUpdater::ExecutionUpdater(Deps deps, Duration report_grace)
    : deps_(std::move(deps)), report_grace_(report_grace) {}

models::Evaluation ExecutionUpdater::newEvaluation(const models::Execution& e,
                                                   const std::string& trigger,
                                                   const models::Job* job) {
  models::Evaluation ev;
  ev.id = newEvaluationId(deps_.clock->now(), *deps_.random);
  ev.ns = e.ns;
  ev.job_id = e.job_id;
  ev.triggered_by = trigger;
  if (job) {
    ev.priority = job->priority;
    ev.type = job->type;
  }
  ev.status = models::kEvalStatusPending;
  ev.create_time = ev.modify_time = toUnixNanos(deps_.clock->now());
  return ev;
}

Status ExecutionUpdater::applyUpdate(store::Txn& tx, const Update& u,
                                     std::vector<models::Evaluation>& evals) {
  auto loaded = tx.getExecution(u.execution_id);
  if (!loaded.isOk()) {
    if (loaded.status().code() == StatusCode::kNotFound) return Status::ok();
    return loaded.status();
  }
  models::Execution e = std::move(loaded).value();
  if (e.node_id != u.node_id || e.isTerminal()) return Status::ok();
  auto job = tx.getJob(e.job_id);
  const models::Job* job_ptr = job.isOk() ? &*job : nullptr;
  models::JobHistory event;
  if (!u.change(e, job_ptr, event)) return Status::ok();
  e.modify_time = toUnixNanos(deps_.clock->now());
  COD_RETURN_IF_ERROR(tx.updateExecution(e));
  if (!event.event.message.empty()) COD_RETURN_IF_ERROR(tx.addHistory(event));
  // The evaluation is not stored: the execution's new state is, and after a restart every
  // unfinished job is evaluated again (Orchestrator::start). Reports about one job in one batch
  // need only one.
  bool job_covered = std::any_of(evals.begin(), evals.end(), [&](const models::Evaluation& ev) {
    return ev.job_id == e.job_id;
  });
  if (!job_covered) evals.push_back(newEvaluation(e, models::kEvalTriggerExecUpdate, job_ptr));
  return Status::ok();
}

Status ExecutionUpdater::record(const std::vector<Update>& updates) {
  std::vector<models::Evaluation> evals;
  Status st = deps_.store->update([&](store::Txn& tx) -> Status {
    evals.clear();  // a transaction the store retries starts over
    for (const auto& u : updates) COD_RETURN_IF_ERROR(applyUpdate(tx, u, evals));
    return Status::ok();
  });
  if (st.isOk()) {
    for (auto& ev : evals) deps_.broker->enqueue(std::move(ev));
  }
  return st;
}

Status ExecutionUpdater::handle(const transport::ToOrchestratorMessage& msg) {
  return record({updateFor(msg)});
}

Status ExecutionUpdater::handleBatch(const std::vector<transport::ToOrchestratorMessage>& msgs) {
  std::vector<Update> updates;
  updates.reserve(msgs.size());
  for (const auto& m : msgs) updates.push_back(updateFor(m));
  if (updates.size() > 1) {
    if (Status st = record(updates); st.isOk()) return st;
  }
  // One at a time: a batch of one, or a batch the store refused, since one report the store
  // refuses must not cost the others.
  Status first = Status::ok();
  for (size_t i = 0; i < updates.size(); ++i) {
    Status one = record({updates[i]});
    if (!one.isOk()) {
      spdlog::warn("could not record {} for execution {}: {}", transport::messageTypeName(msgs[i]),
                   updates[i].execution_id, one.message());
      if (first.isOk()) first = one;
    }
  }
  return first;
}

ExecutionUpdater::Update ExecutionUpdater::updateFor(const transport::ToOrchestratorMessage& msg) {
  return std::visit(
      [this](const auto& m) -> Update {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, transport::BidResult>) return bidResult(m);
        if constexpr (std::is_same_v<T, transport::RunResult>) return runResult(m);
        if constexpr (std::is_same_v<T, transport::ComputeError>) return computeError(m);
      },
      msg);
}

ExecutionUpdater::Update ExecutionUpdater::bidResult(const transport::BidResult& m) {
  Time now = deps_.clock->now();
  return {m.execution_id, m.node_id,
          [m, now](models::Execution& e, const models::Job*, models::JobHistory& event) {
            if (e.compute_state.state_type != ExecutionStateType::kNew) return false;
            if (m.accepted) {
              // An execution asked to run directly (ops, daemon) runs on its own bid: no
              // approval.
              bool direct = e.desired_state.state_type == ExecutionDesiredStateType::kRunning;
              e.compute_state = {direct ? ExecutionStateType::kBidAccepted
                                        : ExecutionStateType::kAskForBidAccepted,
                                 "",
                                 {}};
              if (!m.allocated.isZero() && !e.allocated_resources.tasks.empty()) {
                e.allocated_resources.tasks.begin()->second = m.allocated;
              }
              event = events::executionEvent(e, now, models::kTopicScheduling,
                                             "Bid accepted by " + shortId(m.node_id),
                                             {{models::kDetailNodeId, m.node_id}});
            } else {
              std::string reason = m.reason.empty() ? "bid rejected" : m.reason;
              e.compute_state = {ExecutionStateType::kAskForBidRejected, reason, {}};
              e.desired_state = {ExecutionDesiredStateType::kStopped, reason, {}};
              event = events::executionEvent(e, now, models::kTopicScheduling,
                                             "Node " + shortId(m.node_id) + " declined: " + reason,
                                             {{models::kDetailNodeId, m.node_id}});
            }
            return true;
          }};
}

ExecutionUpdater::Update ExecutionUpdater::runResult(const transport::RunResult& m) {
  Time now = deps_.clock->now();
  return {m.execution_id, m.node_id,
          [m, now](models::Execution& e, const models::Job* job, models::JobHistory& event) {
            e.run_output = m.output;
            e.published_result = m.published_result;
            std::string code = m.output.exit_code == 0
                                   ? ""
                                   : " with exit code " + std::to_string(m.output.exit_code);
            if (job && job->isLongRunning()) {
              // A service replica or daemon is meant to run until stopped (reference §7): its
              // end is a failure the scheduler replaces.
              std::string message = "execution completed unexpectedly" + code;
              e.compute_state = {ExecutionStateType::kFailed, message, {}};
              e.desired_state = {ExecutionDesiredStateType::kStopped, "execution completed", {}};
              e.retryable = true;
              event = events::executionEvent(e, now, models::kTopicExecution, message,
                                             events::errorDetails("", true, true));
              return true;
            }
            e.compute_state = {ExecutionStateType::kCompleted, "", {}};
            e.desired_state = {ExecutionDesiredStateType::kStopped, "execution completed", {}};
            std::string message = code.empty() ? "Completed successfully" : "Completed" + code;
            event = events::executionEvent(e, now, models::kTopicExecution, message);
            return true;
          }};
}

ExecutionUpdater::Update ExecutionUpdater::computeError(const transport::ComputeError& m) {
  Time now = deps_.clock->now();
  return {m.execution_id, m.node_id,
          [m, now](models::Execution& e, const models::Job*, models::JobHistory& event) {
            auto details = events::errorDetails(m.hint, true, m.retryable, m.error_code);
            e.retryable = m.retryable;
            e.compute_state = {ExecutionStateType::kFailed, m.message, details};
            e.compute_state.details.erase(models::kDetailRetryable);  // the typed flag says it
            e.desired_state = {ExecutionDesiredStateType::kStopped, "execution failed", {}};
            e.run_output.error_msg = m.message;
            event = events::executionEvent(e, now, models::kTopicExecution, m.message, details);
            return true;
          }};
}

transport::ReconcileResponse ExecutionUpdater::reconcile(const transport::ReconcileRequest& req) {
  transport::ReconcileResponse out;
  std::set<std::string> reported;
  Time now = deps_.clock->now();
  for (const auto& r : req.executions) {
    reported.insert(r.execution_id);
    transport::DesiredExecution d{r.execution_id, ExecutionDesiredStateType::kStopped, false};
    auto e = deps_.store->getExecution(r.execution_id);
    if (e.isOk() && e->node_id == req.node_id) {
      d.desired = e->desired_state.state_type;
      auto ours = e->compute_state.state_type;
      bool node_done = models::isTerminal(r.state);
      // The node is further along than we know: the message that said so was lost.
      if (ours == ExecutionStateType::kNew &&
          (r.state == ExecutionStateType::kAskForBidAccepted ||
           r.state == ExecutionStateType::kAskForBidRejected || node_done)) {
        d.resend = true;
      } else if (!models::isTerminal(ours) && node_done) {
        d.resend = true;
      }
    }
    out.executions.push_back(d);
  }
  // Results the node still keeps of executions we no longer know: retention removed their jobs.
  for (const std::string& id : req.kept_results) {
    auto e = deps_.store->getExecution(id);
    if (!e.isOk() && e.status().code() == StatusCode::kNotFound)
      out.forgotten_results.push_back(id);
  }

  // Executions we placed on the node that it does not report.
  auto active = deps_.store->getActiveExecutionsOnNode(req.node_id);
  if (!active.isOk()) {
    spdlog::warn("reconcile {}: {}", req.node_id, active.status().message());
    return out;
  }
  std::vector<std::string> lost;
  Time handshake = deps_.handshake_time ? deps_.handshake_time(req.node_id) : Time{};
  for (const auto& e : *active) {
    if (reported.count(e.id)) continue;
    Time modified = fromUnixNanos(e.modify_time);
    // Changed after the node's handshake and recently: a report may have crossed a message on
    // the wire; the next report settles it.
    if (modified >= handshake && now - modified < report_grace_) continue;
    if (e.compute_state.state_type == ExecutionStateType::kNew) {
      // The request to bid never arrived: ask again.
      auto job = deps_.store->getJobVersion(e.job_id, e.job_version);
      if (!job.isOk()) continue;
      models::Execution with_job = e;
      with_job.job = std::make_shared<const models::Job>(std::move(job).value());
      // Ops and daemon executions (DesiredState Running) run on the node's own bid.
      bool direct = e.desired_state.state_type == ExecutionDesiredStateType::kRunning;
      (void)deps_.transport->send(req.node_id, transport::AskForBid{std::move(with_job), direct});
    } else {
      lost.push_back(e.id);
    }
  }
  for (const auto& id : lost) {
    transport::ComputeError err;
    err.execution_id = id;
    err.node_id = req.node_id;
    err.message = "the compute node no longer has this execution (it may have restarted)";
    err.retryable = true;
    err.error_code = models::kErrorExecutionLost;
    Status st = record({computeError(err)});
    if (!st.isOk()) spdlog::warn("could not fail lost execution {}: {}", id, st.message());
  }
  return out;
}

void ExecutionUpdater::evaluateJobs(const std::vector<std::string>& job_ids,
                                    const std::string& trigger) {
  for (const auto& job_id : job_ids) {
    auto job = deps_.store->getJob(job_id);
    if (!job.isOk() || models::isTerminal(job->state.state_type)) continue;
    models::Execution fake;
    fake.ns = job->ns;
    fake.job_id = job_id;
    deps_.broker->enqueue(newEvaluation(fake, trigger, &*job));
  }
}

void ExecutionUpdater::onNodeLeft(const std::string& node_id) {
  auto active = deps_.store->getActiveExecutionsOnNode(node_id);
  if (!active.isOk()) {
    spdlog::warn("node {} left, but its executions could not be read: {}", node_id,
                 active.status().message());
    return;
  }
  std::set<std::string> jobs;
  for (const auto& e : *active) jobs.insert(e.job_id);
  evaluateJobs({jobs.begin(), jobs.end()}, models::kEvalTriggerNodeLeave);
}

void ExecutionUpdater::onNodeJoined(const std::string&) {
  // Queued jobs may fit now, and every unfinished daemon job runs on the new node if it matches.
  std::vector<std::string> ids;
  Status walked = store::forEachUnfinishedJob(*deps_.store, [&](const models::Job& j) {
    if (j.state.state_type == models::JobStateType::kQueued ||
        j.jobType() == models::JobType::kDaemon) {
      ids.push_back(j.id);
    }
    return Status::ok();
  });
  if (!walked.isOk()) {
    spdlog::warn("a node joined, but the unfinished jobs could not be read: {}", walked.message());
    return;
  }
  evaluateJobs(ids, models::kEvalTriggerNodeJoin);
}

}  // namespace cod::orchestrator
