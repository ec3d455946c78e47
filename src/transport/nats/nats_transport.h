#pragma once

// The transport over NATS (nats.c): orchestrator and compute nodes in separate processes or on
// separate hosts, through one nats-server or a cluster. Subjects are in subjects.h, messages travel
// as the JSON envelopes of messages_json.h. See ../README.md for delivery and threading.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "transport/log_stream.h"
#include "transport/transport.h"

namespace cod::transport {

class NatsLink;

// The error code of a request that nobody subscribes to (an Unavailable status).
inline constexpr const char* kNatsNoResponders = "NoResponders";

struct NatsTransportConfig {
  // One URL or a comma-separated list (a cluster): "nats://10.0.0.1:4222,nats://10.0.0.2:4222".
  std::string servers = "nats://127.0.0.1:4222";
  // The server's authorization token; empty when it requires none. Ignored when `user` is set.
  std::string token;
  // A user and password instead (a node's own credentials, or the join user's, whose password is
  // the token), and the inbox prefix that user may subscribe to; see subjects.h.
  std::string user;
  std::string password;
  std::string inbox_prefix;
  // TLS: `secure` asks for TLS with the system's trust store; a CA file, or a client certificate
  // and key (mutual TLS), imply it.
  bool secure = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // How long a control request (handshake, heartbeat, …) waits for the orchestrator's answer.
  Duration request_timeout = std::chrono::seconds(10);
  // Shown by the server's monitoring (`/connz`): e.g. "cod-compute n-1234".
  std::string connection_name;
  // When the server cannot be reached at start(): false = start() fails with one clear line;
  // true = start() succeeds and the connection is made in the background (compute nodes, so that
  // they can be started before their orchestrator). onConnectionChanged(true) says when.
  bool retry_on_failed_connect = false;
  // Reconnection is attempted forever, this long apart; while reconnecting, published messages
  // wait in a buffer of this many bytes (send() fails with Unavailable once it is full).
  Duration reconnect_wait = std::chrono::milliseconds(250);
  int reconnect_buffer_bytes = 8 * 1024 * 1024;
  // How often the client pings the server; a half-open link is noticed after 3 missed pongs.
  Duration ping_interval = std::chrono::seconds(10);
  // Orchestrator only: how many subscriptions (each with its own delivery thread) answer control
  // requests. More than one lets a slow handshake not hold up other nodes' heartbeats.
  int control_subscriptions = 2;
  // Log streams: the window and chunk size, the node's acknowledgement timeout and the
  // orchestrator's idle timeout (the orchestrator tells the node to send keepalives at a third of
  // it, so a stream that hears nothing for that long has lost its node).
  LogStreamLimits log_limits;
  // Orchestrator only: admits a node that asks to join (kNatsJoinSubject) with the secret it chose;
  // set when the orchestrator runs its own nats-server with per-node credentials
  // (NatsServerProcess::admitNode). Runs on the join subscription's delivery thread, which it may
  // block while the server reloads. An error is the refusal the node is told.
  std::function<Status(const std::string& node_id, const std::string& secret)> admit;
};

// A compute node's first step in a cluster whose nodes have credentials of their own: connects as
// the join user (the token is its password), asks the orchestrator to admit `node_id` with
// `secret`, and returns once it has (the node then connects as itself: user `node_id`, password
// `secret`). Errors: Unavailable or DeadlineExceeded when no server or orchestrator answers (try
// again later; error code "NoResponders" when the server is up but nobody takes joins: an
// operator's NATS without auth, or an orchestrator that is starting); PermissionDenied when the
// server refuses the join user (the token is wrong, or the server has no per-node credentials —
// connect with the token instead); FailedPrecondition for what trying again cannot fix (TLS), and
// with the orchestrator's reason when it refuses the node (InvalidArgument for an ID or secret it
// cannot take).
Status joinNatsCluster(NatsTransportConfig config, const std::string& node_id,
                       const std::string& secret);

// The orchestrator's end. Control requests are answered on their own delivery threads
// (`control_subscriptions` of them); data messages arrive on one more thread, so a handler that is
// slow to queue a message never delays a heartbeat.
class NatsOrchestratorTransport final : public OrchestratorTransport {
 public:
  explicit NatsOrchestratorTransport(NatsTransportConfig config);
  ~NatsOrchestratorTransport() override;
  NatsOrchestratorTransport(const NatsOrchestratorTransport&) = delete;
  NatsOrchestratorTransport& operator=(const NatsOrchestratorTransport&) = delete;

