#pragma once

// The compute node's log server: answers the orchestrator's log requests (ExecutionID, Tail,
// Follow) from the executions' log files (executor/execution_log.h) under the node's logs folder.
//
// * From the start of the log, or with Tail from what is written next; without Follow it sends
//   what is written so far and ends; with Follow it keeps sending until the execution's log ends
//   (the run is over), then ends with OK.
// * An execution the node does not know, or one whose log is gone, ends the stream with NotFound.
//   A following stream first waits `unknown_grace` for an execution it does not know: the
//   orchestrator gives an execution to a node and may be asked for its log before the node has
//   heard of it.
// * Each stream reads on a thread of its own, at most `max_streams` at once (more are refused with
//   ResourceExhausted), never on the node's control thread. The executor writes a file, so a slow
//   or dead reader holds up only its own stream: the transport ends that after its
//   acknowledgement timeout.
// * Logs stay after their execution ends (its result folder does not: it goes when the run is
//   over), for `retention` after their last write; a janitor removes older ones, never the log of
//   an execution that is pending or running. It also keeps the folder under `max_total_bytes`,
//   removing the oldest logs of finished executions first.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "transport/transport.h"

namespace cod::compute {

enum class ExecutionPhase { kUnknown, kPending, kRunning, kEnded };

struct LogServerConfig {
  int max_streams = 32;
  // How often a following stream looks for more (and sends a keepalive when it found nothing).
  Duration poll_interval = std::chrono::milliseconds(100);
  // How long a following stream waits for an execution this node has not heard of yet (counted in
  // poll intervals).
  Duration unknown_grace = std::chrono::seconds(10);
  // Payload bytes read from the log per write to the stream.
  size_t read_bytes = size_t{64} * 1024;
  Duration retention = std::chrono::hours(1);
  // The logs folder's size the janitor keeps to (0 = no cap): past it, it removes the logs of
  // finished executions, oldest first, before their retention is up.
  uint64_t max_total_bytes = 0;
};

class LogServer {
 public:
  // `phase(id)` says where an execution is on this node; called from stream threads.
  LogServer(std::string node_id, std::string logs_dir,
            std::function<ExecutionPhase(const std::string&)> phase, LogServerConfig config = {});
  ~LogServer();
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  // Starts the janitor (removes expired logs at once, then every few minutes).
  void start();
  // Quick: starts the stream's thread, or ends the stream at once.
  void serve(const transport::LogStreamRequest& request,
             std::unique_ptr<transport::LogStreamWriter> writer);
  // Ends every stream (Unavailable) and waits for their threads.
  void stop();

  const std::string& logsDir() const { return logs_dir_; }
  int activeStreams();
  // Removes the logs older than the retention that belong to no pending or running execution,
  // then, while the folder is over max_total_bytes, the oldest of the others that do not; returns
  // how many.
  int sweep();

 private:
  void stream(const transport::LogStreamRequest& request, transport::LogStreamWriter& writer);
  // Waits one poll interval; false when the server is stopping.
  bool pause();
  void janitorLoop();

  const std::string node_id_;
  const std::string logs_dir_;
  const std::function<ExecutionPhase(const std::string&)> phase_;
  const LogServerConfig config_;

  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  bool stopping_ = false;
  std::thread janitor_;
};

}  // namespace cod::compute
