#include "executor/wasm/wasm_engine.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "executor/wasm/wasm_runner_source.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;

// Where the sandbox shows the runner, and the guest's "/" inside the sandbox.
constexpr const char* kRunnerInSandbox = "/cod/wasm_runner.mjs";
constexpr const char* kGuestRoot = "/guest";

}  // namespace

NodeWasmEngine::NodeWasmEngine(NodeRuntimeConfig runtime)
    : runtime_(std::move(runtime)),
      runner_path_((fs::path(runtime_.config().work_dir) / "wasm_runner.mjs").string()) {}

bool NodeWasmEngine::available() {
  if (!runtime_.available()) return false;
  std::call_once(runner_written_,
                 [this] { runner_status_ = writeScript(runner_path_, kWasmRunnerSource); });
  return runner_status_.isOk();
}

std::string NodeWasmEngine::describe() {
  if (!runtime_.available()) return runtime_.describe();
  if (!available()) return runner_status_.message();
  return runtime_.describe() + " (node:wasi) in a sandbox";
}

Result<SandboxExit> NodeWasmEngine::run(const WasmProgram& program, CancelToken& cancel) {
  if (!available()) return unavailable("the wasm engine cannot run here: " + describe());
  std::vector<SandboxMount> mounts = {{runner_path_, kRunnerInSandbox, true}};
  for (const SandboxMount& m : program.mounts) {
    mounts.push_back({m.host_path, kGuestRoot + m.target, m.read_only});
  }
  // No eval or Function(string): the runner needs neither, and a guest must not get them.
  std::vector<std::string> flags = {"--disallow-code-generation-from-strings"};
  if (program.max_memory_pages > 0) {
    flags.push_back("--wasm-max-mem-pages=" + std::to_string(program.max_memory_pages));
  }
  std::vector<std::string> args = {"--root",   kGuestRoot,
                                   "--module", program.params.entry_module,
                                   "--entry",  program.params.entrypoint};
  for (const std::string& path : program.params.import_modules) {
    args.insert(args.end(), {"--import", path});
  }
  for (const auto& [key, value] : program.env)
    args.insert(args.end(), {"--env", key + "=" + value});
  args.emplace_back("--");
  args.insert(args.end(), program.params.parameters.begin(), program.params.parameters.end());

  COD_ASSIGN_OR_RETURN(RunnerRun run, runtime_.runner(flags, kRunnerInSandbox, program.marker, args,
                                                      std::move(mounts)));
  run.spec.stdout_path = program.stdout_path;
  run.spec.stderr_path = program.stderr_path;
  run.spec.timeout = program.timeout;
  run.spec.max_file_size = program.max_file_size;
  COD_ASSIGN_OR_RETURN(SandboxExit exit, runSandboxed(run.spec, cancel));
  if (exit.exit_code == kWasmRunnerError && !exit.timed_out && !exit.cancelled) {
    // The runner's own reason (a missing export, not a module), from its report channel: the
    // guest's stderr may say anything.
    if (std::string why = run.reported(); !why.empty()) return failedPrecondition(why);
  }
  return exit;
}

Result<int> NodeWasmEngine::recover(const std::string& prefix) {
  return killSandboxesMarked(prefix);
}

}  // namespace cod::executor
