#include "transport/inproc/inproc_transport.h"

#include <future>

#include "common/ids.h"

namespace cod::transport {

class InprocOrchestratorTransport final : public OrchestratorTransport {
 public:
  explicit InprocOrchestratorTransport(InprocHub* hub) : hub_(hub) {}
  ~InprocOrchestratorTransport() override { stop(); }

  Status start(OrchestratorHandler* handler) override {
    std::lock_guard lock(hub_->mu_);
    hub_->orchestrator_ = handler;
    return Status::ok();
  }

  void stop() override {
    std::lock_guard lock(hub_->mu_);
    hub_->orchestrator_ = nullptr;
  }

  std::unique_ptr<LogStreamHandle> openLogStream(
      const std::string& node_id, const LogStreamRequest& request,
      std::shared_ptr<LogStreamConsumer> consumer) override {
    if (hub_->partitioned(node_id) || !hub_->hasCompute(node_id)) {
      return failedLogStream(node_id, std::move(consumer),
                             unavailable("compute node " + node_id + " is not connected"));
    }
    LogStreamLimits limits = hub_->logStreamLimits();
    std::string id = newUuid();
    auto receiver = std::make_shared<LogStreamReceiver>(id, node_id, std::move(consumer), limits);
    std::weak_ptr<LogStreamReceiver> to_receiver = receiver;
    auto sender = std::make_shared<LogStreamSender>(
        id, limits, Duration{0},
        [to_receiver](const LogStreamChunk& chunk) {
          if (auto r = to_receiver.lock()) r->onChunk(chunk);
          return Status::ok();
        },
        nullptr);
    std::weak_ptr<LogStreamSender> to_sender = sender;
    receiver->start(
        [to_sender](const LogStreamAck& ack) {
          if (auto s = to_sender.lock()) s->onAck(ack);
        },
        nullptr);
    // As over a network, the node's handler never runs on the caller's stack.
    hub_->post([hub = hub_, node_id, request,
                writer = std::make_shared<std::unique_ptr<LogStreamWriter>>(
                    std::make_unique<SharedLogStreamWriter>(sender))] {
      ComputeHandler* target = nullptr;
      {
        std::lock_guard lock(hub->mu_);
        auto it = hub->computes_.find(node_id);
        if (it != hub->computes_.end()) target = it->second;
      }
      if (target) {
        target->onLogStream(request, std::move(*writer));
      } else {
        (*writer)->end(unavailable("compute node " + node_id + " is not connected"));
      }
    });
    return receiver->handle();
  }

  Status send(const std::string& node_id, const ToComputeMessage& msg) override {
    if (hub_->partitioned(node_id)) return unavailable("node " + node_id + " is unreachable");
    hub_->post([hub = hub_, node_id, msg] {
      ComputeHandler* target = nullptr;
      {
        std::lock_guard lock(hub->mu_);
        auto it = hub->computes_.find(node_id);
        if (it != hub->computes_.end()) target = it->second;
      }
      if (target) target->onMessage(msg);
    });
    return Status::ok();
  }

 private:
  InprocHub* hub_;
};

class InprocComputeTransport final : public ComputeTransport {
 public:
  explicit InprocComputeTransport(InprocHub* hub) : hub_(hub) {}
  ~InprocComputeTransport() override { stop(); }

  Status start(const std::string& node_id, ComputeHandler* handler) override {
    std::lock_guard lock(hub_->mu_);
    node_id_ = node_id;
    hub_->computes_[node_id] = handler;
    return Status::ok();
  }

  void stop() override {
    std::lock_guard lock(hub_->mu_);
    if (!node_id_.empty()) hub_->computes_.erase(node_id_);
  }

