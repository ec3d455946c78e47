#include "orchestrator/orchestrator.h"

#include <malloc.h>

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/strings.h"
#include "common/units.h"

namespace cod::orchestrator {

Orchestrator::Orchestrator(Deps deps, OrchestratorConfig config)
    : deps_(deps), config_(std::move(config)) {
  config_.scheduler.max_count = config_.job_limits.max_count;
  broker_ = std::make_unique<EvaluationBroker>(deps_.clock, config_.broker);
  nodes_ = std::make_unique<NodeManager>(deps_.store, deps_.clock, config_.nodes);
  schedulers_ =
      std::make_unique<SchedulerTable>(SchedulerDeps{&selector_, deps_.random, config_.scheduler});
  planner_ = std::make_unique<Planner>(deps_.store, broker_.get(), deps_.transport, deps_.clock);
  updater_ = std::make_unique<ExecutionUpdater>(ExecutionUpdater::Deps{
      deps_.store, broker_.get(), deps_.transport, deps_.clock, deps_.random,
      [this](const std::string& node_id) { return nodes_->lastHandshake(node_id); }});
  logs_ = std::make_unique<LogProxy>(deps_.store, deps_.transport, nodes_.get());
}

Orchestrator::~Orchestrator() { stop(); }

Status Orchestrator::start(const models::NodeInfo& self) {
  jobs_ = std::make_unique<JobService>(
      JobService::Deps{deps_.store, broker_.get(), deps_.clock, deps_.random, self.node_id},
      config_.job_defaults, config_.job_limits);
  COD_RETURN_IF_ERROR(nodes_->start(self));
  nodes_->setListener(NodeManager::Listener{
      [this](const std::string& id) { updater_->onNodeJoined(id); },
      [this](const std::string& id, const std::string&) { updater_->onNodeLeft(id); }});
  broker_->setDeadLetterHandler([this](const models::Evaluation& eval) {
    spdlog::error("evaluation {} of job {} failed {} times; giving up on it", eval.id, eval.job_id,
                  config_.broker.max_deliveries);
    markEvaluation(eval, models::kEvalStatusFailed, "delivery limit reached");
  });

  // Resume. Stored evaluations (submissions, stops, reruns) that were pending when we stopped or
  // crashed run again, and every other unfinished job gets one: the evaluations that follow
  // compute reports and timers live only in memory.
  COD_ASSIGN_OR_RETURN(auto pending, deps_.store->getPendingEvaluations());
  std::set<std::string> covered;
  for (auto& eval : pending) {
    covered.insert(eval.job_id);
    broker_->enqueue(std::move(eval));
  }
  size_t resumed = pending.size();
  COD_RETURN_IF_ERROR(store::forEachUnfinishedJob(*deps_.store, [&](const models::Job& job) {
    if (covered.count(job.id)) return Status::ok();
    models::Evaluation ev;
    ev.id = newEvaluationId(deps_.clock->now(), *deps_.random);
    ev.ns = job.ns;
    ev.job_id = job.id;
    ev.triggered_by = models::kEvalTriggerJobRecover;
    ev.priority = job.priority;
    ev.type = job.type;
    ev.status = models::kEvalStatusPending;
    ev.create_time = ev.modify_time = toUnixNanos(deps_.clock->now());
    broker_->enqueue(std::move(ev));
    ++resumed;
    return Status::ok();
  }));
  if (resumed > 0) spdlog::info("resuming {} unfinished jobs", resumed);

  Time now = deps_.clock->now();
  last_heartbeat_check_ = last_housekeeping_ = last_retention_ = now;
  COD_RETURN_IF_ERROR(deps_.transport->start(this));
  started_ = true;
  if (!config_.manual) {
    for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { workerLoop(); });
    for (int i = 0; i < config_.updaters; ++i) threads_.emplace_back([this] { updaterLoop(); });
    threads_.emplace_back([this] { timerLoop(); });
  }
  return Status::ok();
}

