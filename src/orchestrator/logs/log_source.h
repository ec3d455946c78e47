#pragma once

// The seam between the orchestrator's log proxy and whoever shows logs (the API's WebSocket,
// reference/bacalhau-api.md §3). A LogSource resolves which execution's log to read, asks the
// compute node that holds it over the transport's request/stream path, and pushes what arrives to
// a LogSink until the stream ends.
//
// Threading: sink callbacks may come on any thread, one at a time and in order for one stream;
// they must not block (a slow reader buffers, bounded, or ends its stream — it never stalls the
// transport or the compute node).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace cod::orchestrator {

struct LogRequest {
  std::string job_id;  // a job ID, ID prefix or name, as the other job endpoints take it
  std::string ns;      // "" = the default namespace
  // Exact execution ID; "" = the non-discarded execution (not AskForBidRejected, BidRejected,
  // Cancelled or Failed) with the greatest ModifyTime among those of job_version.
  std::string execution_id;
  uint64_t job_version = 0;  // 0 = any version
  bool follow = false;       // keep streaming until the execution ends
  bool tail = false;         // start from the end of what has been written
};

enum class LogStreamType : int { kUnknown = 0, kStdout = 1, kStderr = 2 };

struct LogEntry {
  LogStreamType type = LogStreamType::kUnknown;
  std::string line;  // raw bytes as written, trailing newline included
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void onEntries(std::vector<LogEntry> entries) = 0;
  // Called once, last: OK at the normal end of the log, else why it could not be read ("no
  // executions found for job …", "unable to find execution …", the node is gone, …).
  virtual void onEnd(Status status) = 0;
};

// Ends the stream when cancelled or destroyed; after cancel() returns no sink callback is running
// or will start.
class LogSubscription {
 public:
  virtual ~LogSubscription() = default;
  virtual void cancel() = 0;
};

class LogSource {
 public:
  virtual ~LogSource() = default;
  // Never blocks on the network. Errors found before streaming starts are delivered through
  // sink->onEnd as well, so callers have one path; the returned subscription is then inert.
  virtual std::unique_ptr<LogSubscription> open(const LogRequest& req,
                                                std::shared_ptr<LogSink> sink) = 0;
};

}  // namespace cod::orchestrator
