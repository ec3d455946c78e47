#include "compute/compute_node.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "common/version.h"
#include "compute/capacity.h"
#include "models/execution_errors.h"
#include "models/job_validation.h"

namespace cod::compute {

namespace fs = std::filesystem;
using models::ExecutionStateType;

namespace {

std::string hostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

// Maps an executor error to whether another node might succeed.
bool isRetryable(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnimplemented:
    case StatusCode::kResourceExhausted:  // out of memory: it would be again elsewhere
      return false;
    default: return true;
  }
}

// A label value made of what label selectors accept: "NVIDIA H200 (SXM)" → "NVIDIA-H200--SXM-".
std::string labelValue(std::string_view text) {
  std::string out(trim(text));
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  }
  return out;
}

}  // namespace

ComputeNode::ComputeNode(ComputeDeps deps, ComputeConfig config)
    : deps_(std::move(deps)), config_(std::move(config)) {
  if (config_.capacity.isZero()) config_.capacity = defaultCapacity(config_.data_dir);
  models::Resources& cap = config_.capacity;
  if (cap.gpu > cap.gpus.size()) {
    spdlog::warn("the configured capacity offers {} GPUs, but this node has {}: it offers {}",
                 cap.gpu, cap.gpus.size(), cap.gpus.size());
    cap.gpu = cap.gpus.size();
  }
  cap.gpus.resize(cap.gpu);  // an operator who offers fewer keeps the rest for themselves
  gpu_in_use_.assign(cap.gpus.size(), false);
  heartbeat_interval_ = config_.heartbeat_interval;
}

ComputeNode::~ComputeNode() { stop(); }

models::NodeInfo ComputeNode::nodeInfo() const {
  models::NodeInfo info;
  info.node_id = config_.node_id;
  info.node_type = models::kNodeTypeCompute;
  info.labels = config_.labels;
  info.labels["os_type"] = "linux";
  info.labels["os_arch"] = arch();
  info.labels["name"] = config_.node_id;
  info.labels["hostname"] = hostName();
  // Bacalhau's GPU labels, so that a selector can ask for a model ("GPU-0=NVIDIA-H200").
  for (size_t i = 0; i < config_.capacity.gpus.size(); ++i) {
    const models::Gpu& g = config_.capacity.gpus[i];
    std::string key = "GPU-" + std::to_string(i);
    info.labels[key] = labelValue(g.name);
    info.labels[key + "-Memory"] = std::to_string(g.memory) + "-MiB";
  }
  info.supported_protocols = {"cod/v1"};
  auto& ci = info.compute_node_info;
  ci.execution_engines = deps_.plugins.engineNames();
  ci.storage_sources = deps_.plugins.storageNames();
  ci.publishers = deps_.plugins.publisherNames();
  ci.max_capacity = config_.capacity;
  ci.max_job_requirements = config_.capacity;
  {
    std::lock_guard lock(mu_);
    ci.available_capacity = config_.capacity - used_;
    ci.available_capacity.gpus.clear();
    for (size_t i = 0; i < gpu_in_use_.size(); ++i) {
      if (!gpu_in_use_[i]) ci.available_capacity.gpus.push_back(config_.capacity.gpus[i]);
    }
    for (const auto& id : queue_) ci.queue_capacity += executions_.at(id).resources;
    ci.running_executions = static_cast<int64_t>(running_.size());
    ci.enqueued_executions = static_cast<int64_t>(queue_.size());
  }
  ci.address = config_.address;
  if (deps_.input_cache != nullptr) ci.input_cache = deps_.input_cache->info();
  info.bacalhau_version.git_version = gitVersion();
  info.bacalhau_version.goarch = arch();
  return info;
}

