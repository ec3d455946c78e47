#pragma once

// The messages between orchestrator and compute nodes (reference/bacalhau-api.md §9). Every
// message is idempotent: it names the execution it is about and applying it twice changes nothing.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "models/execution.h"
#include "models/node.h"
#include "models/resources.h"

namespace cod::transport {

// Bumped when a message's JSON form changes incompatibly.
inline constexpr int kSchemaVersion = 1;

// ---- control: compute → orchestrator, request/response ----

struct HandshakeRequest {
  models::NodeInfo node_info;
  Time start_time{};  // when this compute process started
};
struct HandshakeResponse {
  bool accepted = false;
  std::string reason;  // why not, when refused
  // The longest heartbeat period the orchestrator tolerates (a quarter of its disconnect
  // timeout); the node heartbeats at least this often. Zero = no advice.
  Duration heartbeat_interval{0};
  // How long the orchestrator keeps a job after it ended (zero = for ever): the node keeps its
  // local results at least this long, then asks in reconciliation whether their jobs are gone.
  Duration job_retention{0};
};

struct HeartbeatRequest {
  std::string node_id;
  models::Resources available_capacity;
  models::Resources queue_used_capacity;
  int64_t running_executions = 0;
  int64_t enqueued_executions = 0;
};
struct HeartbeatResponse {
  // False when the orchestrator does not know this node (it restarted and lost it, or the node was
  // deleted): the compute node must handshake again.
  bool known = true;
};

struct UpdateNodeInfoRequest {
  models::NodeInfo node_info;
};
struct UpdateNodeInfoResponse {
  bool accepted = false;
  std::string reason;
};

// The s3managed publisher's ask (Bacalhau's managedPublisher.PreSignURLRequest): a URL to PUT one
// execution's results to, in the bucket the orchestrator manages, so compute nodes need no S3
// credentials of their own.
struct PresignUploadRequest {
  std::string node_id;
  std::string job_id;
  std::string execution_id;
};
struct PresignUploadResponse {
  std::string url;     // "" when refused
  std::string reason;  // why it was refused
};

// What a compute node holds, so the orchestrator can answer with what it should do about each.
struct ExecutionReport {
  std::string execution_id;
  models::ExecutionStateType state = models::ExecutionStateType::kUndefined;
};
struct ReconcileRequest {
  std::string node_id;
  std::vector<ExecutionReport> executions;
  // Executions whose results this node keeps (the local publisher's archives) since before the
  // job retention: the node asks which of them the orchestrator has removed.
  std::vector<std::string> kept_results;
};
struct DesiredExecution {
  std::string execution_id;
  models::ExecutionDesiredStateType desired = models::ExecutionDesiredStateType::kStopped;
  // The orchestrator has not seen this execution's latest outcome (bid, result or error): the
  // node should send it again.
  bool resend = false;
};
struct ReconcileResponse {
  // One entry per reported execution. Executions the orchestrator does not know are Stopped.
  std::vector<DesiredExecution> executions;
  // Those of kept_results the orchestrator has no record of (their jobs were removed by
  // retention): the node removes their results.
  std::vector<std::string> forgotten_results;
};

// ---- data: orchestrator → compute ----

// Asks the node to bid on an execution. execution.job is set. When `run_directly` (ops/daemon)
// the node runs it if it accepts, without waiting for BidAccepted.
struct AskForBid {
  models::Execution execution;
  bool run_directly = false;
};
struct BidAccepted {
  std::string execution_id;
  std::string job_id;
};
struct BidRejected {
  std::string execution_id;
  std::string job_id;
  std::string reason;
};
struct CancelExecution {
  std::string execution_id;
  std::string job_id;
  std::string reason;
};

using ToComputeMessage = std::variant<AskForBid, BidAccepted, BidRejected, CancelExecution>;

// ---- data: compute → orchestrator ----

struct BidResult {
  std::string execution_id;
  std::string job_id;
  std::string node_id;
  bool accepted = false;
  std::string reason;           // why the node declined
  models::Resources allocated;  // what the node reserved for it
};
struct RunResult {
  std::string execution_id;
  std::string job_id;
  std::string node_id;
  models::RunCommandResult output;
  models::SpecConfig published_result;
};
struct ComputeError {
  std::string execution_id;
  std::string job_id;
  std::string node_id;
  std::string message;
  // False for failures that will not go away on another node (a bad image name, a bad spec): the
  // job fails without being retried.
  bool retryable = true;
  std::string error_code;  // "Component:Code", e.g. "Docker:ImageNotFound"
  std::string hint;
};

using ToOrchestratorMessage = std::variant<BidResult, RunResult, ComputeError>;

// ---- log streams: orchestrator → one compute node, request/stream (DESIGN §5) ----

// What the orchestrator asks a node for: one execution's log.
struct LogStreamRequest {
  std::string execution_id;
  bool tail = false;    // start from the end of what has been written
  bool follow = false;  // keep streaming until the execution ends
};
// One piece of a log: a line (or part of a long one) as the task wrote it.
struct LogStreamEntry {
  int32_t type = 0;  // 1 stdout, 2 stderr, 0 unknown
  std::string data;  // raw bytes
  bool operator==(const LogStreamEntry&) const = default;
};

// On the wire (NATS). The orchestrator opens a stream with a request naming where chunks go; the
// node sends numbered chunks there; the orchestrator acknowledges them on the node's log-ack
// subject; the last chunk has End.
struct LogStreamOpen {
  std::string stream_id;
  std::string reply_to;  // subject the chunks go to
  LogStreamRequest request;
  int64_t window = 0;        // chunks the node may send ahead of acknowledgements
  int64_t keepalive_ms = 0;  // the longest the node may stay silent
};
struct LogStreamPiece {
  int32_t type = 0;
  std::string data;
  bool more = false;  // the entry goes on in the next piece
};
struct LogStreamChunk {
  std::string stream_id;
  uint64_t seq = 0;                    // 0, 1, 2, … within the stream
  std::vector<LogStreamPiece> pieces;  // empty in a keepalive
  bool end = false;
  std::string status_code;  // at the end: "" = OK, else a StatusCode name
  std::string status_message;
};
struct LogStreamAck {
  std::string stream_id;
  uint64_t seq = 0;     // every chunk up to this one was delivered
  bool cancel = false;  // the reader is gone: stop sending
};

// The execution a message is about.
std::string executionIdOf(const ToComputeMessage& m);
std::string executionIdOf(const ToOrchestratorMessage& m);
// "AskForBid", "RunResult", … for logs.
std::string messageTypeName(const ToComputeMessage& m);
std::string messageTypeName(const ToOrchestratorMessage& m);

}  // namespace cod::transport
