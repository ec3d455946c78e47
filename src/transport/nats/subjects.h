#pragma once

// Every NATS subject and queue group cod uses, in one place. The "v1" is the subject scheme's
// version: bump it (and keep the old one for a release) if routing ever changes incompatibly;
// message payloads carry their own schema version (messages_json.h).

#include <string>
#include <string_view>

#include "common/status.h"

namespace cod::transport {

// compute → orchestrator, request/reply. The envelope's Type says which request it is
// (HandshakeRequest, HeartbeatRequest, UpdateNodeInfoRequest, ReconcileRequest).
inline constexpr const char* kNatsControlSubject = "cod.v1.orchestrator.control";
// compute → orchestrator, fire-and-forget data messages (BidResult, RunResult, ComputeError).
inline constexpr const char* kNatsToOrchestratorSubject = "cod.v1.orchestrator.messages";
// The queue group of every orchestrator subscription: orchestrator processes sharing a NATS
// server split the requests and messages between them instead of each receiving all.
inline constexpr const char* kNatsOrchestratorQueueGroup = "cod-orchestrators";

// orchestrator → compute data messages for one node: "cod.v1.compute.<nodeID>.messages".
std::string natsComputeSubject(std::string_view node_id);

// Log streams. Requests to open one: "cod.v1.compute.<nodeID>.logs"; the orchestrator's
// acknowledgements and cancels: "cod.v1.compute.<nodeID>.logacks"; chunks go to the subject the
// request names, "cod.v1.logs.<token>", one per orchestrator transport (the chunk names its
// stream).
std::string natsComputeLogsSubject(std::string_view node_id);
std::string natsComputeLogAcksSubject(std::string_view node_id);
inline constexpr const char* kNatsLogReplyPrefix = "cod.v1.logs.";

// A node ID must be usable as part of a subject: not empty, no whitespace or control
// characters, no NATS wildcards ('*', '>'), no empty dot-separated pieces.
Status validateNodeIdForSubject(std::string_view node_id);

}  // namespace cod::transport
