#pragma once

// Runs wasm tasks (reference §5.4): WASI preview1 modules, through a WasmEngine (today Node's
// node:wasi in a sandbox of new mount, pid and network namespaces; see README.md).
//
// The guest's file system is rooted at "/": each input is mounted at its Target (read-only unless
// the input says ReadWrite), each ResultPath at its Path, read-write, backed by
// <results_dir>/<name>. Relative Targets and Paths mean the same path from "/". Task.Env is the
// environment, with the execution's BACALHAU_*/COD_* variables. Resources.Memory bounds the
// module's linear memory (pages of 64 KiB, capped by the node's max_memory_pages). The timeout
// and cancellation kill the whole sandbox.

#include <memory>
#include <string>

#include "executor/executor.h"
#include "executor/wasm/wasm_engine.h"

namespace cod::executor {

struct WasmExecutorConfig {
  std::string node_id;
  // Most 64 KiB pages of linear memory a module may have (65536 = 4 GiB, wasm32's limit); a task
  // that asks for less memory gets less.
  uint64_t max_memory_pages = 65536;
  // Who the guest runs as (the engine's sandbox uses the same); output folders are given to it.
  uid_t uid = 65534;
  gid_t gid = 65534;
};

class WasmExecutor final : public Executor {
 public:
  WasmExecutor(WasmExecutorConfig config, std::unique_ptr<WasmEngine> engine);

  std::string name() const override { return models::kWasmEngine; }
  bool isInstalled() override { return engine_->available(); }
  Status validate(const models::Task& task) override;
  Result<models::RunCommandResult> run(const ExecutionRequest& request,
                                       CancelToken& cancel) override;
  // Kills runners this node's earlier life left behind.
  Result<int> recover() override;

  WasmEngine& engine() { return *engine_; }

 private:
  std::string markerPrefix() const;

  WasmExecutorConfig config_;
  std::unique_ptr<WasmEngine> engine_;
};

}  // namespace cod::executor
