#pragma once

// Orchestrator and compute nodes in one process (tests, `cod devstack` before NATS): a hub that
// delivers messages through queues drained by its own thread, so that, as over a network, a send
// never runs the receiver's code on the sender's stack. Control requests (handshake, heartbeat,
// reconcile) call the orchestrator's handler directly and wait for its reply, like a blocking
// request/reply.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "transport/log_stream.h"
#include "transport/transport.h"

namespace cod::transport {

class InprocHub {
 public:
  // How long a control request waits for the orchestrator's reply.
  static constexpr Duration kRequestTimeout = std::chrono::seconds(30);

  InprocHub();
  ~InprocHub();
  InprocHub(const InprocHub&) = delete;
  InprocHub& operator=(const InprocHub&) = delete;

  // The orchestrator's end; at most one.
  std::unique_ptr<OrchestratorTransport> orchestratorTransport();
  // A compute node's end.
  std::unique_ptr<ComputeTransport> computeTransport();

  // Test hooks: while a node is partitioned, messages to and from it are dropped and its control
  // requests fail with Unavailable.
  void setPartitioned(const std::string& node_id, bool partitioned);

  // Whether a compute node with this ID is attached to the hub.
  bool hasCompute(const std::string& node_id);

  // Flow control and timeouts of log streams (set before streams are opened).
  void setLogStreamLimits(const LogStreamLimits& limits);
  LogStreamLimits logStreamLimits();

  // Stops the delivery thread; pending messages are dropped.
  void shutdown();

 private:
  friend class InprocOrchestratorTransport;
  friend class InprocComputeTransport;

  void post(std::function<void()> delivery);
  void run();
  bool partitioned(const std::string& node_id);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  OrchestratorHandler* orchestrator_ = nullptr;
  std::map<std::string, ComputeHandler*> computes_;
  std::map<std::string, bool> partitioned_;
  LogStreamLimits log_limits_;
  std::thread thread_;
};

}  // namespace cod::transport
