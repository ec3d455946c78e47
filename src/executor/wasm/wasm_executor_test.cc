// The wasm executor with the real engine: Node's node:wasi in the sandbox, running modules the
// build made from C (clang + wasi-libc) and WAT (wabt) — see testdata/.

#include "executor/wasm/wasm_executor.h"

#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

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
using testing::addInput;
using testing::addOutput;
using testing::readFile;
using testing::writeFile;

class WasmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-wasm-test-" + newUuid());
    fs::create_directories(dir_ / "results");
    fs::create_directories(dir_ / "inputs");
    modules_ = fs::path(COD_WASM_TESTDATA);
    executor_ =
        std::make_unique<WasmExecutor>(WasmExecutorConfig{node_id_, 65536, 65534, 65534},
                                       std::make_unique<NodeWasmEngine>(NodeRuntimeConfig{
                                           "node", (dir_ / "engine").string(), 65534, 65534}));
    COD_REQUIRE_SERVICE(fs::exists(modules_ / "probe.wasm"),
                        "the test modules were not built: install clang, lld, wasi-libc, "
                        "libclang-rt-14-dev-wasm32 and wabt (scripts/install-deps.sh)");
    COD_REQUIRE_SERVICE(executor_->isInstalled(),
                        "the wasm engine is unavailable: " + executor_->engine().describe());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A task running `module` (copied into an input at /main.wasm unless `module_target` says
  // otherwise) with `args`.
  ExecutionRequest request(const std::string& module, std::vector<std::string> args,
                           const std::string& entrypoint = "") {
    auto job = std::make_shared<models::Job>();
    job->id = "j-wasmtest";
    job->type = "batch";
    models::Task t;
    t.name = "main";
    t.engine.type = "wasm";
    t.engine.params["EntryModule"] = "main.wasm";
    if (!entrypoint.empty()) t.engine.params["Entrypoint"] = entrypoint;
    boost::json::array params;
    for (auto& a : args) params.emplace_back(a);
    t.engine.params["Parameters"] = std::move(params);
    fs::path module_copy = dir_ / "modules" / module;
    fs::create_directories(module_copy.parent_path());
    fs::copy_file(modules_ / module, module_copy, fs::copy_options::overwrite_existing);
    t.input_sources.push_back({{"inline", {}}, "", "main.wasm"});
    job->tasks.push_back(std::move(t));
    ExecutionRequest r;
    r.execution_id = newExecutionId();
    r.job_id = job->id;
    r.inputs.push_back({module_copy.string(), "main.wasm", true});
    r.results_dir = (dir_ / "results" / r.execution_id).string();
    fs::create_directories(r.results_dir);
    r.env["BACALHAU_EXECUTION_ID"] = r.execution_id;
    r.timeout = 60s;
    r.job = job;
    job_ = job;
    return r;
  }

  models::RunCommandResult run(const ExecutionRequest& r) {
    CancelToken cancel;
    auto result = executor_->run(r, cancel);
    EXPECT_TRUE(result.isOk()) << result.status().toString();
    return result.isOk() ? *result : models::RunCommandResult{};
  }

  fs::path dir_;
  fs::path modules_;
  // Its own per test: ctest runs tests side by side, and recover() kills the node's runners.
  std::string node_id_ = "n-wasmtest-" + newUuid().substr(0, 8);
  std::unique_ptr<WasmExecutor> executor_;
  std::shared_ptr<const models::Job> job_;
};

TEST_F(WasmExecutorTest, ArgsEnvExitCodeAndBothStreams) {
  auto r = request("probe.wasm", {"echo", "7", "two words"});
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].env["GREETING"] = "hello wasm";
  r.job = job;
  auto result = run(r);
  EXPECT_EQ(result.exit_code, 7);
  // argv[0] is "" as in Bacalhau; the arguments follow unchanged.
  EXPECT_EQ(result.stdout_text,
            "argv[0]=\nargv[1]=echo\nargv[2]=7\nargv[3]=two words\n"
            "GREETING=hello wasm\nBACALHAU_EXECUTION_ID=" +
                r.execution_id + "\n");
  EXPECT_EQ(result.stderr_text, "this goes to stderr\n");
  EXPECT_EQ(readFile(fs::path(r.results_dir) / "stdout"), result.stdout_text);
}

