#pragma once

// The JSON envelope every message travels in over NATS:
//   {"Type":"AskForBid","Version":1,"Payload":{…}}
// Payloads use the models' Bacalhau-compatible JSON for the models they carry. Decoding rejects an
// unknown type or a newer schema version with a clear error, so mixed versions fail loudly.

#include <string>
#include <string_view>

#include "common/status.h"
#include "transport/messages.h"

namespace cod::transport {

std::string encode(const ToComputeMessage& m);
std::string encode(const ToOrchestratorMessage& m);
std::string encode(const HandshakeRequest& m);
std::string encode(const HandshakeResponse& m);
std::string encode(const HeartbeatRequest& m);
std::string encode(const HeartbeatResponse& m);
std::string encode(const UpdateNodeInfoRequest& m);
std::string encode(const UpdateNodeInfoResponse& m);
std::string encode(const ReconcileRequest& m);
std::string encode(const ReconcileResponse& m);

Result<ToComputeMessage> decodeToCompute(std::string_view text);
Result<ToOrchestratorMessage> decodeToOrchestrator(std::string_view text);
Result<HandshakeRequest> decodeHandshakeRequest(std::string_view text);
Result<HandshakeResponse> decodeHandshakeResponse(std::string_view text);
Result<HeartbeatRequest> decodeHeartbeatRequest(std::string_view text);
Result<HeartbeatResponse> decodeHeartbeatResponse(std::string_view text);
Result<UpdateNodeInfoRequest> decodeUpdateNodeInfoRequest(std::string_view text);
Result<UpdateNodeInfoResponse> decodeUpdateNodeInfoResponse(std::string_view text);
std::string encode(const PresignUploadRequest& m);
std::string encode(const PresignUploadResponse& m);
Result<PresignUploadRequest> decodePresignUploadRequest(std::string_view text);
Result<PresignUploadResponse> decodePresignUploadResponse(std::string_view text);
Result<ReconcileRequest> decodeReconcileRequest(std::string_view text);
Result<ReconcileResponse> decodeReconcileResponse(std::string_view text);

std::string encode(const LogStreamOpen& m);
std::string encode(const LogStreamChunk& m);
std::string encode(const LogStreamAck& m);
Result<LogStreamOpen> decodeLogStreamOpen(std::string_view text);
Result<LogStreamChunk> decodeLogStreamChunk(std::string_view text);
Result<LogStreamAck> decodeLogStreamAck(std::string_view text);

// The "Type" of an envelope, without decoding its payload ("" when unreadable).
std::string envelopeType(std::string_view text);

}  // namespace cod::transport
