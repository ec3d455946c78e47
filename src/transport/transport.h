#pragma once

// How orchestrator and compute nodes talk (DESIGN §5). Two implementations: `inproc/` (one
// process; tests, devstack) and `nats/` (separate processes and hosts).
//
// Delivery of data messages is at-most-once: a lost message is repaired by reconciliation (the
// compute node periodically reports every execution it holds and applies the desired states the
// orchestrator answers with), never by the sender retrying.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "transport/messages.h"

namespace cod::transport {

// The answer to one control request: call it once, from any thread. A request never answered
// times out at the compute node.
template <typename Response>
using Reply = std::function<void(Response)>;

// Implemented by the orchestrator. Called on transport threads, which must never block or touch
// the store (DESIGN §5): a control method answers at once from memory, or posts the work and its
// `reply` to the orchestrator's own threads and returns; onMessage only queues the message.
class OrchestratorHandler {
 public:
  virtual ~OrchestratorHandler() = default;
  virtual void onHandshake(const HandshakeRequest& req, Reply<HandshakeResponse> reply) = 0;
  virtual void onHeartbeat(const HeartbeatRequest& req, Reply<HeartbeatResponse> reply) = 0;
  virtual void onUpdateNodeInfo(const UpdateNodeInfoRequest& req,
                                Reply<UpdateNodeInfoResponse> reply) = 0;
  virtual void onReconcile(const ReconcileRequest& req, Reply<ReconcileResponse> reply) = 0;
  // An upload URL for the s3managed publisher; refused unless the orchestrator manages a bucket.
  // By value like the others, whose implementations keep it.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void onPresignUpload(const PresignUploadRequest&, Reply<PresignUploadResponse> reply) {
    reply({"", "this orchestrator manages no S3 bucket"});
  }
  virtual void onMessage(const ToOrchestratorMessage& msg) = 0;
};

// ---- log streams (request/stream, orchestrator → one compute node) ----
//
// The orchestrator opens a stream for one execution's log; the node answers with entries and then
// one end, carrying a status. Flow control: the node may send only a window of chunks ahead of
// what the consumer has taken; a consumer that stops taking them stalls only its own stream, which
// the node ends after its acknowledgement timeout. An entry longer than a chunk is split on the
// wire and arrives whole. A node that goes silent (no chunk, not even a keepalive, for the idle
// timeout) ends the stream with Unavailable.

// Receives one stream's entries, on a thread of the stream's own (never a transport thread), one
// call at a time, in order.
class LogStreamConsumer {
 public:
  virtual ~LogStreamConsumer() = default;
  virtual void onEntries(std::vector<LogStreamEntry> entries) = 0;
  // Called once, last (not after the stream is cancelled).
  virtual void onEnd(Status status) = 0;
};

// Cancels the stream when cancelled or destroyed; after cancel() returns, no consumer call is
// running (unless cancel() is called from one) or will start, and the node is told to stop.
class LogStreamHandle {
 public:
  virtual ~LogStreamHandle() = default;
  virtual void cancel() = 0;
};

// The compute node's end of one stream. Used from one thread (the node's log server).
class LogStreamWriter {
 public:
  virtual ~LogStreamWriter() = default;
  // Sends entries of any size. Blocks while the window is full, at most the acknowledgement
  // timeout: DeadlineExceeded then (the reader stopped acknowledging), Cancelled when the reader
  // cancelled, Unavailable when the stream cannot be sent on. After an error, only end() is left.
  virtual Status write(std::vector<LogStreamEntry> entries) = 0;
  // Tells the reader the stream is alive when nothing was sent for a while; cheap to call often.
  virtual Status keepalive() = 0;
  virtual bool cancelled() = 0;
  // Ends the stream (OK = the whole log was sent). Once; the destructor ends an unended stream
  // with Aborted.
  virtual void end(Status status) = 0;
};

// What the orchestrator's end of a transport has carried since it started: for benchmarks and
// GET /api/v1/agent/debug. An in-process transport counts nothing.
struct TransportStats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

class OrchestratorTransport {
 public:
  virtual ~OrchestratorTransport() = default;
  // Starts listening; `handler` must outlive stop(). Called at most once.
  virtual Status start(OrchestratorHandler* handler) = 0;
  // Stops delivering to the handler; returns once no handler call is in progress. A reply given
  // after stop() goes nowhere (and is safe, even once the transport is destroyed).
  virtual void stop() = 0;
  // Queues a message for a node; never blocks on the network. Unavailable when the node cannot be
  // reached right now (the caller relies on reconciliation).
  virtual Status send(const std::string& node_id, const ToComputeMessage& msg) = 0;
  // Opens a log stream to a node; never blocks on the network. Everything, errors included, comes
  // through `consumer` (Unavailable when the node cannot be reached).
  virtual std::unique_ptr<LogStreamHandle> openLogStream(
      const std::string& node_id, const LogStreamRequest& request,
      std::shared_ptr<LogStreamConsumer> consumer);
  virtual TransportStats stats() const { return {}; }
};

// Implemented by a compute node. onMessage is called on a transport thread and must only queue.
class ComputeHandler {
 public:
  virtual ~ComputeHandler() = default;
  virtual void onMessage(const ToComputeMessage& msg) = 0;
  // The link to the orchestrator dropped (false) or came back (true). After true the node
  // handshakes and reconciles again.
  virtual void onConnectionChanged(bool connected) = 0;
  // The orchestrator asks for a log. Called on a transport thread: hand `writer` to a thread of
  // the node's own and return. By default the stream ends at once with Unimplemented.
  virtual void onLogStream(const LogStreamRequest& request,
                           std::unique_ptr<LogStreamWriter> writer);
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
