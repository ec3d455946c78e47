#include "orchestrator/nodes/node_manager.h"

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/strings.h"

namespace cod::orchestrator {

namespace {
constexpr const char* kComponent = "NodeManager";
}

NodeManager::NodeManager(store::JobStore* store, const Clock* clock, NodeManagerConfig config)
    : store_(store), clock_(clock), config_(std::move(config)) {}

void NodeManager::setListener(Listener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

Status NodeManager::start(const models::NodeInfo& self) {
  COD_ASSIGN_OR_RETURN(auto persisted, store_->listNodes());
  Time now = clock_->now();
  std::lock_guard lock(mu_);
  ++version_;  // what the scheduler sees may change
  for (auto& node : persisted) {
    if (node.info.node_type != models::kNodeTypeCompute) continue;
    // Treat a known node as connected for one disconnect timeout: its work is not rescheduled
    // unless it fails to report in after our restart.
    node.connection_state.status = models::kConnectionConnected;
    node.connection_state.last_heartbeat = now;
    node.connection_state.connected_since = now;
    nodes_[node.info.node_id] = std::move(node);
  }
  models::NodeState me;
  me.info = self;
  me.membership = models::kMembershipApproved;
  me.connection_state.status = models::kConnectionConnected;
  me.connection_state.connected_since = now;
  me.connection_state.last_heartbeat = now;
  self_id_ = self.node_id;
  nodes_[self_id_] = std::move(me);
  return Status::ok();
}

void NodeManager::persist(const models::NodeState& node) {
  // Writes are serialised and each writes the node as it is now, not the caller's snapshot: two
  // changes racing (a handshake and a drain) could otherwise store the older one last.
  std::lock_guard persist_lock(persist_mu_);
  models::NodeState current;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(node.info.node_id);
    if (it == nodes_.end()) return;  // deleted meanwhile
    current = it->second;
  }
  Status st = store_->update([&](store::Txn& tx) { return tx.putNode(current); });
  if (!st.isOk()) spdlog::warn("could not persist node {}: {}", node.info.node_id, st.message());
}

transport::HandshakeResponse NodeManager::handshake(const transport::HandshakeRequest& req) {
  const auto& info = req.node_info;
  if (info.node_id.empty()) return {false, "handshake without a node ID"};
  if (info.node_type != models::kNodeTypeCompute) {
    return {false, "only compute nodes can join (got node type \"" + info.node_type + "\")"};
  }
  Time now = clock_->now();
  models::NodeState snapshot;
  Listener listener;
  bool joined = false;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    auto it = nodes_.find(info.node_id);
    if (it != nodes_.end() && it->second.membership == models::kMembershipRejected) {
      return {false, "node " + info.node_id + " has been rejected by the orchestrator"};
    }
    if (it == nodes_.end()) {
      models::NodeState fresh;
      fresh.membership =
          config_.manual_approval ? models::kMembershipPending : models::kMembershipApproved;
      it = nodes_.emplace(info.node_id, std::move(fresh)).first;
    }
    models::NodeState& node = it->second;
    node.info = info;
    node.connection_state.status = models::kConnectionConnected;
    node.connection_state.connected_since = now;
    node.connection_state.last_heartbeat = now;
    node.connection_state.last_error.clear();
    snapshot = node;
    listener = listener_;
    joined = node.membership == models::kMembershipApproved;
    handshaken_[info.node_id] = now;
  }
  persist(snapshot);
  spdlog::info("compute node {} connected ({})", info.node_id, snapshot.membership);
  if (joined && listener.on_joined) listener.on_joined(info.node_id);
  transport::HandshakeResponse accepted{true, "", config_.disconnect_timeout / 4};
  return accepted;
}

transport::HeartbeatResponse NodeManager::heartbeat(const transport::HeartbeatRequest& req) {
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(req.node_id);
    if (it == nodes_.end() || it->second.membership == models::kMembershipRejected ||
        !handshaken_.count(req.node_id)) {
      // Unknown, or known only from before our restart: the node must handshake (and then
      // reconcile its executions) first.
      return {false};
    }
    models::NodeState& node = it->second;
    auto& cs = node.connection_state;
    Time now = clock_->now();
    if (cs.status != models::kConnectionConnected) {
      // Heard from again after being declared lost: it must handshake so that its executions are
      // reconciled before it gets new work.
      return {false};
    }
    cs.last_heartbeat = now;
    auto& ci = node.info.compute_node_info;
    // Most heartbeats of an idle fleet change nothing the scheduler reads: those leave its
    // snapshot as it is.
    if (ci.available_capacity != req.available_capacity ||
        ci.queue_capacity != req.queue_used_capacity ||
        ci.running_executions != req.running_executions ||
        ci.enqueued_executions != req.enqueued_executions) {
      ++version_;
    }
    ci.available_capacity = req.available_capacity;
    ci.queue_capacity = req.queue_used_capacity;
    ci.running_executions = req.running_executions;
    ci.enqueued_executions = req.enqueued_executions;
  }
  return {true};
}