Status ComputeNode::start() {
  start_time_ = deps_.clock->now();
  std::error_code ec;
  fs::create_directories(fs::path(config_.data_dir) / "executions", ec);
  if (ec) {
    return internalError("cannot create " + config_.data_dir + "/executions: " + ec.message());
  }
  // What an earlier life of this node left behind: each engine's sandboxes, then its executions.
  for (executor::Executor* e : deps_.plugins.executors) {
    auto removed = e->recover();
    if (!removed.isOk()) {
      spdlog::warn("{}: cleaning up after an earlier run failed: {}", e->name(),
                   removed.status().toString());
    } else if (*removed > 0) {
      spdlog::info("{}: removed {} sandboxes left over from before this node restarted", e->name(),
                   *removed);
    }
  }
  COD_ASSIGN_OR_RETURN(auto stored, deps_.store->list());
  for (auto& e : stored) {
    auto s = e.state();
    if (s == ExecutionStateType::kBidAccepted || s == ExecutionStateType::kRunning ||
        s == ExecutionStateType::kPublishing) {
      // Its process died with us.
      e.execution.compute_state = {ExecutionStateType::kFailed,
                                   "the compute node restarted while the execution was running",
                                   {}};
      e.error = e.execution.compute_state.message;
      e.error_code = models::kErrorNodeRestarted;
      e.retryable = true;
      e.updated = deps_.clock->now();
      (void)deps_.store->put(e);
    }
    executions_[e.id()] = std::move(e);
  }
  // Nothing runs yet, so every working folder and staged input there is an earlier life's.
  size_t left = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(config_.data_dir) / "executions", ec)) {
    std::error_code rec;
    fs::remove_all(entry.path(), rec);
    if (rec) {
      spdlog::warn("cannot remove {} left over from before this node restarted: {}",
                   entry.path().string(), rec.message());
    } else {
      ++left;
    }
  }
  if (left > 0) {
    spdlog::info("removed {} execution folders left over from before this node restarted", left);
  }
  std::string logs_dir = (fs::path(config_.data_dir) / "logs").string();
  fs::create_directories(logs_dir, ec);
  if (ec) return internalError("cannot create " + logs_dir + ": " + ec.message());
  LogServerConfig log_config;
  log_config.max_streams = config_.max_log_streams;
  log_config.retention = config_.log_retention;
  log_config.max_total_bytes = config_.logs_max_total_bytes;
  log_server_ = std::make_unique<LogServer>(
      config_.node_id, logs_dir, [this](const std::string& id) { return executionPhase(id); },
      log_config);
  log_server_->start();
  COD_RETURN_IF_ERROR(deps_.transport->start(config_.node_id, this));
  started_ = true;
  threads_.emplace_back([this] { controlLoop(); });
  threads_.emplace_back([this] { connectionLoop(); });
  return Status::ok();
}

