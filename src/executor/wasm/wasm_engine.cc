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

// Writes `text` to `path` unless it already holds exactly that (another node process of the same
// version may be using it), through a temporary file and a rename.
Status writeIfChanged(const fs::path& path, std::string_view text) {
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream current;
    current << in.rdbuf();
    if (in && current.str() == text) return Status::ok();
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return internalError("cannot write " + tmp.string());
  fs::permissions(tmp,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read,
                  ec);
  fs::rename(tmp, path, ec);
  if (ec) return internalError("cannot write " + path.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace

NodeWasmEngine::NodeWasmEngine(NodeRuntimeConfig runtime)
    : runtime_(std::move(runtime)),
      runner_path_((fs::path(runtime_.config().work_dir) / "wasm_runner.mjs").string()) {}

bool NodeWasmEngine::available() {
  if (!runtime_.available()) return false;
  std::call_once(runner_written_,
                 [this] { runner_status_ = writeIfChanged(runner_path_, kWasmRunnerSource); });
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
  std::vector<std::string> flags;
  if (program.max_memory_pages > 0) {
    flags.push_back("--wasm-max-mem-pages=" + std::to_string(program.max_memory_pages));
  }
  std::vector<std::string> args = {"--sandbox", program.marker,
                                   "--root",    kGuestRoot,
                                   "--module",  program.params.entry_module,
                                   "--entry",   program.params.entrypoint};
  for (const std::string& path : program.params.import_modules) {
    args.insert(args.end(), {"--import", path});
  }
  for (const auto& [key, value] : program.env)
    args.insert(args.end(), {"--env", key + "=" + value});
  args.push_back("--");
  args.insert(args.end(), program.params.parameters.begin(), program.params.parameters.end());

  SandboxSpec spec = runtime_.spec(flags, kRunnerInSandbox, args, std::move(mounts));
  spec.stdout_path = program.stdout_path;
  spec.stderr_path = program.stderr_path;
  spec.timeout = program.timeout;
  COD_ASSIGN_OR_RETURN(SandboxExit exit, runSandboxed(spec, cancel));
  if (exit.exit_code == kWasmRunnerError && !exit.timed_out && !exit.cancelled) {
    // The runner's own message (a missing export, not a module): the last line of stderr.
    std::ifstream in(program.stderr_path, std::ios::binary);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
      if (line.starts_with("cod wasm runner: ")) last = line.substr(17);
    }
    if (!last.empty()) return failedPrecondition(last);
  }
  return exit;
}

Result<int> NodeWasmEngine::recover(const std::string& prefix) {
  return killSandboxesMarked(prefix);
}

}  // namespace cod::executor
