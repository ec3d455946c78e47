#include "executor/wasm/wasm_executor.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kWasmPage = 64 * 1024;

bool inside(std::string_view path, std::string_view dir) {
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// The host file behind a guest path, when a mount provides it.
std::string hostFileOf(const std::vector<SandboxMount>& mounts, const std::string& guest) {
  for (const SandboxMount& m : mounts) {
    if (inside(guest, m.target)) return m.host_path + guest.substr(m.target.size());
  }
  return "";
}

}  // namespace

Result<std::vector<SandboxMount>> guestMounts(const ExecutionRequest& request, uid_t uid,
                                              gid_t gid) {
  std::vector<SandboxMount> mounts;
  auto add = [&mounts](SandboxMount m, const std::string& field) -> Status {
    if (std::string problem = containerPathProblem(m.target); !problem.empty()) {
      return invalidArgument(field + " " + cod::quoted(m.target) + " " + problem);
    }
    if (isReservedContainerPath(m.target)) {
      return invalidArgument(field + " " + cod::quoted(m.target) +
                             " is the root or a kernel file system");
    }
    for (const SandboxMount& other : mounts) {
      if (inside(m.target, other.target) || inside(other.target, m.target)) {
        return invalidArgument(field + " " + cod::quoted(m.target) + " and " +
                               cod::quoted(other.target) +
                               " lie inside one another; a wasm task needs a folder for each");
      }
    }
    mounts.push_back(std::move(m));
    return Status::ok();
  };
  for (const models::Mount& in : request.inputs) {
    COD_RETURN_IF_ERROR(
        add({in.host_path, models::guestPath(in.target), in.read_only}, "input Target"));
  }
  for (const models::ResultPath& r : request.job->task().result_paths) {
    COD_ASSIGN_OR_RETURN(std::string dir, childPath(request.results_dir, r.name));
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return internalError("cannot create " + dir + ": " + ec.message());
    if (chown(dir.c_str(), uid, gid) != 0) {
      return internalError("cannot hand " + dir + " to the sandbox's user: " + strerror(errno));
    }
    COD_RETURN_IF_ERROR(add({dir, models::guestPath(r.path), false}, "ResultPath"));
  }
  return mounts;
}

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
  if (request.resources.memory > 0) {
    program.max_memory_pages = std::min<uint64_t>(
        program.max_memory_pages, std::max<uint64_t>(1, request.resources.memory / kWasmPage));
  }
  program.stdout_path = (fs::path(request.results_dir) / "stdout").string();
  program.stderr_path = (fs::path(request.results_dir) / "stderr").string();
  program.timeout = request.timeout;

  auto exited = engine_->run(program, cancel);
  if (!exited.isOk()) return Status(exited.status()).withComponent("Wasm");
  if (exited->cancelled) return cancelled("execution cancelled");
  if (exited->timed_out) {
    return deadlineExceeded("execution timed out after " + formatDuration(request.timeout))
        .withHint("Increase the task timeout (--timeout)")
        .withComponent("Wasm");
  }
  return resultFromOutputFiles(request.results_dir, exited->exit_code);
}

}  // namespace cod::executor
