#include "transport/messages_json.h"

#include <algorithm>

#include <boost/json.hpp>

#include "common/strings.h"
#include "models/json.h"

namespace cod::transport {

namespace bj = boost::json;

namespace {

std::string envelope(std::string_view type, bj::object payload) {
  bj::object o;
  o["Type"] = type;
  o["Version"] = kSchemaVersion;
  o["Payload"] = std::move(payload);
  return models::serialize(o);
}

// Opens an envelope of the expected type(s); returns its type and payload.
Result<std::pair<std::string, bj::object>> open(std::string_view text) {
  COD_ASSIGN_OR_RETURN(bj::value v, models::parseJson(text));
  if (!v.is_object()) return invalidArgument("message is not a JSON object");
  const auto& o = v.as_object();
  const auto* type = models::findKey(o, "Type");
  const auto* version = models::findKey(o, "Version");
  const auto* payload = models::findKey(o, "Payload");
  if (!type || !type->is_string()) return invalidArgument("message has no Type");
  if (version && version->is_int64() && version->as_int64() > kSchemaVersion) {
    return invalidArgument("message schema version " + std::to_string(version->as_int64()) +
                           " is newer than this node understands (" +
                           std::to_string(kSchemaVersion) + "): upgrade cod on this node");
  }
  if (!payload || !payload->is_object()) return invalidArgument("message has no Payload");
  return std::make_pair(std::string(type->as_string()), payload->as_object());
}

// Small typed readers over a payload object; missing keys keep defaults.
std::string str(const bj::object& o, std::string_view key) {
  const auto* v = models::findKey(o, key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
bool boolean(const bj::object& o, std::string_view key, bool fallback = false) {
  const auto* v = models::findKey(o, key);
  return v && v->is_bool() ? v->as_bool() : fallback;
}
int64_t i64(const bj::object& o, std::string_view key) {
  const auto* v = models::findKey(o, key);
  return v ? models::exactInt64(*v).value_or(0) : 0;
}
// A duration sent in milliseconds, held between 0 and 100 years: nanoseconds (what Duration
// counts) overflow int64 past 292 years.
std::chrono::milliseconds millis(const bj::object& o, std::string_view key) {
  constexpr int64_t kMaxMillis = int64_t{100} * 366 * 24 * 3600 * 1000;
  return std::chrono::milliseconds(std::clamp<int64_t>(i64(o, key), 0, kMaxMillis));
}
bj::array strings(const std::vector<std::string>& items) {
  bj::array out;
  out.reserve(items.size());
  for (const auto& item : items) out.emplace_back(item);
  return out;
}
// A list of strings under `key` (missing = empty); anything else in it is InvalidArgument.
Result<std::vector<std::string>> stringList(const bj::object& o, std::string_view key,
                                            std::string_view message) {
  std::vector<std::string> out;
  const auto* v = models::findKey(o, key);
  if (!v || v->is_null()) return out;
  if (!v->is_array())
    return invalidArgument(std::string(message) + ": " + std::string(key) + " is not a list");
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      return invalidArgument(std::string(message) + ": " + std::string(key) +
                             " holds a non-string");
    }
    out.emplace_back(item.as_string());
  }
  return out;
}
Result<models::Resources> resources(const bj::object& o, std::string_view key) {
  const auto* v = models::findKey(o, key);
  if (!v || v->is_null()) return models::Resources{};
  return models::resourcesFromJson(*v);
}
Result<models::NodeInfo> nodeInfo(const bj::object& o, std::string_view key) {
  const auto* v = models::findKey(o, key);
  if (!v) return invalidArgument("message has no " + std::string(key));
  return models::nodeInfoFromJson(*v);
}

bj::object runOutput(const models::RunCommandResult& r) { return models::toJson(r).as_object(); }

Result<models::RunCommandResult> decodeRunOutput(const bj::object& o) {
  // RunCommandResult has no public decoder of its own; it travels inside an Execution.
  models::RunCommandResult r;
  r.stdout_text = str(o, "Stdout");
  r.stdout_truncated = boolean(o, "StdoutTruncated");
  r.stderr_text = str(o, "stderr");
  r.stderr_truncated = boolean(o, "StderrTruncated");
  r.exit_code = i64(o, "ExitCode");
  r.error_msg = str(o, "ErrorMsg");
  return r;
}

}  // namespace

std::string encode(const ToComputeMessage& m) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        bj::object p;
        if constexpr (std::is_same_v<T, AskForBid>) {
          p["Execution"] = models::toJson(v.execution);
          p["RunDirectly"] = v.run_directly;
          return envelope("AskForBid", std::move(p));
        } else if constexpr (std::is_same_v<T, BidAccepted>) {
          p["ExecutionID"] = v.execution_id;
          p["JobID"] = v.job_id;
          return envelope("BidAccepted", std::move(p));
        } else if constexpr (std::is_same_v<T, BidRejected>) {
          p["ExecutionID"] = v.execution_id;
          p["JobID"] = v.job_id;
          p["Reason"] = v.reason;
          return envelope("BidRejected", std::move(p));
        } else {
          p["ExecutionID"] = v.execution_id;
          p["JobID"] = v.job_id;
          p["Reason"] = v.reason;
          return envelope("CancelExecution", std::move(p));
        }
      },
      m);
}