void ComputeNode::stop() {
  if (!started_ || stopping_.exchange(true)) return;
  deps_.transport->stop();
  if (log_server_) log_server_->stop();
  {
    std::lock_guard lock(mu_);
    for (auto& [id, r] : running_) r.cancel->cancel();
  }
  // stopping_ is set outside these mutexes: taking each once makes sure no thread is between
  // checking it and blocking, which would miss the notify and never wake (stop() hung in join).
  { std::lock_guard lock(events_mu_); }
  { std::lock_guard lock(runs_mu_); }
  { std::lock_guard lock(conn_mu_); }
  events_cv_.notify_all();
  runs_cv_.notify_all();
  conn_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(runs_mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

// ---- events ----

void ComputeNode::onMessage(const transport::ToComputeMessage& msg) { post(msg); }

void ComputeNode::onConnectionChanged(bool connected) {
  if (!connected) {
    registered_ = false;
  }
  {
    std::lock_guard lock(conn_mu_);
    reconcile_now_ = true;
  }
  conn_cv_.notify_all();
}

void ComputeNode::onLogStream(const transport::LogStreamRequest& request,
                              std::unique_ptr<transport::LogStreamWriter> writer) {
  if (!log_server_ || stopping_) {
    writer->end(unavailable("compute node " + config_.node_id + " is not serving logs"));
    return;
  }
  log_server_->serve(request, std::move(writer));
}

ExecutionPhase ComputeNode::executionPhase(const std::string& execution_id) const {
  std::lock_guard lock(mu_);
  if (running_.count(execution_id) > 0) return ExecutionPhase::kRunning;
  auto it = executions_.find(execution_id);
  if (it == executions_.end()) return ExecutionPhase::kUnknown;
  return it->second.execution.isTerminal() ? ExecutionPhase::kEnded : ExecutionPhase::kPending;
}

void ComputeNode::post(Event event) {
  {
    std::lock_guard lock(events_mu_);
    events_.push_back(std::move(event));
  }
  events_cv_.notify_one();
}

void ComputeNode::controlLoop() {
  while (true) {
    Event event;
    {
      std::unique_lock lock(events_mu_);
      events_cv_.wait(lock, [this] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      event = std::move(events_.front());
      events_.pop_front();
    }
    std::visit(
        [this](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, transport::ToComputeMessage>) {
            handle(e);
          } else if constexpr (std::is_same_v<T, RunFinished>) {
            handleRunFinished(e);
          } else {
            handleReconcile(e.response);
          }
        },
        event);
  }
}

void ComputeNode::handle(const transport::ToComputeMessage& msg) {
  COD_DCHECK_ON_THREAD(control_thread_);
  std::visit(
      [this](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, transport::AskForBid>) {
          handleAskForBid(m);
        } else if constexpr (std::is_same_v<T, transport::BidAccepted>) {
          handleBidAccepted(m.execution_id);
        } else if constexpr (std::is_same_v<T, transport::BidRejected>) {
          handleBidRejected(m);
        } else {
          handleCancel(m.execution_id, m.reason);
        }
      },
      msg);
}

void ComputeNode::save(store::LocalExecution& e) {
  COD_DCHECK_ON_THREAD(control_thread_);
  e.updated = deps_.clock->now();
  e.execution.modify_time = toUnixNanos(e.updated);
  Status st = deps_.store->put(e);
  if (!st.isOk()) spdlog::warn("could not save execution {}: {}", e.id(), st.message());
  std::lock_guard lock(mu_);
  executions_[e.id()] = e;
}

void ComputeNode::forget(const std::string& execution_id) {
  COD_DCHECK_ON_THREAD(control_thread_);
  (void)deps_.store->remove(execution_id);
  std::lock_guard lock(mu_);
  executions_.erase(execution_id);
}

std::string ComputeNode::executionDir(const std::string& execution_id) const {
  // Bids refuse unsafe IDs; this is the last line before an ID touches the disk (a record an
  // older version stored may still hold one).
  if (!idProblem(execution_id).empty()) return "";
  return (fs::path(config_.data_dir) / "executions" / execution_id).string();
}

std::string ComputeNode::inputsDiskRefusal(const models::Task& task) const {
  uint64_t needed = 0;
  for (const auto& in : task.input_sources) {
    if (storage::StorageProvider* s = deps_.plugins.storage(in.source.type)) {
      needed += s->estimateSize(in);
    }
  }
  if (needed == 0) return "";
  uint64_t free = config_.free_disk ? config_.free_disk() : freeDisk(config_.data_dir);
  if (needed <= free) return "";
  return "the job's inputs need " + formatBytes(needed) + " of disk, but this node has " +
         formatBytes(free) + " free where it stages them";
}

std::string ComputeNode::networkRefusal(const models::NetworkConfig& network) const {
  using models::NetworkType;
  switch (network.type) {
    case NetworkType::kDefault:
    case NetworkType::kNone: return "";
    case NetworkType::kHost:
      if (config_.allow_host_network) return "";
      return "this node does not run jobs with network Host (they would share the node's own "
             "network and reach its local services); use network None, or start the compute "
             "node with --allow-host-network";
    case NetworkType::kFull:
    case NetworkType::kBridge:
    case NetworkType::kHttp:
      if (config_.allow_networked_jobs) return "";
      return "this node does not run jobs that need network access (network " +
             models::networkTypeName(network.type) +
             "); use network None, or start the compute node with --allow-networked-jobs";
  }
  return "unknown network type";
}

std::string ComputeNode::gpuRefusal(uint64_t wanted) const {
  uint64_t have = config_.capacity.gpu;
  if (wanted <= have) return "";
  return "this node has " + std::to_string(have) + (have == 1 ? " GPU" : " GPUs") +
         "; the task asks for " + std::to_string(wanted);
}

void ComputeNode::handleAskForBid(const transport::AskForBid& m) {
  COD_DCHECK_ON_THREAD(control_thread_);
  const auto& id = m.execution.id;
  store::LocalExecution existing;
  bool known = false;
  {
    std::lock_guard lock(mu_);
    auto it = executions_.find(id);
    if (it != executions_.end()) {
      existing = it->second;
      known = true;
    }
  }
  if (known) {
    // Asked again (our answer was lost): answer the same way.
    resendOutcome(existing);
    return;
  }
  store::LocalExecution e;
  e.execution = m.execution;
  std::string reason;
  if (!e.execution.job || e.execution.job->tasks.empty()) {
    reason = "the request carried no job spec";
  } else if (std::string unsafe = models::unsafePathReason(*e.execution.job, id); !unsafe.empty()) {
    // The orchestrator validated this at submit; a node checks again before the spec reaches its
    // disk, whatever sent it.
    reason = "refused an unsafe job spec: " + unsafe;
  } else if (std::string refused = networkRefusal(e.execution.job->task().network);
             !refused.empty()) {
    reason = refused;
  } else {
    const models::Task& task = e.execution.job->task();
    auto res = models::parseResources(task.resources);
    if (std::string unsupported = deps_.plugins.refusal(task); !unsupported.empty()) {
      reason = unsupported;
    } else if (std::string no_room = inputsDiskRefusal(task); !no_room.empty()) {
      reason = no_room;
    } else if (!res.isOk()) {
      reason = res.status().message();
    } else if (std::string no_gpu = gpuRefusal(res->gpu); !no_gpu.empty()) {
      reason = no_gpu;
    } else if (std::string why = res->exceedsReason(config_.capacity); !why.empty()) {
      reason = "the job needs more than this node has: " + why;
    } else {
      e.resources = *res;
    }
  }
  if (reason.empty()) {
    e.execution.compute_state = {ExecutionStateType::kAskForBidAccepted, "", {}};
  } else {
    e.execution.compute_state = {ExecutionStateType::kAskForBidRejected, reason, {}};
    e.bid_reason = reason;
  }
  save(e);
  resendOutcome(e);
  if (reason.empty() && m.run_directly) handleBidAccepted(id);
}

void ComputeNode::resendOutcome(const store::LocalExecution& e) {
  COD_DCHECK_ON_THREAD(control_thread_);
  const auto& x = e.execution;
  Status st;
  switch (e.state()) {
    case ExecutionStateType::kAskForBidAccepted:
    case ExecutionStateType::kAskForBidRejected: {
      transport::BidResult r;
      r.execution_id = x.id;
      r.job_id = x.job_id;
      r.node_id = config_.node_id;
      r.accepted = e.state() == ExecutionStateType::kAskForBidAccepted;
      r.reason = e.bid_reason;
      r.allocated = e.resources;
      st = deps_.transport->send(r);
      break;
    }
    case ExecutionStateType::kCompleted: {
      transport::RunResult r{x.id, x.job_id, config_.node_id, e.result, e.published_result};
      st = deps_.transport->send(r);
      break;
    }
    case ExecutionStateType::kFailed: {
      transport::ComputeError r;
      r.execution_id = x.id;
      r.job_id = x.job_id;
      r.node_id = config_.node_id;
      r.message = e.error;
      r.retryable = e.retryable;
      r.error_code = e.error_code;
      r.hint = e.hint;
      st = deps_.transport->send(r);
      break;
    }
    default: return;  // nothing to report yet
  }
  if (!st.isOk()) {
    spdlog::debug("could not report execution {}: {} (reconciliation will retry)", x.id,
                  st.message());
  }
}

void ComputeNode::handleBidAccepted(const std::string& execution_id) {
  COD_DCHECK_ON_THREAD(control_thread_);
  store::LocalExecution e;
  {
    std::lock_guard lock(mu_);
    auto it = executions_.find(execution_id);
    if (it == executions_.end()) return;
    e = it->second;
  }
  if (e.state() != ExecutionStateType::kAskForBidAccepted) return;  // duplicate or too late
  e.execution.compute_state = {ExecutionStateType::kBidAccepted, "", {}};
  save(e);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(execution_id);
  }
  startQueuedRuns();
}

