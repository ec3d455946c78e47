#pragma once

// One execution on a compute node, step by step: stage inputs → run → publish → clean up. Each
// step is a function; what a step leaves on disk belongs to an RAII guard, so no path that
// returns early leaves a staged folder behind (the executor owns its container, and removes it
// whatever happens).
//
// Called on a run thread (never the node's control thread); several runs may go at once.

#include <string>

#include "common/cancel.h"
#include "common/status.h"
#include "compute/plugins.h"
#include "executor/executor.h"
#include "models/execution.h"

namespace cod::compute {

class RunPipeline {
 public:
  explicit RunPipeline(const Plugins* plugins) : plugins_(plugins) {}

  struct Outcome {
    Result<models::RunCommandResult> result = internalError("not run");
    models::SpecConfig published;
  };

  // Runs `request` (its job, IDs, env, resources and timeout set; results_dir the execution's
  // folder, or "" when nothing will read one). Inputs are staged under `staging_dir`, which is
  // removed before this returns.
  Outcome run(executor::ExecutionRequest request, const std::string& staging_dir,
              CancelToken& cancel) const;

 private:
  Result<std::vector<models::Mount>> stageInputs(const models::Task& task,
                                                 const storage::Partition& partition,
                                                 const std::string& staging_dir,
                                                 CancelToken& cancel) const;
  Result<models::SpecConfig> publish(const executor::ExecutionRequest& request,
                                     const models::RunCommandResult& result,
                                     CancelToken& cancel) const;

  const Plugins* plugins_;
};

}  // namespace cod::compute