  Result<HandshakeResponse> handshake(const HandshakeRequest& req) override {
    return call<HandshakeResponse>([&](OrchestratorHandler* h, Reply<HandshakeResponse> r) {
      h->onHandshake(req, std::move(r));
    });
  }
  Result<HeartbeatResponse> heartbeat(const HeartbeatRequest& req) override {
    return call<HeartbeatResponse>([&](OrchestratorHandler* h, Reply<HeartbeatResponse> r) {
      h->onHeartbeat(req, std::move(r));
    });
  }
  Result<UpdateNodeInfoResponse> updateNodeInfo(const UpdateNodeInfoRequest& req) override {
    return call<UpdateNodeInfoResponse>(
        [&](OrchestratorHandler* h, Reply<UpdateNodeInfoResponse> r) {
          h->onUpdateNodeInfo(req, std::move(r));
        });
  }
  Result<ReconcileResponse> reconcile(const ReconcileRequest& req) override {
    return call<ReconcileResponse>([&](OrchestratorHandler* h, Reply<ReconcileResponse> r) {
      h->onReconcile(req, std::move(r));
    });
  }
  Result<PresignUploadResponse> presignUpload(const PresignUploadRequest& req) override {
    return call<PresignUploadResponse>([&](OrchestratorHandler* h, Reply<PresignUploadResponse> r) {
      h->onPresignUpload(req, std::move(r));
    });
  }

  Status send(const ToOrchestratorMessage& msg) override {
    if (hub_->partitioned(node_id_)) return unavailable("the orchestrator is unreachable");
    hub_->post([hub = hub_, msg] {
      OrchestratorHandler* target;
      {
        std::lock_guard lock(hub->mu_);
        target = hub->orchestrator_;
      }
      if (target) target->onMessage(msg);
    });
    return Status::ok();
  }

 private:
  // A blocking request/reply, like one over a network: the handler may answer on any thread;
  // one that never answers is a DeadlineExceeded after InprocHub::kRequestTimeout.
  template <typename R, typename F>
  Result<R> call(F&& f) {
    if (hub_->partitioned(node_id_)) return unavailable("the orchestrator is unreachable");
    OrchestratorHandler* target;
    {
      std::lock_guard lock(hub_->mu_);
      target = hub_->orchestrator_;
    }
    if (!target) return unavailable("no orchestrator is listening");
    auto answer = std::make_shared<std::promise<R>>();
    std::future<R> answered = answer->get_future();
    f(target, Reply<R>([answer](R r) { answer->set_value(std::move(r)); }));
    if (answered.wait_for(InprocHub::kRequestTimeout) != std::future_status::ready) {
      return deadlineExceeded("the orchestrator did not answer in time");
    }
    try {
      return answered.get();
    } catch (const std::future_error&) {  // dropped unanswered (the orchestrator is stopping)
      return unavailable("the orchestrator dropped the request");
    }
  }

  InprocHub* hub_;
  std::string node_id_;
};

InprocHub::InprocHub() : thread_([this] { run(); }) {}

InprocHub::~InprocHub() { shutdown(); }

void InprocHub::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<OrchestratorTransport> InprocHub::orchestratorTransport() {
  return std::make_unique<InprocOrchestratorTransport>(this);
}

std::unique_ptr<ComputeTransport> InprocHub::computeTransport() {
  return std::make_unique<InprocComputeTransport>(this);
}

void InprocHub::setPartitioned(const std::string& node_id, bool partitioned) {
  std::lock_guard lock(mu_);
  partitioned_[node_id] = partitioned;
}

bool InprocHub::hasCompute(const std::string& node_id) {
  std::lock_guard lock(mu_);
  return computes_.count(node_id) > 0;
}

void InprocHub::setLogStreamLimits(const LogStreamLimits& limits) {
  std::lock_guard lock(mu_);
  log_limits_ = limits;
}

LogStreamLimits InprocHub::logStreamLimits() {
  std::lock_guard lock(mu_);
  return log_limits_;
}

bool InprocHub::partitioned(const std::string& node_id) {
  std::lock_guard lock(mu_);
  auto it = partitioned_.find(node_id);
  return it != partitioned_.end() && it->second;
}

void InprocHub::post(std::function<void()> delivery) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(delivery));
  }
  cv_.notify_one();
}

void InprocHub::run() {
  while (true) {
    std::function<void()> next;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    next();
  }
}

}  // namespace cod::transport
