#pragma once

// The orchestrator's LogSource (log_source.h): resolves the job and the execution the request
// names, finds the compute node that holds it, and streams the node's log to the sink over the
// transport's request/stream path (transport.h).
//
// Choice of execution (reference/bacalhau-api.md §3): the exact ID when one is given, else the
// non-discarded execution with the greatest ModifyTime among those of the job version (0 = any).
// Errors, delivered through sink->onEnd: the job's own lookup error (NotFound, or ambiguous
// prefix), "no executions found for job <id>", "unable to find execution <id> in job <id>",
// Unavailable when the node is not connected or goes away mid-stream.
//
// Every sink call comes on a stream thread, never on the caller's: open() only reads the store.

#include <memory>

#include "orchestrator/logs/log_source.h"
#include "orchestrator/nodes/node_manager.h"
#include "store/job_store.h"
#include "transport/transport.h"

namespace cod::orchestrator {

class LogProxy final : public LogSource {
 public:
  LogProxy(store::JobStore* store, transport::OrchestratorTransport* transport,
           const NodeManager* nodes);

  std::unique_ptr<LogSubscription> open(const LogRequest& req,
                                        std::shared_ptr<LogSink> sink) override;

 private:
  // The execution to read, or why there is none.
  Result<models::Execution> pick(const LogRequest& req);

  store::JobStore* store_;
  transport::OrchestratorTransport* transport_;
  const NodeManager* nodes_;
};

}  // namespace cod::orchestrator