void Orchestrator::stop() {
  if (!started_ || stopping_.exchange(true)) return;
  deps_.transport->stop();
  {
    // The updaters finish what the transport queued before it stopped, then leave.
    std::lock_guard lock(updates_mu_);
    transport_stopped_ = true;
  }
  broker_->shutdown();
  updates_cv_.notify_all();
  timer_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// ---- scheduling ----

void Orchestrator::processDelivery(const EvaluationBroker::Delivery& d) {
  const models::Evaluation& eval = d.eval;
  auto job = deps_.store->getJob(eval.job_id);
  if (!job.isOk()) {
    if (job.status().code() == StatusCode::kNotFound) {
      markEvaluation(eval, models::kEvalStatusFailed, "job not found");
      (void)broker_->ack(eval.id, d.token);
    } else {
      spdlog::warn("evaluation {}: {}", eval.id, job.status().message());
      (void)broker_->nack(eval.id, d.token);
    }
    return;
  }
  store::ExecutionQuery q;
  q.job_id = eval.job_id;
  q.all_versions = true;
  auto executions = deps_.store->getExecutions(q);
  if (!executions.isOk()) {
    spdlog::warn("evaluation {}: {}", eval.id, executions.status().message());
    (void)broker_->nack(eval.id, d.token);
    return;
  }
  SchedulerInput in{eval, std::move(job).value(), std::move(executions).value(),
                    {},   deps_.clock->now(),     nodes_->snapshot()};
  Plan plan = schedulers_->forType(in.job.jobType()).process(in);
  Status st = planner_->apply(plan);
  if (st.isOk()) {
    (void)broker_->ack(eval.id, d.token);
  } else {
    if (st.code() != StatusCode::kAborted) {
      spdlog::warn("evaluation {} of job {}: {}", eval.id, eval.job_id, st.message());
    }
    (void)broker_->nack(eval.id, d.token);
  }
}

bool Orchestrator::processOne() {
  auto d = broker_->tryDequeue();
  if (!d) return false;
  processDelivery(*d);
  return true;
}

void Orchestrator::workerLoop() {
  while (!stopping_) {
    auto d = broker_->dequeue(std::chrono::seconds(1));
    if (d) processDelivery(*d);
  }
}

// ---- compute reports ----

void Orchestrator::post(Work work) {
  {
    std::lock_guard lock(updates_mu_);
    updates_.push_back(std::move(work));
  }
  updates_cv_.notify_one();
}

void Orchestrator::onMessage(const transport::ToOrchestratorMessage& msg) { post(msg); }

bool Orchestrator::processOneUpdate() {
  std::vector<transport::ToOrchestratorMessage> reports;
  std::function<void()> work;
  {
    std::lock_guard lock(updates_mu_);
    if (updates_.empty()) return false;
    // The reports at the head of the queue go together, in one transaction.
    while (!updates_.empty() && reports.size() < kMaxReportBatch) {
      auto* report = std::get_if<transport::ToOrchestratorMessage>(&updates_.front());
      if (report == nullptr) break;
      reports.push_back(std::move(*report));
      updates_.pop_front();
    }
    if (reports.empty()) {
      work = std::move(std::get<std::function<void()>>(updates_.front()));
      updates_.pop_front();
    }
  }
  if (!reports.empty()) {
    (void)updater_->handleBatch(reports);  // it logs what it could not record
  } else {
    work();
  }
  return true;
}

void Orchestrator::updaterLoop() {
  while (true) {
    {
      std::unique_lock lock(updates_mu_);
      updates_cv_.wait(lock, [this] { return transport_stopped_ || !updates_.empty(); });
      if (transport_stopped_ && updates_.empty()) return;
    }
    processOneUpdate();
  }
}

// Control requests. A heartbeat only touches the node manager's memory and is answered on the
// transport's thread; the others write to or read the store, so they queue behind the compute
// reports and are answered from an updater thread.

void Orchestrator::onHandshake(const transport::HandshakeRequest& req,
                               transport::Reply<transport::HandshakeResponse> reply) {
  post([this, req, reply = std::move(reply)] {
    transport::HandshakeResponse r = nodes_->handshake(req);
    r.job_retention = config_.job_retention;
    reply(std::move(r));
  });
}

void Orchestrator::onHeartbeat(const transport::HeartbeatRequest& req,
                               transport::Reply<transport::HeartbeatResponse> reply) {
  reply(nodes_->heartbeat(req));
}

void Orchestrator::onUpdateNodeInfo(const transport::UpdateNodeInfoRequest& req,
                                    transport::Reply<transport::UpdateNodeInfoResponse> reply) {
  post([this, req, reply = std::move(reply)] { reply(nodes_->updateNodeInfo(req)); });
}

void Orchestrator::onReconcile(const transport::ReconcileRequest& req,
                               transport::Reply<transport::ReconcileResponse> reply) {
  post([this, req, reply = std::move(reply)] { reply(updater_->reconcile(req)); });
}

void Orchestrator::onPresignUpload(const transport::PresignUploadRequest& req,
                                   transport::Reply<transport::PresignUploadResponse> reply) {
  post([this, req, reply = std::move(reply)] { reply(presignUpload(req)); });
}

transport::PresignUploadResponse Orchestrator::presignUpload(
    const transport::PresignUploadRequest& req) {
  if (!config_.presign_managed_upload) {
    return {"",
            "this orchestrator manages no S3 bucket (set Publishers.Types.S3Managed.Bucket "
            "in its config)"};
  }
  // Only for an execution of that job, on that node, publishing to the managed bucket.
  auto execution = deps_.store->getExecution(req.execution_id);
  if (!execution.isOk() || execution->job_id != req.job_id || execution->node_id != req.node_id) {
    return {"", "no execution " + req.execution_id + " of job " + req.job_id + " on node " +
                    req.node_id};
  }
  auto job = deps_.store->getJob(req.job_id);
  if (!job.isOk() || job->tasks.empty() ||
      !equalsIgnoreCase(trim(job->task().publisher.type), "s3managed")) {
    return {"", "job " + req.job_id + " does not publish to the managed bucket"};
  }
  auto url = config_.presign_managed_upload(req.job_id, req.execution_id);
  if (!url.isOk()) return {"", url.status().message()};
  return {*url, ""};
}

// ---- timers ----

void Orchestrator::tick() {
  std::lock_guard lock(tick_mu_);
  broker_->tick();
  Time now = deps_.clock->now();
  auto check_every = std::clamp<Duration>(config_.nodes.disconnect_timeout / 3,
                                          std::chrono::seconds(1), std::chrono::seconds(30));
  if (now - last_heartbeat_check_ >= check_every || config_.manual) {
    last_heartbeat_check_ = now;
    nodes_->checkHeartbeats();
  }
  if (now - last_housekeeping_ >= config_.housekeeping_interval) {
    last_housekeeping_ = now;
    housekeeping();
  }
  if (config_.job_retention > Duration::zero()) {
    auto every = std::clamp<Duration>(config_.job_retention / 10, std::chrono::seconds(1),
                                      std::chrono::minutes(5));
    if (now - last_retention_ >= every || config_.manual) {
      // A backlog left over goes on at the next tick, not after another interval.
      if (!expireJobs()) last_retention_ = now;
    }
  }
  flushCancelledEvaluations();
}

void Orchestrator::timerLoop() {
  while (!stopping_) {
    {
      std::unique_lock lock(timer_mu_);
      timer_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_.load(); });
    }
    if (stopping_) return;
    tick();
  }
}

