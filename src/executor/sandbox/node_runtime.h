#pragma once

// Node.js as the wasm and python engines run it: found once, checked by running it inside the
// sandbox (so "available" means node, its libraries and the namespaces all work here), and turned
// into a SandboxSpec with the flags every run needs (wasm-runtime.md: --no-warnings,
// --no-turbo-fast-api-calls, an empty environment).

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "executor/sandbox/sandbox.h"

namespace cod::executor {

// A runner ready to start: the sandbox and the channels of its arguments and its report.
struct RunnerRun {
  SandboxSpec spec;
  UniqueFd args;    // a memfd holding the arguments as a JSON array
  UniqueFd report;  // a memfd the runner writes its failure reason to
  // What the runner reported; "" when nothing.
  std::string reported() const;
};

struct NodeRuntimeConfig {
  std::string node;      // a path, or a name looked up on PATH ("node")
  std::string work_dir;  // the engine's folder on the node (holds the sandbox's mount point)
  uid_t uid = 65534;
  gid_t gid = 65534;
};

class NodeRuntime {
 public:
  explicit NodeRuntime(NodeRuntimeConfig config);

  // Whether node runs in the sandbox here; checked once, then remembered.
  bool available();
  // "node v20.20.2", or why it is unavailable.
  std::string describe();
  int majorVersion();

  // A sandbox that runs `node <flags> <script> --sandbox <marker> …` with `mounts`; the caller
  // fills the output paths and the timeout. `args` reach the runner on fd 3 (--args-fd), not on
  // the command line, where every user of the node could read them; the runner reports why it
  // could not run the program on fd 4 (--report-fd), which a guest cannot forge.
  Result<RunnerRun> runner(const std::vector<std::string>& node_flags, const std::string& script,
                           const std::string& marker, const std::vector<std::string>& args,
                           std::vector<SandboxMount> mounts) const;

  const NodeRuntimeConfig& config() const { return config_; }

 private:
  struct Probe {
    bool available = false;
    int major = 0;
    std::string description;
  };
  void probe();
  // Runs `node --version` in a sandbox rooted at `root`.
  Probe probeInSandbox(const std::string& root) const;

  NodeRuntimeConfig config_;
  std::string node_path_;  // resolved, absolute
  std::vector<std::string> system_paths_;
  std::once_flag probed_;
  bool available_ = false;
  int major_ = 0;
  std::string description_;
};

// Writes a runner script to `path` (world-readable: the sandbox's user reads it) unless the file
// already holds exactly `text` (another node process of the same version may be using it),
// through a temporary file and a rename.
Status writeScript(const std::filesystem::path& path, std::string_view text);

}  // namespace cod::executor
