#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "models/job.h"
#include "models/resources.h"

namespace cod::models {

inline constexpr const char* kNodeTypeRequester = "Requester";
inline constexpr const char* kNodeTypeCompute = "Compute";

inline constexpr const char* kMembershipPending = "PENDING";
inline constexpr const char* kMembershipApproved = "APPROVED";
inline constexpr const char* kMembershipRejected = "REJECTED";

inline constexpr const char* kConnectionConnected = "CONNECTED";
inline constexpr const char* kConnectionDisconnected = "DISCONNECTED";

struct BuildVersionInfo {
  std::string major;
  std::string minor;
  std::string git_version;  // "v1.2.3"
  std::string git_commit;
  Time build_date{};
  std::string goos = "linux";
  std::string goarch;
  bool operator==(const BuildVersionInfo&) const = default;
};

// What a compute node's input cache holds (cod's own addition to NodeInfo, JSON "InputCache";
// absent when the node has no cache). `inputs` are the locators (models/locality.h) of the inputs
// whose data it holds, most recently used first: the orchestrator prefers such nodes.
struct InputCacheInfo {
  uint64_t max_bytes = 0;
  uint64_t bytes = 0;
  uint64_t entries = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  std::vector<std::string> inputs;
  bool operator==(const InputCacheInfo&) const = default;
};

struct ComputeNodeInfo {
  std::vector<std::string> execution_engines;
  std::vector<std::string> publishers;
  std::vector<std::string> storage_sources;
  Resources max_capacity;
  Resources queue_capacity;  // JSON "QueueCapacity"
  Resources available_capacity;
  Resources max_job_requirements;
  int64_t running_executions = 0;
  int64_t enqueued_executions = 0;
  std::string address;  // JSON "address" (lower-case)
  InputCacheInfo input_cache;
  bool operator==(const ComputeNodeInfo&) const = default;
};

struct NodeInfo {
  std::string node_id;
  std::string node_type;  // kNodeTypeRequester | kNodeTypeCompute
  StringMap labels;
  std::vector<std::string> supported_protocols;
  ComputeNodeInfo compute_node_info;
  BuildVersionInfo bacalhau_version;
  bool operator==(const NodeInfo&) const = default;
};

struct ConnectionState {
  std::string status = kConnectionDisconnected;
  Time last_heartbeat{};
  uint64_t last_compute_seq_num = 0;
  uint64_t last_orchestrator_seq_num = 0;
  Time connected_since{};
  Time disconnected_since{};
  std::string last_error;
  bool operator==(const ConnectionState&) const = default;
};

// cod's own addition to NodeState (JSON "Drain", absent unless the node is draining; Bacalhau's
// clients ignore it): an operator drained the node (`cod node drain`), so it gets no new
// executions while the ones it has finish. Persisted with the node.
struct DrainState {
  bool draining = false;
  std::string message;  // why, as the operator said it
  Time since{};
  bool operator==(const DrainState&) const = default;
};

struct NodeState {
  NodeInfo info;
  std::string membership = kMembershipApproved;
  ConnectionState connection_state;
  DrainState drain;
  bool isConnected() const { return connection_state.status == kConnectionConnected; }
  bool isDraining() const { return drain.draining; }
  bool operator==(const NodeState&) const = default;
};

}  // namespace cod::models