TEST_F(WasmExecutorTest, TheHostEnvironmentDoesNotReachTheGuest) {
  ::setenv("GREETING", "from the host", 1);
  auto result = run(request("probe.wasm", {"echo"}));
  ::unsetenv("GREETING");
  EXPECT_NE(result.stdout_text.find("GREETING=(unset)"), std::string::npos) << result.stdout_text;
}

TEST_F(WasmExecutorTest, ReadsInputsByRelativeAndAbsolutePathsAndWritesOutputs) {
  auto r = request("probe.wasm", {"cat", "inputs/data.csv"});
  addInput(r, dir_ / "inputs", "/inputs", {{"data.csv", "a,b\n1,2\n"}});
  EXPECT_EQ(run(r).stdout_text, "a,b\n1,2\n");

  r = request("probe.wasm", {"write", "/outputs/result.txt", "forty-two"});
  addOutput(r, "outputs", "/outputs");
  auto result = run(r);
  EXPECT_EQ(result.exit_code, 0) << result.stdout_text;
  EXPECT_EQ(readFile(fs::path(r.results_dir) / "outputs" / "result.txt"), "forty-two");
}

TEST_F(WasmExecutorTest, InputsAreReadOnlyAndTheHostIsOutOfReach) {
  auto r = request("probe.wasm", {"write", "/inputs/data.csv", "overwritten"});
  addInput(r, dir_ / "inputs", "/inputs", {{"data.csv", "original"}});
  auto result = run(r);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.stdout_text.find("Read-only file system"), std::string::npos)
      << result.stdout_text;
  EXPECT_EQ(readFile(r.inputs.back().host_path + "/data.csv"), "original");

  // The node's files are not in the guest: not by absolute path, not by climbing out of a folder.
  for (const char* path : {"/etc/passwd", "../../../../etc/passwd", "/inputs/../../etc/passwd",
                           "/proc/self/environ"}) {
    r = request("probe.wasm", {"cat", path});
    addInput(r, dir_ / "inputs", "/inputs", {{"data.csv", "x"}});
    result = run(r);
    EXPECT_EQ(result.exit_code, 1) << path << ": " << result.stdout_text;
    EXPECT_EQ(result.stdout_text.find("root:"), std::string::npos) << path;
  }
}

// A guest makes no symlinks: node:wasi checks only a path's last element, so a link used as a
// directory (outputs/up/../../usr, found by a hostile review) would walk out of its folders.
TEST_F(WasmExecutorTest, OutputsAreTheSandboxUsersAndGuestsMakeNoLinks) {
  for (const char* target : {"/etc/passwd", "../../../..", "data.txt"}) {
    auto r = request("probe.wasm", {"symlink", target, "/outputs/link"});
    addOutput(r, "outputs", "/outputs");
    auto result = run(r);
    EXPECT_NE(result.stdout_text.find("symlink refused"), std::string::npos) << target;
    std::error_code ec;
    EXPECT_FALSE(fs::exists(fs::symlink_status(fs::path(r.results_dir) / "outputs" / "link", ec)))
        << target;
  }
  auto r = request("probe.wasm", {"write", "/outputs/x", "y"});
  addOutput(r, "outputs", "/outputs");
  run(r);
  struct stat dir {};
  ASSERT_EQ(::stat((fs::path(r.results_dir) / "outputs").c_str(), &dir), 0);
  EXPECT_EQ(dir.st_uid, 65534u);
}

TEST_F(WasmExecutorTest, TimeoutKillsTheSandbox) {
  auto r = request("probe.wasm", {"loop"});
  r.timeout = 1s;
  CancelToken cancel;
  auto result = executor_->run(r, cancel);
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(killSandboxesMarked("cod-wasm:" + node_id_ + "/" + r.execution_id), 0)
      << "the runner outlived its timeout";
}

