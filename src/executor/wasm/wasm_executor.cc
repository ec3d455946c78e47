#include "executor/wasm/wasm_executor.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "executor/sandbox/guest.h"

namespace cod::executor {

namespace fs = std::filesystem;

WasmExecutor::WasmExecutor(WasmExecutorConfig config, std::unique_ptr<WasmEngine> engine)
    : config_(std::move(config)), engine_(std::move(engine)) {}

Status WasmExecutor::validate(const models::Task& task) {
  return models::parseWasmParams(task).status();
}

std::string WasmExecutor::markerPrefix() const { return "cod-wasm:" + config_.node_id + "/"; }

Result<int> WasmExecutor::recover() { return engine_->recover(markerPrefix()); }

Result<models::RunCommandResult> WasmExecutor::run(const ExecutionRequest& request,
                                                   CancelToken& cancel) {
  const models::Task& task = request.job->task();
  COD_ASSIGN_OR_RETURN(models::WasmParams params, models::parseWasmParams(task));
  WasmProgram program;
  program.marker = markerPrefix() + request.execution_id;
  program.params = std::move(params);
  COD_ASSIGN_OR_RETURN(program.mounts, guestMounts(request, config_.uid, config_.gid));
  // The entry module must be there before a sandbox is built for it.
  std::vector<std::string> modules = {program.params.entry_module};
  modules.insert(modules.end(), program.params.import_modules.begin(),
                 program.params.import_modules.end());
  for (const std::string& module : modules) {
    std::string host = hostFileOf(program.mounts, module);
    std::error_code ec;
    if (host.empty() || !fs::exists(fs::symlink_status(host, ec))) {
      return failedPrecondition("the module " + cod::quoted(module) +
                                " is not in the task's inputs; check the input's Target and "
                                "the path in EntryModule/ImportModules");
    }
  }
  for (const auto& [key, value] : task.env) program.env[key] = value;
  // The execution's own variables win over the task's.
  for (const auto& [key, value] : request.env) program.env[key] = value;
  program.max_memory_pages = config_.max_memory_pages;
  // --wasm-max-mem-pages bounds each module's memory, and every import module may have one: the
  // task's memory is shared out between them.
  program.max_memory_pages =
      std::max<uint64_t>(1, memoryPages(request.resources.memory, config_.max_memory_pages) /
                                (1 + program.params.import_modules.size()));
  program.stdout_path = (fs::path(request.results_dir) / "stdout").string();
  program.stderr_path = (fs::path(request.results_dir) / "stderr").string();
  program.timeout = request.timeout;
  program.max_file_size = request.resources.disk;

  OutputFileTailer tailer(request.log, program.stdout_path, program.stderr_path);
  auto exited = engine_->run(program, cancel);
  tailer.stop();
  if (!exited.isOk()) return Status(exited.status()).withComponent("Wasm");
  if (exited->cancelled) return cancelled("execution cancelled");
  if (exited->timed_out) {
    return deadlineExceeded("execution timed out after " + formatDuration(request.timeout))
        .withHint("Increase the task timeout (--timeout)")
        .withComponent("Wasm");
  }
  if (Status sizes = checkFileSizes(exited->signal, request.results_dir, request.resources.disk);
      !sizes.isOk()) {
    return std::move(sizes).withComponent("Wasm");
  }
  return resultFromOutputFiles(request.results_dir, exited->exit_code);
}

}  // namespace cod::executor
