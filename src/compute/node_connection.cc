// The compute node's side of the link to the orchestrator: handshake until accepted, then
// heartbeats, node-info updates and periodic reconciliation. Runs on its own thread.

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "compute/compute_node.h"

namespace cod::compute {

bool ComputeNode::handshakeOnce() {
  COD_DCHECK_ON_THREAD(connection_thread_);
  transport::HandshakeRequest req;
  uint64_t cache_generation =
      deps_.input_cache != nullptr ? deps_.input_cache->generation() : ~uint64_t{0};
  req.node_info = nodeInfo();
  req.start_time = start_time_;
  auto resp = deps_.transport->handshake(req);
  if (!resp.isOk()) {
    spdlog::debug("handshake with the orchestrator failed: {}", resp.status().message());
    return false;
  }
  if (!resp->accepted) {
    spdlog::warn("the orchestrator refused this node: {}", resp->reason);
    return false;
  }
  if (resp->heartbeat_interval.count() > 0 &&
      resp->heartbeat_interval < config_.heartbeat_interval) {
    // The orchestrator would declare us lost before our next heartbeat: keep up with it.
    heartbeat_interval_ =
        std::max<Duration>(resp->heartbeat_interval, std::chrono::milliseconds(100));
  } else {
    heartbeat_interval_ = config_.heartbeat_interval;
  }
  job_retention_ = resp->job_retention;
  sent_cache_generation_ = cache_generation;
  spdlog::info("compute node {} registered with the orchestrator", config_.node_id);
  {
    std::lock_guard lock(conn_mu_);
    registered_ = true;
  }
  conn_cv_.notify_all();
  return true;
}

bool ComputeNode::waitUntilRegistered(Duration timeout) {
  std::unique_lock lock(conn_mu_);
  return conn_cv_.wait_for(lock, timeout, [this] { return registered_ || stopping_; }) &&
         registered_;
}

void ComputeNode::clockAdvanced() {
  {
    std::lock_guard lock(conn_mu_);
    clock_advanced_ = true;
  }
  conn_cv_.notify_all();
}

void ComputeNode::heartbeatOnce() {
  COD_DCHECK_ON_THREAD(connection_thread_);
  transport::HeartbeatRequest req;
  req.node_id = config_.node_id;
  auto info = nodeInfo().compute_node_info;
  req.available_capacity = info.available_capacity;
  req.queue_used_capacity = info.queue_capacity;
  req.running_executions = info.running_executions;
  req.enqueued_executions = info.enqueued_executions;
  auto resp = deps_.transport->heartbeat(req);
  if (!resp.isOk()) {
    spdlog::debug("heartbeat failed: {}", resp.status().message());
    return;
  }
  // What the input cache holds changed: tell the orchestrator, whose locality ranker reads it.
  // Heartbeats stay small; a full NodeInfo goes only when there is news.
  if (deps_.input_cache != nullptr && resp->known) {
    uint64_t generation = deps_.input_cache->generation();
    if (generation != sent_cache_generation_) {
      auto updated = deps_.transport->updateNodeInfo(transport::UpdateNodeInfoRequest{nodeInfo()});
      if (updated.isOk() && updated->accepted) sent_cache_generation_ = generation;
    }
  }
  if (!resp->known) {
    spdlog::info("the orchestrator does not know this node (it restarted?): registering again");
    registered_ = false;
  }
}

void ComputeNode::reconcileOnce() {
  COD_DCHECK_ON_THREAD(connection_thread_);
  transport::ReconcileRequest req;
  req.node_id = config_.node_id;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : executions_) req.executions.push_back({id, e.state()});
  }
  // Results kept here since before the orchestrator's retention: it says which jobs are gone.
  Time now = deps_.clock->now();
  Duration retention = job_retention_.load();
  // The results folder is read at most every tenth of the retention (between the reconcile
  // interval and an hour): it shares this thread with the heartbeats.
  Duration scan_every =
      std::clamp<Duration>(retention / 10, config_.reconcile_interval, std::chrono::hours(1));
  if (retention > Duration::zero() && now - last_kept_scan_ >= scan_every) {
    last_kept_scan_ = now;
    constexpr size_t kMostKeptPerReconcile = 1000;
    Time before = now - retention;
    std::erase_if(kept_known_, [&](const auto& entry) { return entry.second < before; });
    auto asked_lately = [this](const std::string& id) { return kept_known_.contains(id); };
    for (publisher::Publisher* p : deps_.plugins.publishers) {
      size_t room = kMostKeptPerReconcile - req.kept_results.size();
      if (room == 0) break;
      for (std::string& id : p->keptResultsBefore(before, room, asked_lately)) {
        req.kept_results.push_back(std::move(id));
      }
    }
  }
  auto resp = deps_.transport->reconcile(req);
  if (!resp.isOk()) {
    spdlog::debug("reconcile failed: {}", resp.status().message());
    return;
  }
  size_t removed = 0;
  std::set<std::string> forgotten(resp->forgotten_results.begin(), resp->forgotten_results.end());
  for (const std::string& id : req.kept_results) {
    // Only what this node offered: the answer names no other file.
    if (!forgotten.contains(id)) {
      kept_known_[id] = now;  // its job lives on: ask again after a retention period
      continue;
    }
    for (publisher::Publisher* p : deps_.plugins.publishers) p->removeKeptResults(id);
    ++removed;
  }
  if (removed > 0) {
    spdlog::info("removed the results of {} executions whose jobs the orchestrator removed",
                 removed);
  }
  post(ReconcileAnswer{std::move(resp).value()});
}

void ComputeNode::connectionLoop() {
  Duration backoff = std::chrono::milliseconds(100);
  Time last_heartbeat{};
  Time last_reconcile{};
  while (!stopping_) {
    if (!registered_) {
      // Read before the handshake: the orchestrator counts its heartbeat timeout from then, and
      // a caller of waitUntilRegistered() may advance the clock before we get past this.
      Time handshake_time = deps_.clock->now();
      if (handshakeOnce()) {
        backoff = std::chrono::milliseconds(100);
        reconcileOnce();
        last_heartbeat = last_reconcile = handshake_time;
      } else {
        std::unique_lock lock(conn_mu_);
        conn_cv_.wait_for(lock, backoff, [this] { return stopping_.load(); });
        backoff = std::min<Duration>(backoff * 2, std::chrono::seconds(5));
        continue;
      }
    }
    Time now = deps_.clock->now();
    if (now - last_heartbeat >= heartbeat_interval_.load()) {
      heartbeatOnce();
      last_heartbeat = now;
    }
    bool reconcile_now;
    {
      std::lock_guard lock(conn_mu_);
      reconcile_now = std::exchange(reconcile_now_, false);
    }
    if (registered_ && (reconcile_now || now - last_reconcile >= config_.reconcile_interval)) {
      reconcileOnce();
      last_reconcile = now;
    }
    std::unique_lock lock(conn_mu_);
    auto wait = std::min(heartbeat_interval_.load(), config_.reconcile_interval);
    conn_cv_.wait_for(lock, std::min<Duration>(wait, std::chrono::seconds(1)),
                      [this] { return stopping_ || reconcile_now_ || clock_advanced_; });
    clock_advanced_ = false;
  }
}

}  // namespace cod::compute
