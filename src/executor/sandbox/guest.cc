#include "executor/sandbox/guest.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "models/wasm_params.h"

namespace cod::executor {

namespace fs = std::filesystem;

std::string hostFileOf(const std::vector<SandboxMount>& mounts, const std::string& guest) {
  for (const SandboxMount& m : mounts) {
    if (isWithin(guest, m.target)) return m.host_path + guest.substr(m.target.size());
  }
  return "";
}

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
      if (isWithin(m.target, other.target) || isWithin(other.target, m.target)) {
        return invalidArgument(
            field + " " + cod::quoted(m.target) + " and " + cod::quoted(other.target) +
            " lie inside one another; a wasm or python task needs a folder for each");
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

Status fileTooLarge(uint64_t disk) {
  return resourceExhausted("the task wrote a file larger than its disk limit of " +
                           formatBytes(disk))
      .withHint("Request more disk for the task (e.g. --disk 10gb)");
}

Status checkFileSizes(int signal, const std::string& results_dir, uint64_t disk) {
  if (disk == 0) return Status::ok();
  if (signal == SIGXFSZ) return fileTooLarge(disk);
  for (const char* name : {"stdout", "stderr"}) {
    std::error_code ec;
    uint64_t size = fs::file_size(fs::path(results_dir) / name, ec);
    if (!ec && size >= disk) return fileTooLarge(disk);
  }
  return Status::ok();
}

uint64_t memoryPages(uint64_t memory, uint64_t cap) {
  if (memory == 0) return cap;
  return std::min<uint64_t>(cap, std::max<uint64_t>(1, memory / kWasmPageSize));
}

}  // namespace cod::executor
