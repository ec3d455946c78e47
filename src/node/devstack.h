#pragma once

// `cod devstack`: the compute nodes of a local test cluster, each a `cod serve --compute` child
// process with its own data dir (<data>/compute-<i>), joined to the orchestrator over NATS. Child
// IDs and PIDs are written to <data>/devstack.json so tests and scripts can find (and kill) them.
// A child that dies is reported, not restarted: that is what a crashed node looks like.

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "node/node.h"
#include "orchestrator/orchestrator.h"

namespace cod::node {

class Devstack {
 public:
  Devstack(DevstackOptions options, std::string data_dir, std::string nats_url, std::string token);
  ~Devstack();

  Status start();
  // True once `computes` compute nodes are connected to the orchestrator.
  bool waitForNodes(orchestrator::Orchestrator& orchestrator, Duration timeout);
  // SIGTERM to every child, SIGKILL after a grace period; reaps them.
  void stop();

 private:
  struct Child {
    std::string node_id;
    std::string dir;
    pid_t pid = -1;
  };
  Status writeManifest();
  void monitor();

  DevstackOptions options_;
  std::string data_dir_;
  std::string nats_url_;
  std::string token_;
  std::mutex mu_;
  std::vector<Child> children_;
  std::atomic<bool> stopping_{false};
  std::thread monitor_;
};

}  // namespace cod::node