  // Unavailable (one line naming the server and what to check) when the server cannot be reached;
  // PermissionDenied when it refuses the token; InvalidArgument for a bad URL or TLS file.
  Status start(OrchestratorHandler* handler) override;
  void stop() override;
  // Buffers while reconnecting; Unavailable only when the buffer is full or the transport is not
  // started; InvalidArgument for a node ID that cannot be a subject.
  Status send(const std::string& node_id, const ToComputeMessage& msg) override;
  // Publishes the request to the node's log subject; chunks come back on this transport's reply
  // subject. A node that does not answer ends the stream after the idle timeout.
  std::unique_ptr<LogStreamHandle> openLogStream(
      const std::string& node_id, const LogStreamRequest& request,
      std::shared_ptr<LogStreamConsumer> consumer) override;
  TransportStats stats() const override;

 private:
  void onControl(std::string_view subject, std::string_view data, const char* reply);
  void onData(std::string_view subject, std::string_view data);
  void onJoin(std::string_view data, const char* reply);
  void onLogChunk(std::string_view data);

  NatsTransportConfig config_;
  // Shared with the replies the handler has yet to give: one given after the transport is gone
  // finds no link and goes nowhere.
  std::shared_ptr<NatsLink> link_;
  std::atomic<OrchestratorHandler*> handler_{nullptr};
  std::string log_reply_subject_;
  std::mutex streams_mu_;
  std::map<std::string, std::shared_ptr<LogStreamReceiver>> streams_;
  bool stopped_ = false;  // guarded by streams_mu_
};

// A compute node's end: messages for `node_id` arrive on one delivery thread; control requests
// block the caller for at most `request_timeout`.
class NatsComputeTransport final : public ComputeTransport {
 public:
  explicit NatsComputeTransport(NatsTransportConfig config);
  ~NatsComputeTransport() override;
  NatsComputeTransport(const NatsComputeTransport&) = delete;
  NatsComputeTransport& operator=(const NatsComputeTransport&) = delete;

  Status start(const std::string& node_id, ComputeHandler* handler) override;
  void stop() override;
  // Unavailable when not connected right now or when no orchestrator listens; DeadlineExceeded
  // when none answers in time; InvalidArgument (or Unimplemented) when the orchestrator could not
  // read the request.
  Result<HandshakeResponse> handshake(const HandshakeRequest& req) override;
  Result<HeartbeatResponse> heartbeat(const HeartbeatRequest& req) override;
  Result<UpdateNodeInfoResponse> updateNodeInfo(const UpdateNodeInfoRequest& req) override;
  Result<ReconcileResponse> reconcile(const ReconcileRequest& req) override;
  Result<PresignUploadResponse> presignUpload(const PresignUploadRequest& req) override;
  Status send(const ToOrchestratorMessage& msg) override;

 private:
  void onData(std::string_view data);
  void onLogOpen(std::string_view data);
  void onLogAck(std::string_view data);

  NatsTransportConfig config_;
  std::unique_ptr<NatsLink> link_;
  std::atomic<ComputeHandler*> handler_{nullptr};
  std::mutex streams_mu_;
  std::map<std::string, std::shared_ptr<LogStreamSender>> streams_;
  bool stopped_ = false;  // guarded by streams_mu_
};

}  // namespace cod::transport
