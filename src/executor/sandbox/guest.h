#pragma once

// What the engines that run a guest in the sandbox (wasm, python) share: the guest's file system
// made from an ExecutionRequest, and its memory limit in WebAssembly pages.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "executor/executor.h"
#include "executor/sandbox/sandbox.h"

namespace cod::executor {

inline constexpr uint64_t kWasmPageSize = uint64_t{64} * 1024;
// wasm32's most: 65,536 pages = 4 GiB.
inline constexpr uint64_t kMaxWasmPages = 65536;

// The guest's mounts for a request: inputs at their guest paths (relative Targets from "/") and
// each ResultPath at <results_dir>/<name> (created, and handed to `uid`/`gid` so that the guest
// can write there). Refuses targets that are not clean guest paths or that lie inside one another,
// which the sandbox cannot build safely.
Result<std::vector<SandboxMount>> guestMounts(const ExecutionRequest& request, uid_t uid,
                                              gid_t gid);

// The host file behind a guest path when one of `mounts` provides it, else "".
std::string hostFileOf(const std::vector<SandboxMount>& mounts, const std::string& guest);

// The error of a guest that wrote a file (its stdout included) past its Resources.Disk.
Status fileTooLarge(uint64_t disk);
// fileTooLarge when `signal` is SIGXFSZ or the task's stdout or stderr in `results_dir` reached
// `disk` (node ignores SIGXFSZ: its writes fail with EFBIG instead); OK otherwise or when disk is
// 0.
Status checkFileSizes(int signal, const std::string& results_dir, uint64_t disk);

// Pages of linear memory for a task asking for `memory` bytes (0 = no ask: `cap`), at most `cap`.
uint64_t memoryPages(uint64_t memory, uint64_t cap);

}  // namespace cod::executor
