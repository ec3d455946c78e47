#pragma once

// `cod wasm run [flags] MODULE [ARG...]`: builds a batch job with a wasm engine and submits it
// (reference/bacalhau-api.md §5.4, §10.3). MODULE, and each -I/--import-modules value, is one of:
//   ./main.wasm[:target]  a file on this machine, sent inline (default target main.wasm for the
//                         entry module, the file's name for an import module)
//   ipfs://CID            mounted at the default target
//   http(s)://host/m.wasm downloaded into /wasm (the module is /wasm/m.wasm)
//   a path an -i input provides (its Target, or a file inside a folder input)

#include <string>
#include <vector>

#include "cli/job_flags.h"
#include "common/status.h"
#include "models/job.h"

namespace cod::cli {

struct WasmRunFlags {
  JobFlags job;
  RunFlags run;
  std::vector<std::string> import_modules;  // -I/--import-modules
  std::string entry_point = "_start";       // --entry-point
  std::vector<std::string> env;             // -e/--env K=V → Task.Env
  // MODULE followed by its arguments; a "--" right after MODULE is dropped.
  std::vector<std::string> module_and_args;
};

// The whole job, with the modules' inputs added to the task's.
Result<models::Job> buildWasmJob(const WasmRunFlags& flags);

}  // namespace cod::cli
