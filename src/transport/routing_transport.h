#pragma once

// An orchestrator transport over two others: compute nodes in this process (the hybrid
// `cod serve --orchestrator --compute`) are reached through the in-process hub, every other node
// through the network transport. Both deliver to the same handler.

#include <memory>

#include "transport/inproc/inproc_transport.h"
#include "transport/transport.h"

namespace cod::transport {

class RoutingOrchestratorTransport final : public OrchestratorTransport {
 public:
  RoutingOrchestratorTransport(InprocHub* hub, std::unique_ptr<OrchestratorTransport> local,
                               std::unique_ptr<OrchestratorTransport> remote)
      : hub_(hub), local_(std::move(local)), remote_(std::move(remote)) {}

  Status start(OrchestratorHandler* handler) override {
    COD_RETURN_IF_ERROR(local_->start(handler));
    return remote_->start(handler);
  }

  void stop() override {
    remote_->stop();
    local_->stop();
  }

  Status send(const std::string& node_id, const ToComputeMessage& msg) override {
    return hub_->hasCompute(node_id) ? local_->send(node_id, msg) : remote_->send(node_id, msg);
  }

  std::unique_ptr<LogStreamHandle> openLogStream(
      const std::string& node_id, const LogStreamRequest& request,
      std::shared_ptr<LogStreamConsumer> consumer) override {
    return hub_->hasCompute(node_id)
               ? local_->openLogStream(node_id, request, std::move(consumer))
               : remote_->openLogStream(node_id, request, std::move(consumer));
  }

  TransportStats stats() const override { return remote_->stats(); }

 private:
  InprocHub* hub_;
  std::unique_ptr<OrchestratorTransport> local_;
  std::unique_ptr<OrchestratorTransport> remote_;
};

}  // namespace cod::transport
