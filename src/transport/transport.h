#pragma once

// How orchestrator and compute nodes talk (DESIGN §5). Two implementations: `inproc/` (one
// process; tests, devstack) and `nats/` (separate processes and hosts).
//
// Delivery of data messages is at-most-once: a lost message is repaired by reconciliation (the
// compute node periodically reports every execution it holds and applies the desired states the
// orchestrator answers with), never by the sender retrying.

#include <functional>
#include <string>

#include "common/status.h"
#include "transport/messages.h"

namespace cod::transport {

// Implemented by the orchestrator. Called on transport threads: the control methods must be
// thread-safe and quick; onMessage must only queue the message for the owning component.
class OrchestratorHandler {
 public:
  virtual ~OrchestratorHandler() = default;
  virtual HandshakeResponse onHandshake(const HandshakeRequest& req) = 0;
  virtual HeartbeatResponse onHeartbeat(const HeartbeatRequest& req) = 0;
  virtual UpdateNodeInfoResponse onUpdateNodeInfo(const UpdateNodeInfoRequest& req) = 0;
  virtual ReconcileResponse onReconcile(const ReconcileRequest& req) = 0;
  // An upload URL for the s3managed publisher; refused unless the orchestrator manages a bucket.
  virtual PresignUploadResponse onPresignUpload(const PresignUploadRequest&) {
    return {"", "this orchestrator manages no S3 bucket"};
  }
  virtual void onMessage(const ToOrchestratorMessage& msg) = 0;
};

class OrchestratorTransport {
 public:
  virtual ~OrchestratorTransport() = default;
  // Starts listening; `handler` must outlive stop(). Called at most once.
  virtual Status start(OrchestratorHandler* handler) = 0;
  // Stops delivering to the handler; returns once no handler call is in progress.
  virtual void stop() = 0;
  // Queues a message for a node; never blocks on the network. Unavailable when the node cannot be
  // reached right now (the caller relies on reconciliation).
  virtual Status send(const std::string& node_id, const ToComputeMessage& msg) = 0;
};

// Implemented by a compute node. onMessage is called on a transport thread and must only queue.
class ComputeHandler {
 public:
  virtual ~ComputeHandler() = default;
  virtual void onMessage(const ToComputeMessage& msg) = 0;
  // The link to the orchestrator dropped (false) or came back (true). After true the node
  // handshakes and reconciles again.
  virtual void onConnectionChanged(bool connected) = 0;
};

class ComputeTransport {
 public:
  virtual ~ComputeTransport() = default;
  // Starts receiving messages addressed to node_id; `handler` must outlive stop().
  virtual Status start(const std::string& node_id, ComputeHandler* handler) = 0;
  virtual void stop() = 0;
  // Blocking request/response with the orchestrator, bounded by the transport's request timeout
  // (Unavailable / DeadlineExceeded when it does not answer).
  virtual Result<HandshakeResponse> handshake(const HandshakeRequest& req) = 0;
  virtual Result<HeartbeatResponse> heartbeat(const HeartbeatRequest& req) = 0;
  virtual Result<UpdateNodeInfoResponse> updateNodeInfo(const UpdateNodeInfoRequest& req) = 0;
  virtual Result<ReconcileResponse> reconcile(const ReconcileRequest& req) = 0;
  virtual Result<PresignUploadResponse> presignUpload(const PresignUploadRequest&) {
    return unimplemented("this transport cannot ask for upload URLs");
  }
  // Queues a message for the orchestrator; never blocks on the network.
  virtual Status send(const ToOrchestratorMessage& msg) = 0;
};

}  // namespace cod::transport
