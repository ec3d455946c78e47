#pragma once

// `cod run python [flags] [SCRIPT] [ARG...]`: a Python program as a batch job.
//   -c/--command CODE      the program (like python -c), or SCRIPT, a file in the context folder
//   --context-path DIR     sent with the job (an inline tar.gz, at most 10 MiB) and mounted at
//                          /code, the working directory; default "." when a SCRIPT or -r is given
//   -r/--requirement FILE  a requirements.txt in the context folder
//   --deterministic        (default) the python engine: CPython in WebAssembly (Pyodide) in the
//                          wasm sandbox, the same bytes on every node, the standard library only;
//                          =false: a docker job on --image that pip-installs the requirements and
//                          runs the program

#include <string>
#include <vector>

#include "cli/job_flags.h"
#include "common/status.h"
#include "models/job.h"

namespace cod::cli {

inline constexpr const char* kPythonContextTarget = "/code";
inline constexpr const char* kDefaultPythonImage = "python:3.11-slim";

struct PythonRunFlags {
  JobFlags job;
  RunFlags run;
  std::string command;       // -c/--command
  std::string context_path;  // --context-path; "" = "." when needed
  std::string requirement;   // -r/--requirement
  bool deterministic = true;
  std::string image = kDefaultPythonImage;
  std::vector<std::string> env;  // -e/--env K=V → Task.Env
  std::vector<std::string> script_and_args;
};

Result<models::Job> buildPythonJob(const PythonRunFlags& flags);

}  // namespace cod::cli