void Orchestrator::markEvaluation(const models::Evaluation& eval, const std::string& status,
                                  const std::string& comment) {
  Status st = deps_.store->update([&](store::Txn& tx) -> Status {
    auto stored = tx.getEvaluation(eval.id);
    if (!stored.isOk())
      return stored.status().code() == StatusCode::kNotFound ? Status::ok() : stored.status();
    models::Evaluation e = std::move(stored).value();
    e.status = status;
    e.comment = comment;
    e.modify_time = toUnixNanos(deps_.clock->now());
    return tx.updateEvaluation(e);
  });
  if (!st.isOk())
    spdlog::warn("could not mark evaluation {} {}: {}", eval.id, status, st.message());
}

void Orchestrator::flushCancelledEvaluations() {
  auto ids = broker_->takeCancelled();
  if (ids.empty()) return;
  // Superseded evaluations must not be reloaded as pending after a restart.
  Status st = deps_.store->update([&](store::Txn& tx) -> Status {
    for (const auto& id : ids) {
      auto stored = tx.getEvaluation(id);
      if (!stored.isOk()) continue;
      models::Evaluation e = std::move(stored).value();
      if (e.status != models::kEvalStatusPending) continue;
      e.status = models::kEvalStatusCanceled;
      e.comment = "superseded by a newer evaluation of the job";
      e.modify_time = toUnixNanos(deps_.clock->now());
      COD_RETURN_IF_ERROR(tx.updateEvaluation(e));
    }
    return Status::ok();
  });
  if (!st.isOk()) spdlog::warn("could not cancel superseded evaluations: {}", st.message());
}