transport::UpdateNodeInfoResponse NodeManager::updateNodeInfo(
    const transport::UpdateNodeInfoRequest& req) {
  models::NodeState snapshot;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    auto it = nodes_.find(req.node_info.node_id);
    if (it == nodes_.end()) return {false, "unknown node: handshake first"};
    if (it->second.membership == models::kMembershipRejected) return {false, "node rejected"};
    it->second.info = req.node_info;
    it->second.connection_state.last_heartbeat = clock_->now();
    snapshot = it->second;
  }
  persist(snapshot);
  return {true, ""};
}

void NodeManager::checkHeartbeats() {
  std::vector<std::string> lost;
  Listener listener;
  {
    std::lock_guard lock(mu_);
    Time now = clock_->now();
    for (auto& [id, node] : nodes_) {
      if (id == self_id_) continue;
      auto& cs = node.connection_state;
      if (cs.status != models::kConnectionConnected) continue;
      if (now - cs.last_heartbeat > config_.disconnect_timeout) {
        cs.status = models::kConnectionDisconnected;
        cs.disconnected_since = now;
        cs.last_error = "heartbeat timeout";
        node.info.compute_node_info.available_capacity = {};
        node.info.compute_node_info.queue_capacity = {};
        lost.push_back(id);
        ++version_;
      }
    }
    listener = listener_;
  }
  for (const auto& id : lost) {
    spdlog::warn(
        "compute node {} lost: no heartbeat for {}s", id,
        std::chrono::duration_cast<std::chrono::seconds>(config_.disconnect_timeout).count());
    if (listener.on_left) listener.on_left(id, "node has disappeared");
  }
}

std::vector<models::NodeState> NodeManager::list() const {
  std::lock_guard lock(mu_);
  std::vector<models::NodeState> out;
  out.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) out.push_back(node);
  return out;
}

std::shared_ptr<const std::vector<models::NodeState>> NodeManager::snapshot() const {
  std::lock_guard lock(mu_);
  if (!snapshot_ || snapshot_version_ != version_) {
    auto fresh = std::make_shared<std::vector<models::NodeState>>();
    fresh->reserve(nodes_.size());
    for (const auto& [id, node] : nodes_) fresh->push_back(node);
    snapshot_ = std::move(fresh);
    snapshot_version_ = version_;
  }
  return snapshot_;
}

std::vector<models::NodeState> NodeManager::listPage(
    const std::function<bool(const models::NodeState&)>& keep,
    const std::function<bool(const models::NodeState&, const models::NodeState&)>& less,
    size_t offset, size_t limit, bool* has_more) const {
  std::lock_guard lock(mu_);
  std::vector<const models::NodeState*> matches;
  matches.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) {
    if (keep(node)) matches.push_back(&node);
  }
  size_t begin = std::min(offset, matches.size());
  size_t end = limit == 0 ? matches.size() : std::min(matches.size(), begin + limit);
  auto by = [&](const models::NodeState* a, const models::NodeState* b) { return less(*a, *b); };
  // Only the page needs to be in order.
  std::partial_sort(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(end),
                    matches.end(), by);
  std::vector<models::NodeState> out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) out.push_back(*matches[i]);
  if (has_more != nullptr) *has_more = end < matches.size();
  return out;
}

std::vector<models::NodeState> NodeManager::schedulableNodes() const {
  std::lock_guard lock(mu_);
  std::vector<models::NodeState> out;
  for (const auto& [id, node] : nodes_) {
    if (node.info.node_type == models::kNodeTypeCompute && node.isConnected() &&
        node.membership == models::kMembershipApproved) {
      out.push_back(node);
    }
  }
  return out;
}

Time NodeManager::lastHandshake(const std::string& node_id) const {
  std::lock_guard lock(mu_);
  auto it = handshaken_.find(node_id);
  return it == handshaken_.end() ? Time{} : it->second;
}

bool NodeManager::isConnected(const std::string& node_id) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node_id);
  return it != nodes_.end() && it->second.isConnected();
}

Result<std::string> NodeManager::resolveLocked(const std::string& id_or_prefix) const {
  if (id_or_prefix.empty()) return notFound("node not found: empty node ID");
  if (nodes_.count(id_or_prefix)) return id_or_prefix;
  std::vector<std::string> matches;
  for (auto it = nodes_.lower_bound(id_or_prefix);
       it != nodes_.end() && startsWith(it->first, id_or_prefix); ++it) {
    matches.push_back(it->first);
  }
  if (matches.empty()) {
    return notFound("node not found: " + id_or_prefix).withComponent(kComponent);
  }
  if (matches.size() > 1) {
    return failedPrecondition("multiple nodes found for prefix \"" + id_or_prefix +
                              "\": " + join(matches, ", "))
        .withErrorCode("MultipleNodesFound")
        .withHint("use a longer prefix or the full node ID")
        .withComponent(kComponent);
  }
  return matches.front();
}

Result<models::NodeState> NodeManager::get(const std::string& id_or_prefix) const {
  std::lock_guard lock(mu_);
  COD_ASSIGN_OR_RETURN(std::string id, resolveLocked(id_or_prefix));
  return nodes_.at(id);
}

