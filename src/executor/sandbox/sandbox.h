#pragma once

// A process sandbox for engines that run an interpreter on the host (wasm, python): the child gets
// new mount, pid and network namespaces, a root file system of its own (a tmpfs holding only the
// system folders it needs, read-only, and the mounts it is given), an unprivileged uid/gid with no
// supplementary groups, PR_SET_NO_NEW_PRIVS, an empty environment unless one is given, and no file
// descriptors but stdin (/dev/null), stdout and stderr. The parent waits with a deadline and
// SIGKILLs the child — the pid namespace's init, so everything in it dies — on timeout or
// cancellation. Needs root (CAP_SYS_ADMIN) on the compute node; sandboxAvailable() says whether it
// works here.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"

namespace cod::executor {

struct SandboxMount {
  std::string host_path;  // absolute, a file or a folder on the node
  std::string target;     // absolute, normalised, inside the sandbox's root
  bool read_only = true;
};

// An owned file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  void reset();

 private:
  int fd_;
};

struct SandboxSpec {
  // An empty folder on the node; the child mounts its private root there (the host sees nothing).
  std::string root_dir;
  // Mounted in this order; a target's parents are created in the sandbox's root as needed, and a
  // target may not lie under another mount's target (refused: the folders a mount would need could
  // be links out of it).
  std::vector<SandboxMount> mounts;
  // Host folders and files mounted read-only at the same path (the interpreter and its libraries).
  std::vector<std::string> system_paths = defaultSystemPaths();
  std::vector<std::string> argv;  // argv[0]: the program, a path inside the sandbox
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";
  uid_t uid = 65534;
  gid_t gid = 65534;
  std::string stdout_path;  // host files, created (truncated) by the parent
  std::string stderr_path;
  Duration timeout{0};  // 0 = none
  // Largest file the program may write, stdout and stderr included (RLIMIT_FSIZE; SIGXFSZ ends
  // it past that); 0 = no limit.
  uint64_t max_file_size = 0;
  // Open fds (the caller's) that the program gets as fds 3, 4, … in this order.
  std::vector<int> inherited_fds;

  static std::vector<std::string> defaultSystemPaths();
};

struct SandboxExit {
  int exit_code = 0;  // the program's exit status, or 128 + signal when a signal ended it
  int signal = 0;     // the signal that ended it, 0 when it exited
  bool timed_out = false;
  bool cancelled = false;
};

// Runs spec.argv in a sandbox to its end. An error Status is a failure to start it (the reason the
// child gave, e.g. "mount /inputs: No such file or directory", or that namespaces are unavailable).
Result<SandboxExit> runSandboxed(const SandboxSpec& spec, CancelToken& cancel);

// Whether namespaces, mounts and uid changes work on this machine (runs /bin/true in a sandbox
// once; the answer is cached).
bool sandboxAvailable();

// Kills every process whose command line has `--sandbox VALUE` with VALUE starting with `marker`,
// before any "--": engines put one on each sandbox's command line (the node and execution IDs) so
// that a restarted node finds what it left behind.
// Returns how many were killed.
int killSandboxesMarked(const std::string& marker);

// The processes killSandboxesMarked would kill (but not this one).
std::vector<pid_t> sandboxesMarked(const std::string& marker);

}  // namespace cod::executor
