#pragma once

// The Params of the engines that run in a guest file system (wasm, reference §5.4; python), read
// the same way at submit (a 400 naming the field)
// and on the compute node (the node's own check before it runs anything):
//   {"EntryModule": "main.wasm", "Entrypoint": "_start", "Parameters": ["a", "b"],
//    "ImportModules": ["lib.wasm"]}
// EntryModule and ImportModules are paths in the guest's file system that an InputSource's Target
// provides (the Target itself, or a file inside a folder input). Paths may be relative, as in
// Bacalhau's examples: "main.wasm" is "/main.wasm" in the guest.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "models/job.h"

namespace cod::models {

inline constexpr const char* kWasmEngine = "wasm";
inline constexpr const char* kPythonEngine = "python";
inline constexpr const char* kWasmDefaultEntrypoint = "_start";

struct WasmParams {
  std::string entry_module;  // a guest path, absolute and normalised
  std::string entrypoint = kWasmDefaultEntrypoint;
  std::vector<std::string> parameters;
  std::vector<std::string> import_modules;  // guest paths, absolute and normalised
};

// Whether a task's engine runs in a guest file system rooted at "/" where relative Targets and
// Paths are allowed (wasm, python), rather than in a container that needs absolute ones.
bool engineAcceptsRelativePaths(std::string_view engine_type);

// A Target, Path or module path as the guest sees it: "main.wasm" → "/main.wasm",
// "/inputs//a/" → "/inputs/a". Does not check the path (containerPathProblem does).
std::string guestPath(std::string_view path);

// Parses and checks task.engine.params for the wasm engine against the task's inputs. Errors name
// the field: "Engine.Params.EntryModule: \"x.wasm\" is not provided by any InputSource …".
Result<WasmParams> parseWasmParams(const Task& task);

// The python engine's Params (cod's own; `cod run python` writes them): the program is either
// `Command` (like python -c) or `Program` (a .py file an input provides), with `Parameters` as its
// arguments, `WorkingDirectory` (default /) and `Requirements` (a requirements.txt an input
// provides). Paths are guest paths, relative ones from "/".
struct PythonParams {
  std::string command;
  std::string program;  // guest path
  std::vector<std::string> parameters;
  std::string working_directory = "/";
  std::string requirements;  // guest path, "" = none
};

// Parses and checks task.engine.params for the python engine; errors name the field.
Result<PythonParams> parsePythonParams(const Task& task);

// Bacalhau's legacy wasm format: EntryModule / ImportModules given as InputSource objects and an
// `EntryPoint` key. Appends those inputs to task.input_sources (default targets /wasm/entry.wasm
// and /wasm/imports/module_<i>.wasm) and rewrites Params in the current format. A no-op for other
// engines and for the current format.
Status rewriteLegacyWasmParams(Task& task);

}  // namespace cod::models