TEST_F(WasmExecutorTest, CancellationKillsTheSandbox) {
  auto r = request("probe.wasm", {"loop"});
  CancelToken cancel;
  std::thread canceller([&] {
    // Cancel once the runner is up (its command line carries the execution's marker).
    for (int i = 0; i < 2000; ++i) {
      if (!sandboxesMarked("cod-wasm:" + node_id_ + "/" + r.execution_id).empty()) break;
      std::this_thread::sleep_for(5ms);
    }
    cancel.cancel();
  });
  auto result = executor_->run(r, cancel);
  canceller.join();
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled);
}

TEST_F(WasmExecutorTest, MemoryBeyondTheLimitFailsTheAllocationNotTheNode) {
  auto r = request("probe.wasm", {"alloc"});
  r.resources.memory = 64ull << 20;
  auto result = run(r);
  EXPECT_EQ(result.exit_code, 0);
  // 64 MiB of linear memory holds the program and somewhat fewer than 64 one-MiB blocks.
  int mib = -1;
  ASSERT_EQ(std::sscanf(result.stdout_text.c_str(), "allocated %d MiB", &mib), 1)
      << result.stdout_text;
  EXPECT_GT(mib, 32);
  EXPECT_LT(mib, 64);
}

TEST_F(WasmExecutorTest, OutputBeyondTheDiskLimitFailsTheExecution) {
  auto r = request("probe.wasm", {"flood", "4096"});
  r.resources.disk = 1u << 20;
  CancelToken cancel;
  auto result = executor_->run(r, cancel);
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_LE(fs::file_size(fs::path(r.results_dir) / "stdout"), 1u << 20);
  r = request("probe.wasm", {"flood", "512"});
  r.resources.disk = 1u << 20;
  EXPECT_EQ(run(r).exit_code, 0);
}

TEST_F(WasmExecutorTest, TrapsAreNonZeroExitsWithTheTrapOnStderr) {
  for (const char* module : {"trap.wasm", "oob.wasm"}) {
    auto result = run(request(module, {}));
    EXPECT_EQ(result.exit_code, kWasmTrap) << module;
    EXPECT_TRUE(result.stderr_text.starts_with("wasm trap: ")) << module << result.stderr_text;
  }
}

TEST_F(WasmExecutorTest, ImportModulesAreRegisteredUnderTheirPaths) {
  auto r = request("uses_lib.wasm", {});
  fs::path lib = dir_ / "modules" / "lib.wasm";
  fs::copy_file(modules_ / "lib.wasm", lib, fs::copy_options::overwrite_existing);
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].input_sources.push_back({{"inline", {}}, "", "lib.wasm"});
  job->tasks[0].engine.params["ImportModules"] = boost::json::array{"lib.wasm"};
  r.job = job;
  r.inputs.push_back({lib.string(), "lib.wasm", true});
  EXPECT_EQ(run(r).exit_code, 42);

  // Without the import module the run fails, saying what is missing.
  r = request("uses_lib.wasm", {});
  CancelToken cancel;
  auto failed = executor_->run(r, cancel);
  ASSERT_FALSE(failed.isOk());
  EXPECT_NE(failed.status().message().find("lib.wasm.double"), std::string::npos)
      << failed.status().toString();
}

// Imports are own properties of prototype-less objects: "constructor" or "toString" never reach
// the runner's JavaScript (an independent review got from there to a shell).
TEST_F(WasmExecutorTest, ImportsCannotReachTheRunnersJavaScript) {
  for (const char* module : {"protochain.wasm", "protochain2.wasm"}) {
    CancelToken cancel;
    auto result = executor_->run(request(module, {}), cancel);
    ASSERT_FALSE(result.isOk()) << module;
    EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << module;
    EXPECT_NE(result.status().message().find("which nothing provides"), std::string::npos)
        << module << ": " << result.status().toString();
  }
}

// The runner's failure reasons come on a channel of their own: a guest printing what the runner
// would print is a task that exited 125, not a node problem.
TEST_F(WasmExecutorTest, AGuestCannotSpeakForTheRunner) {
  auto result = run(request("probe.wasm", {"spoof"}));
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.stderr_text.find("disk is corrupt"), std::string::npos);
}

