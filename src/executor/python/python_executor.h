#pragma once

// Runs python tasks deterministically: CPython compiled to WebAssembly (Pyodide, installed from npm
// by scripts/install-pyodide.sh) run by Node in the same sandbox as the wasm engine, through
// pyodide_runner.mjs. The same program and inputs give the same bytes on every node: entropy
// comes from a seeded generator, the clock is fixed at 2000-01-01T00:00:00Z and moves only when
// the program sleeps, hashing is seeded, and there is no network. Only the standard library is
// there; a requirement that is not bundled fails the execution saying so.
//
// Params: see models::PythonParams. The guest's file system is as for wasm (inputs at their
// Targets, read-only; ResultPaths read-write); Task.Env and the execution's variables are the
// environment; Resources.Memory bounds the interpreter's linear memory.

#include <memory>
#include <mutex>
#include <string>

#include "executor/executor.h"
#include "executor/sandbox/guest.h"
#include "executor/sandbox/node_runtime.h"

namespace cod::executor {

struct PythonExecutorConfig {
  std::string node_id;
  // The pyodide npm package (…/node_modules/pyodide); the engine is offered only when it is there.
  std::string pyodide_dir = "/usr/local/lib/cod/pyodide/node_modules/pyodide";
  uint64_t max_memory_pages = kMaxWasmPages;
  NodeRuntimeConfig runtime;  // work_dir: the engine's folder on the node
};

class PythonExecutor final : public Executor {
 public:
  explicit PythonExecutor(PythonExecutorConfig config);

  std::string name() const override { return "python"; }
  bool isInstalled() override;
  Status validate(const models::Task& task) override;
  Result<models::RunCommandResult> run(const ExecutionRequest& request,
                                       CancelToken& cancel) override;
  Result<int> recover() override;

  // Why the engine is not offered here ("" when it is).
  std::string unavailableReason();

 private:
  std::string markerPrefix() const { return "cod-python:" + config_.node_id + "/"; }

  PythonExecutorConfig config_;
  NodeRuntime runtime_;
  std::string runner_path_;
  std::once_flag checked_;
  std::string unavailable_;  // "" when the engine is offered
};

}  // namespace cod::executor