void ComputeNode::handleBidRejected(const transport::BidRejected& m) {
  COD_DCHECK_ON_THREAD(control_thread_);
  store::LocalExecution e;
  {
    std::lock_guard lock(mu_);
    auto it = executions_.find(m.execution_id);
    if (it == executions_.end()) return;
    e = it->second;
  }
  if (e.execution.isTerminal()) return;
  // The orchestrator already knows; nothing to report back.
  forget(m.execution_id);
}

void ComputeNode::handleCancel(const std::string& execution_id, const std::string& reason) {
  COD_DCHECK_ON_THREAD(control_thread_);
  store::LocalExecution e;
  std::shared_ptr<CancelToken> token;
  {
    std::lock_guard lock(mu_);
    auto it = executions_.find(execution_id);
    if (it == executions_.end()) return;
    e = it->second;
    auto r = running_.find(execution_id);
    if (r != running_.end()) token = r->second.cancel;
    std::erase(queue_, execution_id);
  }
  if (e.execution.isTerminal()) return;
  e.execution.compute_state = {ExecutionStateType::kCancelled, reason, {}};
  save(e);
  if (token) {
    token->cancel();  // the run thread reports back; resources are released then
  } else {
    std::error_code ec;
    if (std::string dir = executionDir(execution_id); !dir.empty()) fs::remove_all(dir, ec);
  }
}