// The task's environment and arguments are not on any command line (which every user of the node
// can read in /proc); only the run's marker is.
TEST_F(WasmExecutorTest, SecretsStayOffTheCommandLine) {
  auto r = request("probe.wasm", {"loop", "argument-secret-4711"});
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].env["TOKEN"] = "env-secret-4711";
  r.job = job;
  r.timeout = 5s;
  CancelToken cancel;
  std::string seen;
  std::thread watcher([&] {
    for (int i = 0; i < 2000 && !cancel.cancelled(); ++i) {
      bool running = false;
      for (const auto& e : fs::directory_iterator("/proc")) {
        std::ifstream in(e.path() / "cmdline");
        std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmd.find(r.execution_id) == std::string::npos) continue;
        running = true;
        if (cmd.find("secret-4711") != std::string::npos) seen = cmd;
      }
      if (running) break;
      std::this_thread::sleep_for(5ms);
    }
    cancel.cancel();
  });
  auto result = executor_->run(r, cancel);
  watcher.join();
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, "");
}

TEST_F(WasmExecutorTest, ANonStartEntryPointRunsInstead) {
  auto result = run(request("entry.wasm", {}, "hello"));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "hello from hello\n");
  EXPECT_EQ(run(request("entry.wasm", {})).exit_code, 1);

  CancelToken cancel;
  auto missing = executor_->run(request("entry.wasm", {}, "nope"), cancel);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("exports no function nope"), std::string::npos);
}

TEST_F(WasmExecutorTest, AModuleMissingFromTheInputsFailsBeforeAnythingRuns) {
  auto r = request("probe.wasm", {});
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].engine.params["EntryModule"] = "/inputs/absent.wasm";
  job->tasks[0].input_sources.push_back({{"inline", {}}, "", "/inputs"});
  r.job = job;
  addInput(r, dir_ / "inputs", "/inputs", {{"other.txt", "x"}});
  CancelToken cancel;
  auto result = executor_->run(r, cancel);
  ASSERT_FALSE(result.isOk());
  EXPECT_NE(result.status().message().find("/inputs/absent.wasm"), std::string::npos);
}

// wasm-runtime.md: Node ≥ 19 without --no-turbo-fast-api-calls loses output or crashes after
// memory.grow. Several runs, each growing memory 2,000 times with a line per step, and a SHA-256
// of 100 MB computed in wasm memory.
TEST_F(WasmExecutorTest, MemoryGrowthKeepsEveryLineAndEveryByte) {
  std::string expected_lines;
  for (int i = 0; i < 2000; ++i) expected_lines += "line " + std::to_string(i) + "\n";
  std::vector<unsigned char> data(100u << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>((i * 31 + 7) % 251);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  std::string expected_sha;
  for (unsigned char b : digest) {
    constexpr const char* kHex = "0123456789abcdef";
    expected_sha += kHex[b >> 4];
    expected_sha += kHex[b & 0xf];
  }
  for (int run_index = 0; run_index < 3; ++run_index) {
    auto r = request("probe.wasm", {"grow", "2000"});
    auto result = run(r);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(readFile(fs::path(r.results_dir) / "stdout"), expected_lines) << "run " << run_index;
    result = run(request("probe.wasm", {"sha", "100"}));
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.stdout_text, expected_sha + "\n") << "run " << run_index;
  }
}

TEST_F(WasmExecutorTest, RecoverKillsRunnersAnEarlierLifeLeftBehind) {
  auto r = request("probe.wasm", {"loop"});
  CancelToken cancel;
  std::thread running([&] { (void)executor_->run(r, cancel); });
  // The node "restarts": a new executor for the same node finds the runner and kills it.
  WasmExecutor restarted(WasmExecutorConfig{node_id_, 65536, 65534, 65534},
                         std::make_unique<NodeWasmEngine>(
                             NodeRuntimeConfig{"node", (dir_ / "engine").string(), 65534, 65534}));
  int killed = 0;
  for (int i = 0; i < 2000 && killed == 0; ++i) {
    auto k = restarted.recover();
    ASSERT_TRUE(k.isOk());
    killed = *k;
    if (killed == 0) std::this_thread::sleep_for(5ms);
  }
  running.join();  // returns because its sandbox was killed, not by cancellation
  EXPECT_EQ(killed, 1);
  EXPECT_FALSE(cancel.cancelled());
}

}  // namespace
}  // namespace cod::executor
