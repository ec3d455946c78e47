#pragma once

// The noop engine: completes at once, without a sandbox. For scheduling tests and benchmarks.
// Engine Params (all optional, keys case-insensitive):
//   Delay      duration string ("250ms", "2s") or milliseconds as a number: how long it "runs"
//   ExitCode   the exit code to report (default 0)
//   Stdout     text written to stdout;  Stderr: text written to stderr
//   Error      fail the execution with this message instead of completing
//   Retryable  with Error: whether the failure may be retried elsewhere (default true)

#include "executor/executor.h"

namespace cod::executor {

class NoopExecutor final : public Executor {
 public:
  std::string name() const override { return "noop"; }
  bool isInstalled() override { return true; }
  Status validate(const models::Task& task) override;
  Result<models::RunCommandResult> run(const ExecutionRequest& request,
                                       CancelToken& cancel) override;
  // Its output is in memory: with no publisher, the node spares the file system.
  bool needsResultsDir() const override { return false; }
};

}  // namespace cod::executor