void ComputeNode::startQueuedRuns() {
  COD_DCHECK_ON_THREAD(control_thread_);
  struct Start {
    store::LocalExecution execution;
    std::shared_ptr<CancelToken> token;
    std::vector<models::Gpu> gpus;
  };
  std::vector<Start> to_start;
  std::vector<std::pair<std::string, std::string>> unrunnable;  // execution ID, why
  {
    std::lock_guard lock(mu_);
    while (!queue_.empty()) {
      auto& next = executions_.at(queue_.front());
      uint64_t wanted = next.resources.gpu;
      if (wanted > gpu_in_use_.size()) {
        // Accepted by an earlier life of the node that had more GPUs: it would hold up the
        // queue for ever.
        unrunnable.emplace_back(next.id(), gpuRefusal(wanted));
        queue_.pop_front();
        continue;
      }
      // GPUs are never shared, so they are the one dimension in which even an idle node waits
      // (it never has to: idle, every GPU is free).
      std::vector<size_t> slots;
      for (size_t i = 0; i < gpu_in_use_.size() && slots.size() < wanted; ++i) {
        if (!gpu_in_use_[i]) slots.push_back(i);
      }
      if (slots.size() < wanted) break;
      // A job bigger than what is free still runs when the node is idle (it fits the node).
      if (!running_.empty() && !(used_ + next.resources).fitsIn(config_.capacity)) break;
      queue_.pop_front();
      used_ += next.resources;
      std::vector<models::Gpu> gpus;
      for (size_t slot : slots) {
        gpu_in_use_[slot] = true;
        gpus.push_back(config_.capacity.gpus[slot]);
      }
      auto token = std::make_shared<CancelToken>();
      running_[next.id()] = Running{token, next.resources, std::move(slots)};
      next.execution.compute_state = {ExecutionStateType::kRunning, "", {}};
      to_start.push_back({next, token, std::move(gpus)});
    }
  }
  for (const auto& refused : unrunnable) failUnrunnable(refused.first, refused.second);
  for (Start& started : to_start) {
    save(started.execution);
    {
      std::lock_guard lock(runs_mu_);
      runs_.emplace_back(
          [this, e = std::move(started.execution), token = started.token,
           gpus = std::move(started.gpus)]() mutable { runOnThread(e, token, std::move(gpus)); });
      // Idle threads that were woken but have not taken their run yet still count as idle: each
      // takes one. Runs beyond them get a new thread while there is room.
      if (!stopping_ && runs_.size() > idle_workers_ &&
          workers_.size() < static_cast<size_t>(config_.max_parallel)) {
        workers_.emplace_back([this] { runWorkerLoop(); });
      }
    }
    runs_cv_.notify_one();
  }
}

void ComputeNode::failUnrunnable(const std::string& execution_id, const std::string& reason) {
  COD_DCHECK_ON_THREAD(control_thread_);
  store::LocalExecution e;
  {
    std::lock_guard lock(mu_);
    auto it = executions_.find(execution_id);
    if (it == executions_.end()) return;
    e = it->second;
  }
  e.error = reason;
  e.error_code = "Compute:ResourceExhausted";
  e.retryable = true;  // another node may have the GPUs
  e.execution.compute_state = {ExecutionStateType::kFailed, reason, {}};
  save(e);
  resendOutcome(e);
}

void ComputeNode::runWorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(runs_mu_);
      ++idle_workers_;
      runs_cv_.wait(lock, [this] { return stopping_ || !runs_.empty(); });
      --idle_workers_;
      if (stopping_) return;
      job = std::move(runs_.front());
      runs_.pop_front();
    }
    job();
  }
}

