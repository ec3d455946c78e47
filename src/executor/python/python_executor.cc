#include "executor/python/python_executor.h"

#include <filesystem>

#include "common/strings.h"
#include "common/units.h"
#include "executor/python/pyodide_runner_source.h"
#include "models/wasm_params.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRunnerInSandbox = "/cod/pyodide_runner.mjs";
constexpr const char* kPyodideInSandbox = "/cod/pyodide";
constexpr const char* kGuestRoot = "/guest";
// The runner's own exit codes: it could not run the program, or a requirement is not available.
constexpr int kRunnerFailed = 125;
constexpr int kRequirementsUnmet = 126;

}  // namespace

PythonExecutor::PythonExecutor(PythonExecutorConfig config)
    : config_(std::move(config)),
      runtime_(config_.runtime),
      runner_path_((fs::path(config_.runtime.work_dir) / "pyodide_runner.mjs").string()) {}

std::string PythonExecutor::unavailableReason() {
  // Checked once: isInstalled() is asked on every heartbeat and bid, and an installed Pyodide
  // does not go away under a running node.
  std::call_once(checked_, [this] {
    if (!runtime_.available()) {
      unavailable_ = runtime_.describe();
      return;
    }
    std::error_code ec;
    if (!fs::exists(fs::path(config_.pyodide_dir) / "pyodide.asm.wasm", ec)) {
      unavailable_ = "Pyodide is not installed at " + config_.pyodide_dir +
                     " (scripts/install-pyodide.sh installs it)";
      return;
    }
    Status written = writeScript(runner_path_, kPyodideRunnerSource);
    if (!written.isOk()) unavailable_ = written.message();
  });
  return unavailable_;
}

bool PythonExecutor::isInstalled() { return unavailableReason().empty(); }

Status PythonExecutor::validate(const models::Task& task) {
  return models::parsePythonParams(task).status();
}

Result<int> PythonExecutor::recover() { return killSandboxesMarked(markerPrefix()); }

Result<models::RunCommandResult> PythonExecutor::run(const ExecutionRequest& request,
                                                     CancelToken& cancel) {
  if (std::string why = unavailableReason(); !why.empty()) {
    return unavailable("the python engine cannot run here: " + why);
  }
  const models::Task& task = request.job->task();
  COD_ASSIGN_OR_RETURN(models::PythonParams params, models::parsePythonParams(task));
  COD_ASSIGN_OR_RETURN(std::vector<SandboxMount> guest,
                       guestMounts(request, config_.runtime.uid, config_.runtime.gid));
  for (const std::string& path : {params.program, params.requirements}) {
    std::error_code ec;
    std::string host = path.empty() ? "" : hostFileOf(guest, path);
    if (!path.empty() && (host.empty() || !fs::exists(fs::symlink_status(host, ec)))) {
      return failedPrecondition("the file " + cod::quoted(path) +
                                " is not in the task's inputs; check the input's Target and the "
                                "path in Program/Requirements");
    }
  }

  std::vector<SandboxMount> mounts = {{runner_path_, kRunnerInSandbox, true},
                                      {config_.pyodide_dir, kPyodideInSandbox, true}};
  std::vector<std::string> args = {"--pyodide", kPyodideInSandbox};
  for (const SandboxMount& m : guest) {
    mounts.push_back({m.host_path, kGuestRoot + m.target, m.read_only});
    args.insert(args.end(), {"--dir", kGuestRoot + m.target + ":" + m.target});
  }
  std::map<std::string, std::string> env(task.env.begin(), task.env.end());
  for (const auto& [key, value] : request.env) env[key] = value;
  for (const auto& [key, value] : env) args.insert(args.end(), {"--env", key + "=" + value});
  args.insert(args.end(), {"--cwd", params.working_directory});
  if (!params.requirements.empty())
    args.insert(args.end(), {"--requirements", params.requirements});
  if (params.program.empty()) {
    args.insert(args.end(), {"--command", params.command});
  } else {
    args.insert(args.end(), {"--program-file", params.program});
  }
  args.emplace_back("--");
  args.insert(args.end(), params.parameters.begin(), params.parameters.end());
  // JSPI lets asyncio and sleep work without spinning; every node runs with the same flags, since
  // they change how a program consumes (virtual) time.
  std::vector<std::string> flags = {
      "--experimental-wasm-stack-switching",
      "--wasm-max-mem-pages=" +
          std::to_string(memoryPages(request.resources.memory, config_.max_memory_pages))};

  COD_ASSIGN_OR_RETURN(
      RunnerRun run, runtime_.runner(flags, kRunnerInSandbox, markerPrefix() + request.execution_id,
                                     args, std::move(mounts)));
  run.spec.stdout_path = (fs::path(request.results_dir) / "stdout").string();
  run.spec.stderr_path = (fs::path(request.results_dir) / "stderr").string();
  run.spec.timeout = request.timeout;
  run.spec.max_file_size = request.resources.disk;
  OutputFileTailer tailer(request.log, run.spec.stdout_path, run.spec.stderr_path);
  auto exited = runSandboxed(run.spec, cancel);
  tailer.stop();
  if (!exited.isOk()) return Status(exited.status()).withComponent("Python");
  if (exited->cancelled) return cancelled("execution cancelled");
  if (exited->timed_out) {
    return deadlineExceeded("execution timed out after " + formatDuration(request.timeout))
        .withHint("Increase the task timeout (--timeout)")
        .withComponent("Python");
  }
  if (exited->exit_code == kRunnerFailed || exited->exit_code == kRequirementsUnmet) {
    // From the runner's report channel, not stderr, which the program writes too.
    if (std::string why = run.reported(); !why.empty()) {
      Status failed = failedPrecondition(why).withComponent("Python");
      if (exited->exit_code == kRequirementsUnmet) {
        failed.withHint(
            "use --deterministic=false to run the program in a Docker image that installs them");
      }
      return failed;
    }
  }
  if (Status sizes = checkFileSizes(exited->signal, request.results_dir, request.resources.disk);
      !sizes.isOk()) {
    return std::move(sizes).withComponent("Python");
  }
  return resultFromOutputFiles(request.results_dir, exited->exit_code);
}

}  // namespace cod::executor
