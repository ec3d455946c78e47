#include "executor/sandbox/sandbox.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "common/paths.h"
#include "common/strings.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;

// One step of building the child's root, prepared by the parent: the child (a clone of a
// multi-threaded process) makes only system calls, no allocations.
struct Step {
  enum Kind {
    kMkdir,
    kTouch,
    kSymlink,
    kBind,
    kRemountReadOnly,
    kRemountNoExec,
    kTmpfs,
    kSeal
  } kind;
  std::string path;      // in the host's view, under the root folder
  std::string source;    // kBind: the host path; kSymlink: the link's contents
  std::string what;      // for the error message: the sandbox path it is about
  bool no_exec = false;  // kRemountReadOnly: also nosuid, nodev, noexec
};

// mkdir -p of `target`'s parents (and `target` itself when `self`), as steps.
void addParents(std::vector<Step>& steps, const std::string& root, const std::string& target,
                bool self) {
  fs::path p(target);
  std::vector<std::string> dirs;
  for (fs::path d = self ? p : p.parent_path(); d != d.root_path() && !d.empty();
       d = d.parent_path()) {
    dirs.push_back(d.string());
  }
  std::reverse(dirs.begin(), dirs.end());
  for (const auto& d : dirs) steps.push_back({Step::kMkdir, root + d, "", d});
}

void addMount(std::vector<Step>& steps, const std::string& root, const std::string& host,
              const std::string& target, bool read_only, bool no_exec) {
  bool dir = fs::is_directory(host);
  addParents(steps, root, target, dir);
  if (!dir) steps.push_back({Step::kTouch, root + target, "", target});
  steps.push_back({Step::kBind, root + target, host, target});
  if (no_exec) {
    // One remount sets every flag, read-only included.
    steps.push_back({read_only ? Step::kRemountReadOnly : Step::kRemountNoExec, root + target, "",
                     target, true});
  } else if (read_only) {
    steps.push_back({Step::kRemountReadOnly, root + target, "", target});
  }
}

Result<std::vector<Step>> planRoot(const SandboxSpec& spec) {
  const std::string& root = spec.root_dir;
  std::vector<Step> steps;
  steps.push_back({Step::kTmpfs, root, "", "/"});
  std::vector<std::string> reserved = {"/dev", "/proc"};  // /proc is never mounted
  for (const std::string& p : spec.system_paths) {
    std::error_code ec;
    auto st = fs::symlink_status(p, ec);
    if (ec || !fs::exists(st)) continue;
    reserved.push_back(p);
    if (fs::is_symlink(st)) {
      addParents(steps, root, p, false);
      steps.push_back({Step::kSymlink, root + p, fs::read_symlink(p, ec).string(), p});
    } else {
      addMount(steps, root, p, p, true, false);
    }
  }
  addParents(steps, root, "/dev", true);
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"}) {
    steps.push_back({Step::kTouch, root + dev, "", dev});
    steps.push_back({Step::kBind, root + dev, dev, dev});
  }
  // No /proc: through it a process that got out of its interpreter could write its own memory
  // (/proc/self/mem) and read the node's mount table; node runs without it.
  std::vector<std::string> targets;
  for (const SandboxMount& m : spec.mounts) {
    if (m.target.empty() || m.target[0] != '/' || m.target.find("/../") != std::string::npos ||
        m.target.ends_with("/..") || m.target == "/") {
      return invalidArgument("sandbox mount target '" + m.target +
                             "' is not an absolute path below /");
    }
    for (const std::string& other : reserved) {
      if (isWithin(m.target, other) || isWithin(other, m.target)) {
        return invalidArgument("sandbox mount target '" + m.target + "' overlaps " + other);
      }
    }
    for (const std::string& other : targets) {
      if (isWithin(m.target, other) || isWithin(other, m.target)) {
        return invalidArgument("sandbox mount targets '" + other + "' and '" + m.target +
                               "' lie inside one another; give each its own folder");
      }
    }
    if (!fs::exists(m.host_path)) return notFound("sandbox mount source " + m.host_path);
    targets.push_back(m.target);
    addMount(steps, root, m.host_path, m.target, m.read_only, true);
  }
  // Nothing else can be written in the root: the guest writes only where a mount lets it.
  steps.push_back({Step::kSeal, root, "", "/"});
  return steps;
}

