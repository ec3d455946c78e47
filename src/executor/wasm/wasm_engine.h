#pragma once

// The seam between the wasm executor (which reads the task, stages folders, maps results) and what
// runs the module. Today that is NodeWasmEngine: Node's node:wasi in a child process inside the
// sandbox (executor/sandbox). An embedded V8 with a WASI layer of our own can replace it behind
// this interface (../shared/reference/wasm-runtime.md weighs the two).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "executor/sandbox/node_runtime.h"
#include "executor/sandbox/sandbox.h"
#include "models/wasm_params.h"

namespace cod::executor {

struct WasmProgram {
  std::string marker;         // names the run (node and execution IDs), for recover()
  models::WasmParams params;  // module paths are guest paths
  std::map<std::string, std::string> env;
  // The guest's file system: each target is a guest path ("/inputs", "/main.wasm").
  std::vector<SandboxMount> mounts;
  uint64_t max_memory_pages = 0;  // 64 KiB pages of linear memory; 0 = the engine's default
  std::string stdout_path;
  std::string stderr_path;
  Duration timeout{0};
  uint64_t max_file_size = 0;  // bytes, 0 = no limit (SandboxSpec::max_file_size)
};

class WasmEngine {
 public:
  virtual ~WasmEngine() = default;
  virtual bool available() = 0;
  // What runs modules ("node v20.20.2 (node:wasi) in a sandbox"), or why nothing can.
  virtual std::string describe() = 0;
  // Runs the program to its end. The exit code is the WASI exit code; a trap is exit code 134
  // with "wasm trap: …" on stderr; a module that cannot be run (missing export or import, not a
  // wasm module) is a FailedPrecondition naming the problem.
  virtual Result<SandboxExit> run(const WasmProgram& program, CancelToken& cancel) = 0;
  // Kills runs an earlier life of this node left behind (their markers start with `prefix`).
  virtual Result<int> recover(const std::string& prefix) = 0;
};

// Exit codes of wasm_runner.mjs that are not the guest's.
inline constexpr int kWasmRunnerError = 125;
inline constexpr int kWasmTrap = 134;

class NodeWasmEngine final : public WasmEngine {
 public:
  // `runtime.work_dir` holds the runner script (written there from the binary) and the sandbox's
  // mount point.
  explicit NodeWasmEngine(NodeRuntimeConfig runtime);

  bool available() override;
  std::string describe() override;
  Result<SandboxExit> run(const WasmProgram& program, CancelToken& cancel) override;
  Result<int> recover(const std::string& prefix) override;

 private:
  NodeRuntime runtime_;
  std::string runner_path_;
  std::once_flag runner_written_;
  Status runner_status_;
};

}  // namespace cod::executor