std::string encode(const ToOrchestratorMessage& m) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        bj::object p;
        p["ExecutionID"] = v.execution_id;
        p["JobID"] = v.job_id;
        p["NodeID"] = v.node_id;
        if constexpr (std::is_same_v<T, BidResult>) {
          p["Accepted"] = v.accepted;
          p["Reason"] = v.reason;
          p["Allocated"] = models::toJson(v.allocated);
          return envelope("BidResult", std::move(p));
        } else if constexpr (std::is_same_v<T, RunResult>) {
          p["RunOutput"] = runOutput(v.output);
          p["PublishedResult"] = models::toJson(v.published_result);
          return envelope("RunResult", std::move(p));
        } else {
          p["Message"] = v.message;
          p["Retryable"] = v.retryable;
          p["ErrorCode"] = v.error_code;
          p["Hint"] = v.hint;
          return envelope("ComputeError", std::move(p));
        }
      },
      m);
}

Result<ToComputeMessage> decodeToCompute(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  const auto& [type, p] = opened;
  if (type == "AskForBid") {
    const auto* e = models::findKey(p, "Execution");
    if (!e) return invalidArgument("AskForBid without Execution");
    models::DecodeOptions opts;
    opts.path = "Execution";
    COD_ASSIGN_OR_RETURN(models::Execution execution, models::executionFromJson(*e, opts));
    return ToComputeMessage{AskForBid{std::move(execution), boolean(p, "RunDirectly")}};
  }
  if (type == "BidAccepted") {
    return ToComputeMessage{BidAccepted{str(p, "ExecutionID"), str(p, "JobID")}};
  }
  if (type == "BidRejected") {
    return ToComputeMessage{BidRejected{str(p, "ExecutionID"), str(p, "JobID"), str(p, "Reason")}};
  }
  if (type == "CancelExecution") {
    return ToComputeMessage{
        CancelExecution{str(p, "ExecutionID"), str(p, "JobID"), str(p, "Reason")}};
  }
  return invalidArgument("unknown message type for a compute node: \"" + type + "\"");
}

