// The JSON form of NodeInfo, NodeState and BuildVersionInfo (reference/bacalhau-api.md §5.14,
// §5.16).

#include <initializer_list>

#include "common/strings.h"
#include "models/json.h"
#include "models/json_util.h"

namespace cod::models {

using json_internal::ObjectReader;
using json_internal::bj::object;
using json_internal::bj::value;

namespace {

// Bacalhau's text for a node whose type is not set.
constexpr const char* kNodeTypeUndefined = "nodeTypeUndefined";

// The canonical spelling of a known name, matched case-insensitively; other names unchanged.
std::string canonical(std::string name, std::initializer_list<const char*> known) {
  for (const char* k : known) {
    if (equalsIgnoreCase(trim(name), k)) return k;
  }
  return name;
}

value computeNodeInfoToJson(const ComputeNodeInfo& c) {
  object obj;
  obj["ExecutionEngines"] = json_internal::stringsToJson(c.execution_engines);
  obj["Publishers"] = json_internal::stringsToJson(c.publishers);
  obj["StorageSources"] = json_internal::stringsToJson(c.storage_sources);
  obj["MaxCapacity"] = toJson(c.max_capacity);
  obj["QueueCapacity"] = toJson(c.queue_capacity);
  obj["AvailableCapacity"] = toJson(c.available_capacity);
  obj["MaxJobRequirements"] = toJson(c.max_job_requirements);
  obj["RunningExecutions"] = c.running_executions;
  obj["EnqueuedExecutions"] = c.enqueued_executions;
  obj["address"] = c.address;
  if (c.input_cache.max_bytes > 0) {
    const InputCacheInfo& ic = c.input_cache;
    object cache;
    cache["MaxBytes"] = ic.max_bytes;
    cache["Bytes"] = ic.bytes;
    cache["Entries"] = ic.entries;
    cache["Hits"] = ic.hits;
    cache["Misses"] = ic.misses;
    cache["Inputs"] = json_internal::stringsToJson(ic.inputs);
    obj["InputCache"] = std::move(cache);
  }
  return obj;
}

Status decodeInputCacheInfo(const value& v, const std::string& path, const DecodeOptions& opts,
                            InputCacheInfo* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.u64("MaxBytes", &out->max_bytes));
  COD_RETURN_IF_ERROR(r.u64("Bytes", &out->bytes));
  COD_RETURN_IF_ERROR(r.u64("Entries", &out->entries));
  COD_RETURN_IF_ERROR(r.u64("Hits", &out->hits));
  COD_RETURN_IF_ERROR(r.u64("Misses", &out->misses));
  return r.stringList("Inputs", &out->inputs);
}

Status decodeComputeNodeInfo(const value& v, const std::string& path, const DecodeOptions& opts,
                             ComputeNodeInfo* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.stringList("ExecutionEngines", &out->execution_engines));
  COD_RETURN_IF_ERROR(r.stringList("Publishers", &out->publishers));
  COD_RETURN_IF_ERROR(r.stringList("StorageSources", &out->storage_sources));
  COD_RETURN_IF_ERROR(r.nested("MaxCapacity", &out->max_capacity, json_internal::decodeResources));
  COD_RETURN_IF_ERROR(
      r.nested("QueueCapacity", &out->queue_capacity, json_internal::decodeResources));
  COD_RETURN_IF_ERROR(
      r.nested("AvailableCapacity", &out->available_capacity, json_internal::decodeResources));
  COD_RETURN_IF_ERROR(
      r.nested("MaxJobRequirements", &out->max_job_requirements, json_internal::decodeResources));
  COD_RETURN_IF_ERROR(r.i64("RunningExecutions", &out->running_executions));
  COD_RETURN_IF_ERROR(r.i64("EnqueuedExecutions", &out->enqueued_executions));
  COD_RETURN_IF_ERROR(r.nested("InputCache", &out->input_cache, decodeInputCacheInfo));
  return r.str("address", &out->address);
}

Status decodeBuildVersion(const value& v, const std::string& path, const DecodeOptions& opts,
                          BuildVersionInfo* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Major", &out->major));
  COD_RETURN_IF_ERROR(r.str("Minor", &out->minor));
  COD_RETURN_IF_ERROR(r.str("GitVersion", &out->git_version));
  COD_RETURN_IF_ERROR(r.str("GitCommit", &out->git_commit));
  COD_RETURN_IF_ERROR(r.time("BuildDate", &out->build_date));
  COD_RETURN_IF_ERROR(r.str("GOOS", &out->goos));
  return r.str("GOARCH", &out->goarch);
}

Status decodeNodeInfo(const value& v, const std::string& path, const DecodeOptions& opts,
                      NodeInfo* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("NodeID", &out->node_id));
  std::string type;
  COD_RETURN_IF_ERROR(r.str("NodeType", &type));
  out->node_type = equalsIgnoreCase(type, kNodeTypeUndefined)
                       ? ""
                       : canonical(type, {kNodeTypeRequester, kNodeTypeCompute});
  COD_RETURN_IF_ERROR(r.stringMap("Labels", &out->labels));
  COD_RETURN_IF_ERROR(r.stringList("SupportedProtocols", &out->supported_protocols));
  COD_RETURN_IF_ERROR(r.nested("ComputeNodeInfo", &out->compute_node_info, decodeComputeNodeInfo));
  return r.nested("BacalhauVersion", &out->bacalhau_version, decodeBuildVersion);
}