void ComputeNode::runOnThread(const store::LocalExecution& e,
                              const std::shared_ptr<CancelToken>& cancel,
                              std::vector<models::Gpu> gpus) {
  const models::Job& job = *e.execution.job;
  executor::ExecutionRequest req;
  req.execution_id = e.id();
  req.job_id = e.execution.job_id;
  req.job = e.execution.job;
  req.partition_index = e.execution.partition_index;
  req.resources = e.resources;
  req.gpus = std::move(gpus);
  req.results_dir = executionDir(e.id());
  const auto& t = job.task().timeouts;
  int64_t timeout = t.execution_timeout > 0 ? t.execution_timeout : t.total_timeout;
  req.timeout = std::chrono::seconds(timeout);
  for (const char* prefix : {"BACALHAU_", "COD_"}) {
    std::string p(prefix);
    req.env[p + "EXECUTION_ID"] = e.id();
    req.env[p + "JOB_ID"] = job.id;
    req.env[p + "JOB_TYPE"] = job.type;
    req.env[p + "PARTITION_INDEX"] = std::to_string(e.execution.partition_index);
    req.env[p + "PARTITION_COUNT"] = std::to_string(job.count);
    req.env[p + "NODE_ID"] = config_.node_id;
  }
  executor::Executor* ex = deps_.plugins.executor(job.task().engine.type);
  // The folder is made only when something reads it: creating and deleting a folder and three
  // files per execution was half of a compute node's CPU time on noop benchmarks.
  if (trim(job.task().publisher.type).empty() && ex != nullptr && !ex->needsResultsDir()) {
    req.results_dir.clear();
  }
  // The live log, which outlives the result folder (the log server's retention).
  std::shared_ptr<executor::ExecutionLogWriter> log;
  if (log_server_ && idProblem(e.id()).empty()) {
    auto created = executor::ExecutionLogWriter::create(
        executor::executionLogPath(log_server_->logsDir(), e.id()), config_.log_max_bytes);
    if (created.isOk()) {
      log = *created;
    } else {
      spdlog::warn("execution {}: no live log: {}", e.id(), created.status().message());
    }
  }
  req.log = log;
  RunPipeline pipeline(&deps_.plugins);
  std::string staging = executionDir(e.id());
  if (!staging.empty()) staging += ".inputs";
  RunPipeline::Outcome outcome = pipeline.run(std::move(req), staging, *cancel);
  if (log) log->close();  // the end of the log: followers stop here
  models::SpecConfig published = std::move(outcome.published);
  post(RunFinished{e.id(), std::move(outcome.result), std::move(published)});
}

void ComputeNode::handleRunFinished(RunFinished& f) {
  COD_DCHECK_ON_THREAD(control_thread_);
  store::LocalExecution e;
  bool known;
  {
    std::lock_guard lock(mu_);
    auto r = running_.find(f.execution_id);
    auto it = executions_.find(f.execution_id);
    if (r != running_.end()) {
      // What it held goes back whatever became of it (done, failed, cancelled, timed out, or
      // already forgotten by a reconciliation).
      used_ -= r->second.reserved;
      for (size_t slot : r->second.gpu_slots) gpu_in_use_[slot] = false;
      running_.erase(r);
    }
    known = it != executions_.end();
    if (known) e = it->second;
  }
  if (!known) {
    startQueuedRuns();
    return;
  }
  std::string dir = executionDir(f.execution_id);
  if (dir.empty()) dir = "/nonexistent";  // an unsafe ID never had a folder
  if (e.state() == ExecutionStateType::kCancelled) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else if (f.outcome.isOk()) {
    e.result = *f.outcome;
    e.published_result = f.published;
    // The publisher has what it needs; the working folder goes.
    std::error_code ec;
    fs::remove_all(dir, ec);
    e.execution.compute_state = {ExecutionStateType::kCompleted, "", {}};
    save(e);
    resendOutcome(e);
  } else {
    const Status& err = f.outcome.error();
    e.error = err.message();
    e.hint = err.hint();
    e.retryable = isRetryable(err);
    e.error_code = (err.component().empty() ? std::string("Compute") : err.component()) + ":" +
                   std::string(statusCodeName(err.code()));
    e.execution.compute_state = {ExecutionStateType::kFailed, e.error, {}};
    std::error_code ec;
    fs::remove_all(dir, ec);
    save(e);
    resendOutcome(e);
  }
  startQueuedRuns();
}

void ComputeNode::handleReconcile(const transport::ReconcileResponse& r) {
  COD_DCHECK_ON_THREAD(control_thread_);
  for (const auto& d : r.executions) {
    store::LocalExecution e;
    {
      std::lock_guard lock(mu_);
      auto it = executions_.find(d.execution_id);
      if (it == executions_.end()) continue;
      e = it->second;
    }
    if (d.resend) {
      resendOutcome(e);
      continue;
    }
    if (d.desired == models::ExecutionDesiredStateType::kStopped) {
      if (e.execution.isTerminal()) {
        forget(d.execution_id);  // the orchestrator has recorded the outcome
      } else {
        handleCancel(d.execution_id, "stopped by the orchestrator");
      }
    } else if (d.desired == models::ExecutionDesiredStateType::kRunning &&
               e.state() == ExecutionStateType::kAskForBidAccepted) {
      handleBidAccepted(d.execution_id);  // the approval was lost
    }
  }
}

}  // namespace cod::compute
