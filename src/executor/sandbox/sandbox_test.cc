// The sandbox on its own, with the node's /bin/sh as the "interpreter": what a process that got out
// of node:wasi or Pyodide's JS bridge would find.

#include "executor/sandbox/sandbox.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/ids.h"
#include "executor/testing/guest_requests.h"
#include "tests/support/services.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::readFile;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    COD_REQUIRE_SERVICE(sandboxAvailable(), "namespaces are not available here (needs root)");
    dir_ = fs::temp_directory_path() / ("cod-sandbox-test-" + newUuid());
    fs::create_directories(dir_ / "root");
    fs::create_directories(dir_ / "out");
    fs::permissions(dir_ / "out", fs::perms::all);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `sh -c script` in a sandbox with dir_/out at /out (read-write); returns its stdout and
  // stderr, and the exit code in *code.
  std::string sh(const std::string& script, int* code = nullptr) {
    SandboxSpec spec;
    spec.root_dir = (dir_ / "root").string();
    spec.mounts = {{(dir_ / "out").string(), "/out", false}};
    spec.argv = {"/bin/sh", "-c", script};
    spec.stdout_path = (dir_ / "stdout").string();
    spec.stderr_path = (dir_ / "stdout").string();
    spec.timeout = 30s;
    CancelToken cancel;
    auto exit = runSandboxed(spec, cancel);
    EXPECT_TRUE(exit.isOk()) << exit.status().toString();
    if (code != nullptr) *code = exit.isOk() ? exit->exit_code : -1;
    return readFile(dir_ / "stdout");
  }

  fs::path dir_;
};

TEST_F(SandboxTest, RunsAsNobodyWithAnEmptyEnvironment) {
  int code = -1;
  // No fork in the sandbox: each check execs its program in place of the shell.
  EXPECT_EQ(sh("exec id", &code), "uid=65534 gid=65534 groups=65534\n");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(sh("exec /usr/bin/env -u PWD", &code), "");
}

TEST_F(SandboxTest, NoNewProcessesNoProcNoMountsNoNamespaces) {
  // A subshell needs fork: refused, so a fork bomb cannot start.
  int code = 0;
  std::string out = sh("(echo forked); echo after=$?", &code);
  EXPECT_EQ(out.find("forked"), std::string::npos) << out;
  EXPECT_NE(out.find("Cannot fork"), std::string::npos) << out;
  // No /proc to read the node's mounts from or to write one's own memory through.
  out = sh("exec cat /proc/self/mountinfo", &code);
  EXPECT_NE(code, 0) << out;
  out = sh("exec unshare -U -r true", &code);
  EXPECT_NE(code, 0) << out;
  out = sh("exec mount -t tmpfs none /out", &code);
  EXPECT_NE(code, 0) << out;
}

TEST_F(SandboxTest, TheRootIsReadOnlyAndOutputsRunNothing) {
  int code = 0;
  std::string out = sh("echo x > /tmpfile; echo rc=$?", &code);
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
  // Outputs take data, never programs: a binary copied there cannot be executed.
  fs::copy_file("/bin/true", dir_ / "out" / "true");
  fs::permissions(dir_ / "out" / "true", fs::perms::all);
  out = sh("exec /out/true", &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("Permission denied"), std::string::npos) << out;
  EXPECT_EQ(sh("echo data > /out/file && exec cat /out/file"), "data\n");
  // The node's files are not there.
  out = sh("exec cat /etc/shadow", &code);
  EXPECT_NE(code, 0) << out;
}

TEST_F(SandboxTest, MountTargetsMayNotNestOrShadowTheSystem) {
  SandboxSpec spec;
  spec.root_dir = (dir_ / "root").string();
  spec.argv = {"/bin/true"};
  spec.stdout_path = spec.stderr_path = (dir_ / "stdout").string();
  CancelToken cancel;
  for (const auto& mounts : std::vector<std::vector<SandboxMount>>{
           {{dir_.string(), "/usr/lib", true}},
           {{dir_.string(), "/a", true}, {dir_.string(), "/a/b", false}},
           {{dir_.string(), "/x/../usr", true}}}) {
    spec.mounts = mounts;
    auto r = runSandboxed(spec, cancel);
    ASSERT_FALSE(r.isOk()) << mounts.back().target;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

// A restarted node finds its sandboxes by their command lines while other processes come and go:
// one that exits between the walk's open and read of its cmdline (ESRCH) once terminated the node.
TEST(SandboxesMarkedTest, FindsTheMarkedOnesWhileOthersComeAndGo) {
  const std::string marker = "cod-test:" + newUuid();
  pid_t marked = fork();
  ASSERT_GE(marked, 0);
  if (marked == 0) {
    execl("/bin/sh", "/bin/sh", "-c", "sleep 60; :", "--sandbox", (marker + "/exec").c_str(),
          nullptr);
    _exit(127);
  }
  pid_t unmarked = fork();
  ASSERT_GE(unmarked, 0);
  if (unmarked == 0) {
    execl("/bin/sh", "/bin/sh", "-c", "sleep 60; :", "--", "--sandbox", marker.c_str(), nullptr);
    _exit(127);
  }
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    while (!stop) {
      pid_t p = fork();
      if (p == 0) _exit(0);
      if (p > 0) waitpid(p, nullptr, 0);
    }
  });
  // 200 walks under the churn, and more until the marked child has exec'd.
  std::vector<pid_t> found;
  for (int i = 0; i < 5000 && (i < 200 || found.empty()); ++i) found = sandboxesMarked(marker);
  stop = true;
  churn.join();
  EXPECT_EQ(found, std::vector<pid_t>{marked}) << "only the one with --sandbox before \"--\"";
  EXPECT_EQ(killSandboxesMarked(marker), 1);
  kill(unmarked, SIGKILL);
  waitpid(marked, nullptr, 0);
  waitpid(unmarked, nullptr, 0);
  EXPECT_EQ(killSandboxesMarked(marker), 0);
}

}  // namespace
}  // namespace cod::executor