Status NodeManager::approve(const std::string& id_or_prefix) {
  models::NodeState snapshot;
  Listener listener;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    COD_ASSIGN_OR_RETURN(std::string id, resolveLocked(id_or_prefix));
    auto& node = nodes_.at(id);
    if (node.membership == models::kMembershipApproved) {
      return failedPrecondition("node " + id + " is already approved")
          .withErrorCode("ConflictNodeState")
          .withComponent(kComponent);
    }
    node.membership = models::kMembershipApproved;
    snapshot = node;
    listener = listener_;
  }
  persist(snapshot);
  if (snapshot.isConnected() && listener.on_joined) listener.on_joined(snapshot.info.node_id);
  return Status::ok();
}

Status NodeManager::reject(const std::string& id_or_prefix, const std::string& message) {
  models::NodeState snapshot;
  Listener listener;
  bool was_connected;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    COD_ASSIGN_OR_RETURN(std::string id, resolveLocked(id_or_prefix));
    if (id == self_id_) {
      return failedPrecondition("the orchestrator cannot reject itself").withComponent(kComponent);
    }
    auto& node = nodes_.at(id);
    if (node.membership == models::kMembershipRejected) {
      return failedPrecondition("node " + id + " is already rejected")
          .withErrorCode("ConflictNodeState")
          .withComponent(kComponent);
    }
    was_connected = node.isConnected();
    node.membership = models::kMembershipRejected;
    node.connection_state.status = models::kConnectionDisconnected;
    node.connection_state.disconnected_since = clock_->now();
    node.connection_state.last_error = message.empty() ? "node rejected" : message;
    snapshot = node;
    listener = listener_;
  }
  persist(snapshot);
  if (was_connected && listener.on_left) {
    listener.on_left(snapshot.info.node_id, "node has been rejected");
  }
  return Status::ok();
}

Status NodeManager::remove(const std::string& id_or_prefix) {
  Result<std::string> resolved = notFound("");
  {
    std::lock_guard lock(mu_);
    resolved = resolveLocked(id_or_prefix);
  }
  // A node that was admitted but never registered has credentials to withdraw all the same.
  if (!resolved.isOk() && resolved.status().code() == StatusCode::kNotFound && config_.on_removed &&
      config_.on_removed(id_or_prefix)) {
    return Status::ok();
  }
  std::string id;
  Listener listener;
  bool was_connected;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    COD_ASSIGN_OR_RETURN(id, resolveLocked(id_or_prefix));
    if (id == self_id_) {
      return failedPrecondition("the orchestrator cannot delete itself").withComponent(kComponent);
    }
    was_connected = nodes_.at(id).isConnected();
    nodes_.erase(id);
    handshaken_.erase(id);
    listener = listener_;
  }
  Status st = store_->update([&](store::Txn& tx) { return tx.deleteNode(id); });
  if (!st.isOk() && st.code() != StatusCode::kNotFound) return st;
  if (was_connected && listener.on_left) listener.on_left(id, "node has been deleted");
  if (config_.on_removed) config_.on_removed(id);
  return Status::ok();
}

Status NodeManager::drain(const std::string& id_or_prefix, const std::string& message) {
  models::NodeState snapshot;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    COD_ASSIGN_OR_RETURN(std::string id, resolveLocked(id_or_prefix));
    if (id == self_id_) {
      return failedPrecondition("the orchestrator runs no executions: only compute nodes drain")
          .withComponent(kComponent);
    }
    auto& node = nodes_.at(id);
    if (node.isDraining()) {
      return failedPrecondition("node " + id + " is already draining")
          .withErrorCode("ConflictNodeState")
          .withHint("undrain it with 'cod node undrain " + id + "'")
          .withComponent(kComponent);
    }
    node.drain = {true, message, clock_->now()};
    snapshot = node;
  }
  persist(snapshot);
  spdlog::info("compute node {} draining{}", snapshot.info.node_id,
               message.empty() ? "" : ": " + message);
  return Status::ok();
}

Status NodeManager::undrain(const std::string& id_or_prefix) {
  models::NodeState snapshot;
  Listener listener;
  {
    std::lock_guard lock(mu_);
    ++version_;  // what the scheduler sees may change
    COD_ASSIGN_OR_RETURN(std::string id, resolveLocked(id_or_prefix));
    auto& node = nodes_.at(id);
    if (!node.isDraining()) {
      return failedPrecondition("node " + id + " is not draining")
          .withErrorCode("ConflictNodeState")
          .withComponent(kComponent);
    }
    node.drain = {};
    snapshot = node;
    listener = listener_;
  }
  persist(snapshot);
  spdlog::info("compute node {} undrained", snapshot.info.node_id);
  // Like an approval: queued and daemon work may now go to the node.
  if (snapshot.isConnected() && snapshot.membership == models::kMembershipApproved &&
      listener.on_joined) {
    listener.on_joined(snapshot.info.node_id);
  }
  return Status::ok();
}

}  // namespace cod::orchestrator