Result<ToOrchestratorMessage> decodeToOrchestrator(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  const auto& [type, p] = opened;
  if (type == "BidResult") {
    BidResult r;
    r.execution_id = str(p, "ExecutionID");
    r.job_id = str(p, "JobID");
    r.node_id = str(p, "NodeID");
    r.accepted = boolean(p, "Accepted");
    r.reason = str(p, "Reason");
    COD_ASSIGN_OR_RETURN(r.allocated, resources(p, "Allocated"));
    return ToOrchestratorMessage{std::move(r)};
  }
  if (type == "RunResult") {
    RunResult r;
    r.execution_id = str(p, "ExecutionID");
    r.job_id = str(p, "JobID");
    r.node_id = str(p, "NodeID");
    if (const auto* o = models::findKey(p, "RunOutput"); o && o->is_object()) {
      COD_ASSIGN_OR_RETURN(r.output, decodeRunOutput(o->as_object()));
    }
    if (const auto* pr = models::findKey(p, "PublishedResult"); pr && pr->is_object()) {
      COD_ASSIGN_OR_RETURN(r.published_result, models::specConfigFromJson(*pr));
    }
    return ToOrchestratorMessage{std::move(r)};
  }
  if (type == "ComputeError") {
    ComputeError r;
    r.execution_id = str(p, "ExecutionID");
    r.job_id = str(p, "JobID");
    r.node_id = str(p, "NodeID");
    r.message = str(p, "Message");
    r.retryable = boolean(p, "Retryable", true);
    r.error_code = str(p, "ErrorCode");
    r.hint = str(p, "Hint");
    return ToOrchestratorMessage{std::move(r)};
  }
  return invalidArgument("unknown message type for the orchestrator: \"" + type + "\"");
}

std::string encode(const HandshakeRequest& m) {
  bj::object p;
  p["NodeInfo"] = models::toJson(m.node_info);
  p["StartTime"] = toUnixNanos(m.start_time);
  return envelope("HandshakeRequest", std::move(p));
}

Result<HandshakeRequest> decodeHandshakeRequest(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  HandshakeRequest r;
  COD_ASSIGN_OR_RETURN(r.node_info, nodeInfo(opened.second, "NodeInfo"));
  r.start_time = fromUnixNanos(i64(opened.second, "StartTime"));
  return r;
}

