#pragma once

// Every NATS subject and queue group cod uses, in one place. The "v1" is the subject scheme's
// version: once cod has a release, bump it (and keep the old one for a release) if routing ever
// changes incompatibly; message payloads carry their own schema version (messages_json.h). Until
// then v1 changes in place: per-node credentials moved the compute → orchestrator subjects under
// the node's ID, so orchestrator and nodes of before and after that change do not mix.

#include <string>
#include <string_view>

#include "common/status.h"

namespace cod::transport {

// compute → orchestrator, on subjects that name the sending node, so that a node with its own
// credentials may publish only as itself (the orchestrator also checks the message names the same
// node): request/reply "cod.v1.orchestrator.control.<nodeID>" (the envelope's Type says which:
// HandshakeRequest, HeartbeatRequest, UpdateNodeInfoRequest, ReconcileRequest,
// PresignUploadRequest) and fire-and-forget "cod.v1.orchestrator.messages.<nodeID>" (BidResult,
// RunResult, ComputeError).
inline constexpr const char* kNatsControlPrefix = "cod.v1.orchestrator.control.";
inline constexpr const char* kNatsToOrchestratorPrefix = "cod.v1.orchestrator.messages.";
std::string natsControlSubject(std::string_view node_id);
std::string natsToOrchestratorSubject(std::string_view node_id);
// What the orchestrator subscribes to: every node's control requests, every node's messages.
inline constexpr const char* kNatsControlWildcard = "cod.v1.orchestrator.control.>";
inline constexpr const char* kNatsToOrchestratorWildcard = "cod.v1.orchestrator.messages.>";
// The node a subject under `prefix` names; empty when it is not under it.
std::string_view natsSubjectNode(std::string_view subject, std::string_view prefix);

// A new node asks to be admitted here, request/reply, as the join user with the cluster token
// (nats_server_process.h): the request names the node and the secret it chose for itself.
inline constexpr const char* kNatsJoinSubject = "cod.v1.orchestrator.join";

// The users of an orchestrator's own nats-server when nodes have credentials of their own.
inline constexpr const char* kNatsOrchestratorUser = "cod-orchestrator";
inline constexpr const char* kNatsJoinUser = "cod-join";
// Reply subjects (nats.c inboxes) per user, so that one may read only the answers meant for it:
// "_INBOX.cod-join" for joiners, "_INBOX.cod.<hex of the node ID>" for a node (hex keeps it one
// subject token whatever the ID holds).
inline constexpr const char* kNatsJoinInboxPrefix = "_INBOX.cod-join";
std::string natsNodeInboxPrefix(std::string_view node_id);

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