std::vector<char*> cStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The system calls a sandboxed interpreter never needs and an escaped one would use to get further:
// new processes (threads stay allowed), namespaces, mounts, tracing, kernel keyrings, BPF,
// io_uring, userfaultfd, perf, modules. Built once with libseccomp in the parent (the child may not
// allocate), as a BPF program the child loads before execve. Null when it cannot be built.
const sock_fprog* sandboxFilter() {
  static std::once_flag once;
  static std::vector<sock_filter> program;
  static sock_fprog fprog{};
  static bool ok = false;
  std::call_once(once, [] {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == nullptr) return;
    bool built = true;
    auto deny = [&](int nr, int err) {
      built = built && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0) == 0;
    };
    for (int nr : {SCMP_SYS(fork),
                   SCMP_SYS(vfork),
                   SCMP_SYS(unshare),
                   SCMP_SYS(setns),
                   SCMP_SYS(mount),
                   SCMP_SYS(umount2),
                   SCMP_SYS(pivot_root),
                   SCMP_SYS(chroot),
                   SCMP_SYS(ptrace),
                   SCMP_SYS(process_vm_readv),
                   SCMP_SYS(process_vm_writev),
                   SCMP_SYS(keyctl),
                   SCMP_SYS(add_key),
                   SCMP_SYS(request_key),
                   SCMP_SYS(bpf),
                   SCMP_SYS(perf_event_open),
                   SCMP_SYS(userfaultfd),
                   SCMP_SYS(kexec_load),
                   SCMP_SYS(kexec_file_load),
                   SCMP_SYS(init_module),
                   SCMP_SYS(finit_module),
                   SCMP_SYS(delete_module),
                   SCMP_SYS(open_by_handle_at),
                   SCMP_SYS(name_to_handle_at),
                   SCMP_SYS(mknod),
                   SCMP_SYS(mknodat),
                   SCMP_SYS(swapon),
                   SCMP_SYS(swapoff),
                   SCMP_SYS(reboot),
                   SCMP_SYS(acct),
                   SCMP_SYS(quotactl),
                   SCMP_SYS(syslog),
                   SCMP_SYS(iopl),
                   SCMP_SYS(ioperm),
                   SCMP_SYS(fsopen),
                   SCMP_SYS(fsconfig),
                   SCMP_SYS(fsmount),
                   SCMP_SYS(fspick),
                   SCMP_SYS(move_mount),
                   SCMP_SYS(open_tree),
                   SCMP_SYS(mount_setattr)}) {
      deny(nr, EPERM);
    }
    // io_uring and clone3 look absent (ENOSYS), so libuv and glibc fall back to what is allowed:
    // clone3's flags live in memory a filter cannot read; clone's are checked below.
    for (int nr : {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
                   SCMP_SYS(clone3)}) {
      deny(nr, ENOSYS);
    }
    // clone: threads only (CLONE_THREAD set), never a new process or namespace.
    // (seccomp_rule_add_array: the SCMP_A0 macro is a C compound literal.)
    auto deny_clone_when = [&](uint64_t mask, uint64_t value) {
      scmp_arg_cmp flags{0, SCMP_CMP_MASKED_EQ, mask, value};
      built = built &&
              seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, &flags) == 0;
    };
    deny_clone_when(CLONE_THREAD, 0);
    for (uint64_t flag : {uint64_t{CLONE_NEWNS}, uint64_t{CLONE_NEWUSER}, uint64_t{CLONE_NEWPID},
                          uint64_t{CLONE_NEWNET}, uint64_t{CLONE_NEWIPC}, uint64_t{CLONE_NEWUTS},
                          uint64_t{CLONE_NEWCGROUP}}) {
      deny_clone_when(flag, flag);
    }
    int fd = memfd_create("cod-seccomp", MFD_CLOEXEC);
    if (built && fd >= 0 && seccomp_export_bpf(ctx, fd) == 0) {
      off_t size = lseek(fd, 0, SEEK_END);
      program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
      ok = size > 0 && pread(fd, program.data(), static_cast<size_t>(size), 0) == size;
      fprog.len = static_cast<unsigned short>(program.size());
      fprog.filter = program.data();
    }
    if (fd >= 0) close(fd);
    seccomp_release(ctx);
  });
  return ok ? &fprog : nullptr;
}

