#pragma once

// A Publisher uploads an execution's result folder somewhere a client can download it from and
// says where (Execution.PublishedResult). Implementations: `local/` (a tar.gz the compute node
// serves over HTTP), `s3/`, `s3managed/`, `ipfs/`, `noop/`.
//
// Contract: publish() is called on a run thread, after the task ended, with the complete result
// folder (stdout, stderr, exitCode, one folder per ResultPath); it may block, and stops with
// Cancelled soon after `cancel` fires (the execution was stopped); it must not modify the folder.
// Thread-safe. Every publisher passes publisher_conformance.h.

#include <functional>
#include <string>

#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"
#include "models/job.h"

namespace cod::publisher {

class Publisher {
 public:
  virtual ~Publisher() = default;
  // "local", "noop", … (compared case-insensitively with Task.Publisher.Type).
  virtual std::string name() const = 0;
  virtual bool isInstalled() = 0;
  // Bid-time check of the publisher's params.
  virtual Status validate(const models::SpecConfig& spec) = 0;
  virtual Result<models::SpecConfig> publish(const std::string& execution_id,
                                             const models::Job& job, const std::string& results_dir,
                                             CancelToken& cancel) = 0;

  // Results a publisher keeps on the compute node itself (the local publisher's archives), for job
  // retention: up to `limit` executions whose results were written before `before` (wall-clock
  // time), leaving out those `skip` names, and the removal of one execution's. Publishers that
  // upload elsewhere keep nothing.
  virtual std::vector<std::string> keptResultsBefore(
      Time /*before*/, size_t /*limit*/, const std::function<bool(const std::string&)>& /*skip*/) {
    return {};
  }
  virtual void removeKeptResults(const std::string& /*execution_id*/) {}
};

}  // namespace cod::publisher