std::string encode(const HandshakeResponse& m) {
  bj::object p;
  p["Accepted"] = m.accepted;
  p["Reason"] = m.reason;
  p["HeartbeatIntervalMs"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(m.heartbeat_interval).count();
  p["JobRetentionMs"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(m.job_retention).count();
  return envelope("HandshakeResponse", std::move(p));
}

Result<HandshakeResponse> decodeHandshakeResponse(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  return HandshakeResponse{boolean(opened.second, "Accepted"), str(opened.second, "Reason"),
                           millis(opened.second, "HeartbeatIntervalMs"),
                           millis(opened.second, "JobRetentionMs")};
}

std::string encode(const HeartbeatRequest& m) {
  bj::object p;
  p["NodeID"] = m.node_id;
  p["AvailableCapacity"] = models::toJson(m.available_capacity);
  p["QueueUsedCapacity"] = models::toJson(m.queue_used_capacity);
  p["RunningExecutions"] = m.running_executions;
  p["EnqueuedExecutions"] = m.enqueued_executions;
  return envelope("HeartbeatRequest", std::move(p));
}

Result<HeartbeatRequest> decodeHeartbeatRequest(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  const auto& p = opened.second;
  HeartbeatRequest r;
  r.node_id = str(p, "NodeID");
  COD_ASSIGN_OR_RETURN(r.available_capacity, resources(p, "AvailableCapacity"));
  COD_ASSIGN_OR_RETURN(r.queue_used_capacity, resources(p, "QueueUsedCapacity"));
  r.running_executions = i64(p, "RunningExecutions");
  r.enqueued_executions = i64(p, "EnqueuedExecutions");
  return r;
}

std::string encode(const HeartbeatResponse& m) {
  bj::object p;
  p["Known"] = m.known;
  return envelope("HeartbeatResponse", std::move(p));
}

Result<HeartbeatResponse> decodeHeartbeatResponse(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  return HeartbeatResponse{boolean(opened.second, "Known", true)};
}

std::string encode(const UpdateNodeInfoRequest& m) {
  bj::object p;
  p["NodeInfo"] = models::toJson(m.node_info);
  return envelope("UpdateNodeInfoRequest", std::move(p));
}

Result<UpdateNodeInfoRequest> decodeUpdateNodeInfoRequest(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  UpdateNodeInfoRequest r;
  COD_ASSIGN_OR_RETURN(r.node_info, nodeInfo(opened.second, "NodeInfo"));
  return r;
}

std::string encode(const UpdateNodeInfoResponse& m) {
  bj::object p;
  p["Accepted"] = m.accepted;
  p["Reason"] = m.reason;
  return envelope("UpdateNodeInfoResponse", std::move(p));
}

Result<UpdateNodeInfoResponse> decodeUpdateNodeInfoResponse(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  return UpdateNodeInfoResponse{boolean(opened.second, "Accepted"), str(opened.second, "Reason")};
}

std::string encode(const PresignUploadRequest& m) {
  bj::object p;
  p["NodeID"] = m.node_id;
  p["JobID"] = m.job_id;
  p["ExecutionID"] = m.execution_id;
  return envelope("PresignUploadRequest", std::move(p));
}

Result<PresignUploadRequest> decodePresignUploadRequest(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  return PresignUploadRequest{str(opened.second, "NodeID"), str(opened.second, "JobID"),
                              str(opened.second, "ExecutionID")};
}

std::string encode(const PresignUploadResponse& m) {
  bj::object p;
  p["URL"] = m.url;
  p["Reason"] = m.reason;
  return envelope("PresignUploadResponse", std::move(p));
}

Result<PresignUploadResponse> decodePresignUploadResponse(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  return PresignUploadResponse{str(opened.second, "URL"), str(opened.second, "Reason")};
}

std::string encode(const ReconcileRequest& m) {
  bj::object p;
  p["NodeID"] = m.node_id;
  bj::array items;
  for (const auto& e : m.executions) {
    items.push_back(
        bj::object{{"ExecutionID", e.execution_id}, {"State", static_cast<int64_t>(e.state)}});
  }
  p["Executions"] = std::move(items);
  if (!m.kept_results.empty()) p["KeptResults"] = strings(m.kept_results);
  return envelope("ReconcileRequest", std::move(p));
}

Result<ReconcileRequest> decodeReconcileRequest(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  const auto& p = opened.second;
  ReconcileRequest r;
  r.node_id = str(p, "NodeID");
  if (const auto* items = models::findKey(p, "Executions"); items && items->is_array()) {
    for (const auto& item : items->as_array()) {
      if (!item.is_object()) return invalidArgument("ReconcileRequest: bad execution entry");
      const auto& o = item.as_object();
      r.executions.push_back(
          {str(o, "ExecutionID"), static_cast<models::ExecutionStateType>(i64(o, "State"))});
    }
  }
  COD_ASSIGN_OR_RETURN(r.kept_results, stringList(p, "KeptResults", "ReconcileRequest"));
  return r;
}

std::string encode(const ReconcileResponse& m) {
  bj::object p;
  bj::array items;
  for (const auto& e : m.executions) {
    items.push_back(bj::object{{"ExecutionID", e.execution_id},
                               {"Desired", static_cast<int64_t>(e.desired)},
                               {"Resend", e.resend}});
  }
  p["Executions"] = std::move(items);
  if (!m.forgotten_results.empty()) p["ForgottenResults"] = strings(m.forgotten_results);
  return envelope("ReconcileResponse", std::move(p));
}

Result<ReconcileResponse> decodeReconcileResponse(std::string_view text) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  ReconcileResponse r;
  if (const auto* items = models::findKey(opened.second, "Executions");
      items && items->is_array()) {
    for (const auto& item : items->as_array()) {
      if (!item.is_object()) return invalidArgument("ReconcileResponse: bad execution entry");
      const auto& o = item.as_object();
      r.executions.push_back({str(o, "ExecutionID"),
                              static_cast<models::ExecutionDesiredStateType>(i64(o, "Desired")),
                              boolean(o, "Resend")});
    }
  }
  COD_ASSIGN_OR_RETURN(r.forgotten_results,
                       stringList(opened.second, "ForgottenResults", "ReconcileResponse"));
  return r;
}

std::string envelopeType(std::string_view text) {
  auto opened = open(text);
  return opened.isOk() ? opened->first : std::string();
}

// ---- log streams ----

namespace {

Result<bj::object> openAs(std::string_view text, std::string_view type) {
  COD_ASSIGN_OR_RETURN(auto opened, open(text));
  if (opened.first != type) {
    return invalidArgument("expected a " + std::string(type) + ", got a " + opened.first);
  }
  return std::move(opened.second);
}

uint64_t u64(const bj::object& o, std::string_view key) {
  const auto* v = models::findKey(o, key);
  if (v == nullptr) return 0;
  if (v->is_uint64()) return v->as_uint64();
  return v->is_int64() && v->as_int64() > 0 ? static_cast<uint64_t>(v->as_int64()) : 0;
}

}  // namespace

std::string encode(const LogStreamOpen& m) {
  bj::object p;
  p["StreamID"] = m.stream_id;
  p["ReplyTo"] = m.reply_to;
  p["ExecutionID"] = m.request.execution_id;
  p["Tail"] = m.request.tail;
  p["Follow"] = m.request.follow;
  p["Window"] = m.window;
  p["KeepaliveMs"] = m.keepalive_ms;
  return envelope("LogStreamOpen", std::move(p));
}

Result<LogStreamOpen> decodeLogStreamOpen(std::string_view text) {
  COD_ASSIGN_OR_RETURN(bj::object p, openAs(text, "LogStreamOpen"));
  LogStreamOpen m;
  m.stream_id = str(p, "StreamID");
  m.reply_to = str(p, "ReplyTo");
  m.request.execution_id = str(p, "ExecutionID");
  m.request.tail = boolean(p, "Tail");
  m.request.follow = boolean(p, "Follow");
  m.window = i64(p, "Window");
  m.keepalive_ms = millis(p, "KeepaliveMs").count();
  if (m.stream_id.empty() || m.reply_to.empty()) {
    return invalidArgument("LogStreamOpen without a StreamID or ReplyTo");
  }
  return m;
}

std::string encode(const LogStreamChunk& m) {
  bj::object p;
  p["StreamID"] = m.stream_id;
  p["Seq"] = m.seq;
  bj::array pieces;
  for (const auto& piece : m.pieces) {
    // Base64: a task's output need not be UTF-8, and JSON strings must be.
    bj::object e{{"Type", piece.type}, {"Data", base64Encode(piece.data)}};
    if (piece.more) e["More"] = true;
    pieces.emplace_back(std::move(e));
  }
  p["Pieces"] = std::move(pieces);
  if (m.end) {
    p["End"] = true;
    p["Code"] = m.status_code;
    p["Message"] = m.status_message;
  }
  return envelope("LogStreamChunk", std::move(p));
}

Result<LogStreamChunk> decodeLogStreamChunk(std::string_view text) {
  COD_ASSIGN_OR_RETURN(bj::object p, openAs(text, "LogStreamChunk"));
  LogStreamChunk m;
  m.stream_id = str(p, "StreamID");
  m.seq = u64(p, "Seq");
  if (const auto* pieces = models::findKey(p, "Pieces"); pieces && pieces->is_array()) {
    for (const auto& item : pieces->as_array()) {
      if (!item.is_object()) return invalidArgument("LogStreamChunk: bad piece");
      const auto& o = item.as_object();
      LogStreamPiece piece;
      piece.type = static_cast<int32_t>(i64(o, "Type"));
      if (!base64Decode(str(o, "Data"), &piece.data)) {
        return invalidArgument("LogStreamChunk: a piece's Data is not base64");
      }
      piece.more = boolean(o, "More");
      m.pieces.push_back(std::move(piece));
    }
  }
  m.end = boolean(p, "End");
  m.status_code = str(p, "Code");
  m.status_message = str(p, "Message");
  return m;
}

std::string encode(const LogStreamAck& m) {
  bj::object p;
  p["StreamID"] = m.stream_id;
  p["Seq"] = m.seq;
  if (m.cancel) p["Cancel"] = true;
  return envelope("LogStreamAck", std::move(p));
}

Result<LogStreamAck> decodeLogStreamAck(std::string_view text) {
  COD_ASSIGN_OR_RETURN(bj::object p, openAs(text, "LogStreamAck"));
  return LogStreamAck{str(p, "StreamID"), u64(p, "Seq"), boolean(p, "Cancel")};
}

}  // namespace cod::transport
