#pragma once

// Tracks every node the orchestrator knows: handshakes, heartbeats, node-info updates, approval,
// and disconnect detection. Node membership is persisted in the JobStore so an orchestrator restart
// keeps approvals; live connection state is in memory. Nodes loaded at start get one disconnect
// timeout of grace to reconnect before their work is rescheduled.
//
// Thread-safety: every method is thread-safe (one mutex; no I/O under it except the store write of
// a membership change).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "models/node.h"
#include "store/job_store.h"
#include "transport/messages.h"

namespace cod::orchestrator {

struct NodeManagerConfig {
  // No heartbeat for this long → DISCONNECTED, and the node's executions are rescheduled.
  Duration disconnect_timeout = std::chrono::seconds(20);
  // New compute nodes start PENDING instead of APPROVED.
  bool manual_approval = false;
  // Called after a node was deleted (remove()), and for an ID remove() does not know: withdraws
  // what else the node holds (its NATS credentials, so that the server drops it and its ID may
  // join again with other ones); true when there was something. Called without the manager's lock.
  std::function<bool(const std::string& node_id)> on_removed;
};

class NodeManager {
 public:
  // Called (outside the lock) when a compute node connects or is lost.
  struct Listener {
    std::function<void(const std::string& node_id)> on_joined;
    std::function<void(const std::string& node_id, const std::string& reason)> on_left;
  };

  NodeManager(store::JobStore* store, const Clock* clock, NodeManagerConfig config);

  // Loads persisted nodes (marked connected, with a grace period) and registers the orchestrator
  // itself (NodeType Requester, APPROVED, CONNECTED).
  Status start(const models::NodeInfo& self);
  void setListener(Listener listener);

  transport::HandshakeResponse handshake(const transport::HandshakeRequest& req);
  transport::HeartbeatResponse heartbeat(const transport::HeartbeatRequest& req);
  transport::UpdateNodeInfoResponse updateNodeInfo(const transport::UpdateNodeInfoRequest& req);

  // Marks nodes without a heartbeat for longer than the timeout DISCONNECTED and tells the
  // listener. Called periodically (every timeout/3, clamped to 1–30 s) and by tests.
  void checkHeartbeats();

  // Every known node, the orchestrator included, ordered by ID.
  std::vector<models::NodeState> list() const;
  // The same, shared and immutable: what a scheduling pass reads. Rebuilt only after a change the
  // scheduler can see (a heartbeat that only says the node is alive is not one), so passes over
  // 10,000 nodes do not copy them each time. Its LastHeartbeat times may be behind.
  std::shared_ptr<const std::vector<models::NodeState>> snapshot() const;
  // One page of the nodes `keep` accepts, in `less` order: those at [offset, offset + limit)
  // (limit 0 = to the end), copied; *has_more says whether more follow. Only the page is copied,
  // so a page of 100 among 10,000 nodes costs a sort of pointers, not 10,000 copies.
  std::vector<models::NodeState> listPage(
      const std::function<bool(const models::NodeState&)>& keep,
      const std::function<bool(const models::NodeState&, const models::NodeState&)>& less,
      size_t offset, size_t limit, bool* has_more) const;
  // Compute nodes that are APPROVED and CONNECTED: the candidates for new executions (draining
  // ones included, so that selection can name them as the reason a job waits).
  std::vector<models::NodeState> schedulableNodes() const;
  // By full ID or unique prefix. NotFound; FailedPrecondition "MultipleNodesFound" when ambiguous.
  Result<models::NodeState> get(const std::string& id_or_prefix) const;
  bool isConnected(const std::string& node_id) const;
  // When the node last handshook with this orchestrator; Time{} when it has not.
  Time lastHandshake(const std::string& node_id) const;

  // PUT /nodes/:id actions. FailedPrecondition ("ConflictNodeState") when already in that state.
  Status approve(const std::string& id_or_prefix);
  Status reject(const std::string& id_or_prefix, const std::string& message);
  Status remove(const std::string& id_or_prefix);
  // cod's own actions: a drained compute node keeps its executions (running ones finish, daemon
  // ones stay) but gets no new ones: selection's DrainRanker rules it out. Persisted, so a drain
  // outlives an orchestrator restart and the node's reconnects. Undrain tells the listener the
  // node joined (when connected) so waiting work is placed on it again. FailedPrecondition
  // ("ConflictNodeState") when already in that state, or for the orchestrator itself.
  Status drain(const std::string& id_or_prefix, const std::string& message);
  Status undrain(const std::string& id_or_prefix);

 private:
  Result<std::string> resolveLocked(const std::string& id_or_prefix) const;
  // Stores the node's current state (mu_ must not be held).
  void persist(const models::NodeState& node);

  store::JobStore* store_;
  const Clock* clock_;
  NodeManagerConfig config_;
  Listener listener_;
  mutable std::mutex mu_;
  std::mutex persist_mu_;  // taken before mu_, by persist() only
  std::map<std::string, models::NodeState> nodes_;
  std::map<std::string, Time> handshaken_;  // nodes that handshook since we started, and when
  std::string self_id_;
  // Bumped (under mu_) by every change a scheduling pass can see; snapshot_ was built at
  // snapshot_version_.
  uint64_t version_ = 0;
  mutable std::shared_ptr<const std::vector<models::NodeState>> snapshot_;
  mutable uint64_t snapshot_version_ = 0;
};

}  // namespace cod::orchestrator