struct ChildArgs {
  const std::vector<Step>* steps;
  const char* root;
  const char* cwd;
  char* const* argv;
  char* const* envp;
  uid_t uid;
  gid_t gid;
  int out_fd;
  int err_fd;
  int report_fd;  // close-on-exec: closed by a successful execve, otherwise carries the failure
  const int* inherited;  // become fds 3, 4, …
  int inherited_count;
  const sock_fprog* filter;
  int last_cap;          // the kernel's highest capability number
  rlim_t max_file_size;  // 0 = unlimited
};

// What the child reports when a step fails: which step (an index into the plan, or one of the
// negative stages below) and errno.
struct ChildFailure {
  int step;
  int error;
};
enum Stage {
  kStagePrivate = -1,
  kStagePivot = -2,
  kStageCwd = -3,
  kStageIds = -4,
  kStagePrctl = -5,
  kStageStdio = -6,
  kStageExec = -7,
  kStageCaps = -8,
  kStageSeccomp = -9
};

[[noreturn]] void childFail(const ChildArgs& a, int step) {
  ChildFailure f{step, errno};
  (void)!write(a.report_fd, &f, sizeof f);
  _exit(127);
}

int childMain(void* arg) {
  const auto& a = *static_cast<const ChildArgs*>(arg);
  // Mounts made here must not reach the host.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) childFail(a, kStagePrivate);
  const auto& steps = *a.steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const char* path = s.path.c_str();
    int rc = 0;
    switch (s.kind) {
      case Step::kMkdir:
        rc = mkdir(path, 0755);
        if (rc != 0 && errno == EEXIST) rc = 0;
        break;
      case Step::kTouch: {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        rc = fd < 0 ? -1 : close(fd);
        break;
      }
      case Step::kSymlink: rc = symlink(s.source.c_str(), path); break;
      case Step::kBind:
        rc = mount(s.source.c_str(), path, nullptr, MS_BIND | MS_REC, nullptr);
        break;
      case Step::kRemountReadOnly:
        rc = mount(
            nullptr, path, nullptr,
            MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | (s.no_exec ? MS_NOEXEC : 0),
            nullptr);
        break;
      case Step::kSeal:  // the root's own tmpfs, not a bind mount
        rc = mount(nullptr, path, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr);
        break;
      case Step::kTmpfs:
        rc = mount("cod-sandbox", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755");
        break;
      case Step::kRemountNoExec:  // the task's folders: nothing there is run, read-only or not
        rc = mount(nullptr, path, nullptr, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   nullptr);
        break;
    }
    if (rc != 0) childFail(a, static_cast<int>(i));
  }
  // The root becomes "/", the host's tree goes away.
  if (chdir(a.root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
      umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
    childFail(a, kStagePivot);
  }
  if (chdir(a.cwd) != 0) childFail(a, kStageCwd);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(a.out_fd, 1) < 0 || dup2(a.err_fd, 2) < 0) {
    childFail(a, kStageStdio);
  }
  if (a.max_file_size > 0) {
    rlimit limit{a.max_file_size, a.max_file_size};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) childFail(a, kStagePrctl);
  }
  // Nothing the sandbox runs can ever hold a capability again, not even through a file's.
  for (int cap = 0; cap <= a.last_cap; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) childFail(a, kStageCaps);
  }
  // Raw system calls: glibc's wrappers signal every thread of the parent to change its ids too,
  // and wait for threads that do not exist in this clone.
  if (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, a.gid, a.gid, a.gid) != 0 ||
      syscall(SYS_setresuid, a.uid, a.uid, a.uid) != 0) {
    childFail(a, kStageIds);
  }
  // After the uid change, which clears the parent-death signal.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    childFail(a, kStagePrctl);
  }
  if (a.filter != nullptr && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, a.filter) != 0) {
    childFail(a, kStageSeccomp);
  }
  for (int i = 0; i < a.inherited_count; ++i) {
    if (dup2(a.inherited[i], 3 + i) < 0) childFail(a, kStageStdio);
  }
  // Everything else closes: the parent's fds (all above the inherited ones) but the report pipe,
  // which closes on exec.
  close_range(static_cast<unsigned>(3 + a.inherited_count), static_cast<unsigned>(a.report_fd) - 1,
              0);
  close_range(static_cast<unsigned>(a.report_fd) + 1, ~0U, 0);
  execve(a.argv[0], a.argv, a.envp);
  childFail(a, kStageExec);
}

