#pragma once

// Nodes and jobs for the scheduler tests.

#include <string>
#include <vector>

#include "models/job.h"
#include "models/node.h"

namespace cod::orchestrator::testing {

inline models::NodeState computeNode(const std::string& id,
                                     std::vector<std::string> engines = {"noop"}) {
  models::NodeState n;
  n.info.node_id = id;
  n.info.node_type = models::kNodeTypeCompute;
  n.info.labels = {{"zone", id == "n-1" ? "a" : "b"}};
  n.info.compute_node_info.execution_engines = std::move(engines);
  n.info.compute_node_info.publishers = {"noop", "local"};
  models::Resources cap;
  cap.cpu = 4;
  cap.memory = 8'000'000'000;
  n.info.compute_node_info.max_capacity = cap;
  n.info.compute_node_info.available_capacity = cap;
  n.membership = models::kMembershipApproved;
  n.connection_state.status = models::kConnectionConnected;
  return n;
}

inline models::Job batchJob(int64_t count, const std::string& engine = "noop") {
  models::Job j;
  j.id = "j-1";
  j.name = "j-1";
  j.ns = "default";
  j.type = models::kJobTypeBatch;
  j.count = count;
  j.version = 1;
  j.revision = 1;
  j.state.state_type = models::JobStateType::kPending;
  models::Task t;
  t.name = "main";
  t.engine.type = engine;
  t.resources.cpu = "500m";
  t.resources.memory = "512mb";
  j.tasks.push_back(t);
  return j;
}

}  // namespace cod::orchestrator::testing