bool Orchestrator::expireJobs() {
  // A few batches per tick: each is one short transaction, so submissions and reports interleave
  // with a large backlog instead of waiting behind it; the rest goes on the next ticks.
  constexpr int kMostBatchesPerTick = 5;
  Time before = deps_.clock->now() - config_.job_retention;
  size_t removed = 0;
  bool more = false;
  for (int batch = 0; batch < kMostBatchesPerTick; ++batch) {
    auto ids = deps_.store->listFinishedJobsBefore(before, config_.retention_batch);
    if (!ids.isOk()) {
      spdlog::warn("job retention: {}", ids.status().message());
      break;
    }
    if (ids->empty()) break;
    size_t in_batch = 0;
    Status st = deps_.store->update([&](store::Txn& tx) -> Status {
      in_batch = 0;
      for (const std::string& id : *ids) {
        // Still ended and unchanged: a rerun or a late report since the listing keeps it.
        auto job = tx.getJob(id);
        if (!job.isOk()) continue;
        if (!models::isTerminal(job->state.state_type) ||
            fromUnixNanos(job->modify_time) >= before) {
          continue;
        }
        COD_RETURN_IF_ERROR(tx.deleteJob(id));
        ++in_batch;
      }
      return Status::ok();
    });
    if (!st.isOk()) {
      spdlog::warn("job retention: {}", st.message());
      break;
    }
    removed += in_batch;
    if (ids->size() < config_.retention_batch || in_batch == 0) break;
    more = batch + 1 == kMostBatchesPerTick;
  }
  // Evaluations go by age alone (their IDs are time-ordered): those of removed jobs, and the
  // finished ones of jobs that live on.
  size_t evaluations = 0;
  for (int batch = 0; batch < kMostBatchesPerTick; ++batch) {
    size_t in_batch = 0;
    Status st = deps_.store->update([&](store::Txn& tx) -> Status {
      COD_ASSIGN_OR_RETURN(in_batch, tx.deleteEvaluationsBefore(before, config_.retention_batch));
      return Status::ok();
    });
    if (!st.isOk()) {
      spdlog::warn("job retention: {}", st.message());
      break;
    }
    evaluations += in_batch;
    if (in_batch < config_.retention_batch) break;
    more = more || batch + 1 == kMostBatchesPerTick;
  }
  if (removed > 0 || evaluations > 0) {
    spdlog::info("job retention: removed {} jobs and {} evaluations older than {}", removed,
                 evaluations, formatDuration(config_.job_retention));
  }
  return more;
}

void Orchestrator::housekeeping() {
  // Page by page: a backlog of queued jobs is never all in memory at once.
  Time now = deps_.clock->now();
  Status walked = store::forEachUnfinishedJob(*deps_.store, [&](const models::Job& job) {
    if (job.isLongRunning() || job.tasks.empty()) return Status::ok();
    const auto& t = job.task().timeouts;
    std::string trigger;
    if (t.total_timeout > 0 &&
        now - fromUnixNanos(job.create_time) > std::chrono::seconds(t.total_timeout)) {
      trigger = models::kEvalTriggerJobTimeout;
    } else {
      int64_t exec_timeout = t.execution_timeout > 0 ? t.execution_timeout : t.total_timeout;
      if (exec_timeout <= 0) return Status::ok();
      store::ExecutionQuery eq;
      eq.job_id = job.id;
      auto execs = deps_.store->getExecutions(eq);
      if (!execs.isOk()) return Status::ok();
      for (const auto& e : *execs) {
        if (models::isExecuting(e.compute_state.state_type) &&
            now - fromUnixNanos(e.modify_time) >
                std::chrono::seconds(exec_timeout) + std::chrono::seconds(10)) {
          trigger = models::kEvalTriggerExecTimeout;
          break;
        }
      }
    }
    if (trigger.empty()) return Status::ok();
    models::Evaluation ev;
    ev.id = newEvaluationId(deps_.clock->now(), *deps_.random);
    ev.ns = job.ns;
    ev.job_id = job.id;
    ev.triggered_by = trigger;
    ev.priority = job.priority;
    ev.type = job.type;
    ev.status = models::kEvalStatusPending;
    ev.create_time = ev.modify_time = toUnixNanos(now);
    broker_->enqueue(ev);
    return Status::ok();
  });
  if (!walked.isOk()) spdlog::warn("timeout check: {}", walked.message());
  // Hand freed heap back to the kernel: after a burst (a backlog of queued jobs, a flood of
  // requests) glibc keeps what it freed, and the orchestrator's RSS would stay at its peak.
  ::malloc_trim(0);
}

}  // namespace cod::orchestrator