std::string describeFailure(const std::vector<Step>& steps, const ChildFailure& f,
                            const SandboxSpec& spec) {
  std::string why = std::strerror(f.error);
  switch (f.step) {
    case kStagePrivate: return "making the sandbox's mounts private: " + why;
    case kStagePivot: return "entering the sandbox's root: " + why;
    case kStageCwd: return "working directory " + spec.cwd + ": " + why;
    case kStageIds: return "dropping to uid " + std::to_string(spec.uid) + ": " + why;
    case kStagePrctl: return "setting no_new_privs: " + why;
    case kStageStdio: return "redirecting stdio: " + why;
    case kStageExec: return "running " + spec.argv[0] + " in the sandbox: " + why;
    case kStageCaps: return "dropping capabilities: " + why;
    case kStageSeccomp: return "installing the system call filter: " + why;
    default: break;
  }
  if (f.step < 0 || static_cast<size_t>(f.step) >= steps.size()) return "sandbox setup: " + why;
  const Step& s = steps[static_cast<size_t>(f.step)];
  const char* verb = "preparing";
  if (s.kind == Step::kBind) verb = "mounting";
  if (s.kind == Step::kRemountReadOnly || s.kind == Step::kSeal) verb = "making read-only";
  if (s.kind == Step::kTmpfs) verb = "mounting a file system at";
  if (s.kind == Step::kRemountNoExec) verb = "making non-executable";
  return std::string(verb) + " " + s.what + " in the sandbox: " + why;
}

int lastCapability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = 40;  // Linux 6.x: CAP_CHECKPOINT_RESTORE
  in >> last;
  return last;
}

}  // namespace

void UniqueFd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::vector<std::string> SandboxSpec::defaultSystemPaths() {
  return {"/usr", "/bin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/localtime"};
}