value connectionStateToJson(const ConnectionState& c) {
  object obj;
  obj["Status"] = c.status;
  obj["LastHeartbeat"] = json_internal::timeToJson(c.last_heartbeat);
  if (c.last_compute_seq_num != 0) obj["LastComputeSeqNum"] = c.last_compute_seq_num;
  if (c.last_orchestrator_seq_num != 0) {
    obj["LastOrchestratorSeqNum"] = c.last_orchestrator_seq_num;
  }
  obj["ConnectedSince"] = json_internal::timeToJson(c.connected_since);
  obj["DisconnectedSince"] = json_internal::timeToJson(c.disconnected_since);
  if (!c.last_error.empty()) obj["LastError"] = c.last_error;
  return obj;
}

std::string canonicalConnection(std::string status) {
  return canonical(std::move(status), {kConnectionConnected, kConnectionDisconnected});
}

Status decodeConnectionState(const value& v, const std::string& path, const DecodeOptions& opts,
                             ConnectionState* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Status", &out->status));
  out->status = canonicalConnection(out->status);
  COD_RETURN_IF_ERROR(r.time("LastHeartbeat", &out->last_heartbeat));
  COD_RETURN_IF_ERROR(r.u64("LastComputeSeqNum", &out->last_compute_seq_num));
  COD_RETURN_IF_ERROR(r.u64("LastOrchestratorSeqNum", &out->last_orchestrator_seq_num));
  COD_RETURN_IF_ERROR(r.time("ConnectedSince", &out->connected_since));
  COD_RETURN_IF_ERROR(r.time("DisconnectedSince", &out->disconnected_since));
  return r.str("LastError", &out->last_error);
}

// "Drain": {"Message": "…", "Since": "<RFC 3339>"}; present means draining.
Status decodeDrainState(const value& v, const std::string& path, const DecodeOptions& opts,
                        DrainState* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  out->draining = true;
  COD_RETURN_IF_ERROR(r.str("Message", &out->message));
  return r.time("Since", &out->since);
}

}  // namespace

value toJson(const BuildVersionInfo& v) {
  object obj;
  if (!v.major.empty()) obj["Major"] = v.major;
  if (!v.minor.empty()) obj["Minor"] = v.minor;
  obj["GitVersion"] = v.git_version;
  obj["GitCommit"] = v.git_commit;
  obj["BuildDate"] = json_internal::timeToJson(v.build_date);
  obj["GOOS"] = v.goos;
  obj["GOARCH"] = v.goarch;
  return obj;
}

Result<BuildVersionInfo> buildVersionInfoFromJson(const value& v, const DecodeOptions& opts) {
  BuildVersionInfo out;
  COD_RETURN_IF_ERROR(
      decodeBuildVersion(v, json_internal::rootPath(opts, "BuildVersionInfo"), opts, &out));
  return out;
}

value toJson(const NodeInfo& v) {
  object obj;
  obj["NodeID"] = v.node_id;
  obj["NodeType"] = v.node_type.empty() ? kNodeTypeUndefined : v.node_type;
  obj["Labels"] = json_internal::stringMapToJson(v.labels);
  obj["SupportedProtocols"] = json_internal::stringsToJson(v.supported_protocols);
  obj["ComputeNodeInfo"] = computeNodeInfoToJson(v.compute_node_info);
  obj["BacalhauVersion"] = toJson(v.bacalhau_version);
  return obj;
}

Result<NodeInfo> nodeInfoFromJson(const value& v, const DecodeOptions& opts) {
  NodeInfo out;
  COD_RETURN_IF_ERROR(decodeNodeInfo(v, json_internal::rootPath(opts, "NodeInfo"), opts, &out));
  return out;
}

value toJson(const NodeState& v) {
  object obj;
  obj["Info"] = toJson(v.info);
  obj["Membership"] = v.membership;
  // The deprecated copy of ConnectionState.Status, still read by the web UI.
  obj["Connection"] = v.connection_state.status;
  obj["ConnectionState"] = connectionStateToJson(v.connection_state);
  if (v.drain.draining) {
    object drain;
    drain["Message"] = v.drain.message;
    drain["Since"] = json_internal::timeToJson(v.drain.since);
    obj["Drain"] = std::move(drain);
  }
  return obj;
}

Result<NodeState> nodeStateFromJson(const value& v, const DecodeOptions& opts) {
  COD_ASSIGN_OR_RETURN(ObjectReader r,
                       ObjectReader::open(v, json_internal::rootPath(opts, "NodeState"), opts));
  NodeState out;
  COD_RETURN_IF_ERROR(r.nested("Info", &out.info, decodeNodeInfo));
  COD_RETURN_IF_ERROR(r.str("Membership", &out.membership));
  out.membership =
      canonical(out.membership, {kMembershipPending, kMembershipApproved, kMembershipRejected});
  if (r.has("ConnectionState")) {
    COD_RETURN_IF_ERROR(r.nested("ConnectionState", &out.connection_state, decodeConnectionState));
  } else {
    // Older peers only send the deprecated top-level copy.
    COD_RETURN_IF_ERROR(r.str("Connection", &out.connection_state.status));
    out.connection_state.status = canonicalConnection(out.connection_state.status);
  }
  COD_RETURN_IF_ERROR(r.nested("Drain", &out.drain, decodeDrainState));
  return out;
}

}  // namespace cod::models