Result<SandboxExit> runSandboxed(const SandboxSpec& spec, CancelToken& cancel) {
  if (spec.argv.empty()) return invalidArgument("sandbox: no program to run");
  if (spec.root_dir.empty() || !fs::is_directory(spec.root_dir)) {
    return failedPrecondition("sandbox root folder " + spec.root_dir + " does not exist");
  }
  COD_ASSIGN_OR_RETURN(std::vector<Step> steps, planRoot(spec));
  UniqueFd out(open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  UniqueFd err(open(spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0 || err.get() < 0) {
    return internalError("cannot create the output files in " +
                         fs::path(spec.stdout_path).parent_path().string() + ": " +
                         std::strerror(errno));
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return internalError(std::string("pipe: ") + strerror(errno));
  UniqueFd report_read(report[0]);
  // Above every fd the child makes (0-2 and the inherited ones from 3), so its dup2s clobber none.
  constexpr int kHighFd = 64;
  UniqueFd report_write(fcntl(report[1], F_DUPFD_CLOEXEC, kHighFd));
  close(report[1]);
  std::vector<UniqueFd> inherited_high;
  std::vector<int> inherited;
  for (int fd : spec.inherited_fds) {
    inherited_high.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, kHighFd));
    inherited.push_back(inherited_high.back().get());
    if (inherited.back() < 0) {
      return internalError("sandbox: cannot pass fd " + std::to_string(fd));
    }
  }
  if (report_write.get() < 0) return internalError(std::string("fcntl: ") + strerror(errno));

  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = spec.env;
  std::vector<char*> c_argv = cStrings(argv);
  std::vector<char*> c_env = cStrings(env);
  const sock_fprog* filter = sandboxFilter();
  if (filter == nullptr) return failedPrecondition("sandbox: cannot build the system call filter");
  ChildArgs args{&steps,
                 spec.root_dir.c_str(),
                 spec.cwd.c_str(),
                 c_argv.data(),
                 c_env.data(),
                 spec.uid,
                 spec.gid,
                 out.get(),
                 err.get(),
                 report_write.get(),
                 inherited.data(),
                 static_cast<int>(inherited.size()),
                 filter,
                 lastCapability(),
                 static_cast<rlim_t>(spec.max_file_size)};

  constexpr size_t kStackSize = size_t{256} * 1024;
  void* stack = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return internalError(std::string("mmap: ") + strerror(errno));
  pid_t pid = clone(
      childMain, static_cast<char*>(stack) + kStackSize,
      CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD, &args);
  int clone_errno = errno;
  report_write.reset();
  if (pid < 0) {
    munmap(stack, kStackSize);
    return failedPrecondition(std::string("cannot create the sandbox's namespaces: ") +
                              strerror(clone_errno))
        .withHint("the wasm and python engines need root on the compute node");
  }
  // The child reports a failed step, or closes the pipe by exec'ing.
  ChildFailure failure{};
  ssize_t n;
  do {
    n = read(report_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  munmap(stack, kStackSize);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    waitpid(pid, &status, 0);
    return failedPrecondition("sandbox: " + describeFailure(steps, failure, spec));
  }

  SandboxExit result;
  // glibc 2.36 declares pidfd_open without C linkage; the system call is the same.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  auto deadline = spec.timeout.count() > 0 ? std::chrono::steady_clock::now() + spec.timeout
                                           : std::chrono::steady_clock::time_point::max();
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (cancel.cancelled() || std::chrono::steady_clock::now() >= deadline) {
      result.cancelled = cancel.cancelled();
      result.timed_out = !result.cancelled;
      kill(pid, SIGKILL);  // the namespace's init: the kernel kills the rest with it
      waitpid(pid, &status, 0);
      break;
    }
    // Wake for the exit at once, and often enough to see a cancellation or the deadline.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 1, 20));
    if (pidfd.get() >= 0) {
      pollfd p{pidfd.get(), POLLIN, 0};
      poll(&p, 1, wait_ms);
    } else {
      cancel.waitFor(std::chrono::milliseconds(wait_ms));
    }
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  }
  return result;
}

bool sandboxAvailable() {
  static std::once_flag once;
  static bool available = false;
  std::call_once(once, [] {
    std::error_code ec;
    fs::path root = fs::temp_directory_path(ec) / ("cod-sandbox-probe-" + std::to_string(getpid()));
    fs::create_directories(root, ec);
    SandboxSpec spec;
    spec.root_dir = root.string();
    spec.argv = {"/bin/true"};
    spec.stdout_path = "/dev/null";
    spec.stderr_path = "/dev/null";
    spec.timeout = std::chrono::seconds(10);
    CancelToken never;
    auto r = runSandboxed(spec, never);
    available = r.isOk() && r->exit_code == 0;
    fs::remove(root, ec);
  });
  return available;
}

namespace {

// A process's command line, or "" once it is gone. Read with read(2): a process that exits
// between the open and the read makes the read fail with ESRCH, which libstdc++'s filebuf throws
// out of an istreambuf_iterator (it took a compute node down at start).
std::string processCmdline(const fs::path& proc_dir) {
  int fd = ::open((proc_dir / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return n < 0 ? "" : out;
}

}  // namespace

std::vector<pid_t> sandboxesMarked(const std::string& marker) {
  std::vector<pid_t> pids;
  if (marker.empty()) return pids;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.size() > 9 || !std::all_of(name.begin(), name.end(), ::isdigit)) {
      continue;
    }
    // The marker is the value of a --sandbox option, before any "--": a task's own arguments
    // come after it and may say anything.
    std::vector<std::string> args = split(processCmdline(it->path()), '\0');
    bool marked = false;
    for (size_t i = 0; i + 1 < args.size() && args[i] != "--"; ++i) {
      if (args[i] == "--sandbox" && args[i + 1].starts_with(marker)) marked = true;
    }
    auto pid = static_cast<pid_t>(std::stol(name));
    if (marked && pid != getpid()) pids.push_back(pid);
  }
  return pids;
}

int killSandboxesMarked(const std::string& marker) {
  int killed = 0;
  for (pid_t pid : sandboxesMarked(marker)) killed += kill(pid, SIGKILL) == 0;
  return killed;
}

}  // namespace cod::executor
