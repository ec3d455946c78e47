// The python executor with the real engine: Pyodide (scripts/install-pyodide.sh) run by Node in the
// sandbox.

#include "executor/python/python_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/ids.h"
#include "executor/testing/guest_requests.h"
#include "node/node.h"
#include "tests/support/services.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::addInput;
using testing::addOutput;
using testing::readFile;
using testing::writeFile;

class PythonExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-python-test-" + newUuid());
    fs::create_directories(dir_);
    PythonExecutorConfig config;
    config.node_id = "n-pythontest";
    config.pyodide_dir = (fs::path(node::defaultPyodideDir()) / "node_modules/pyodide").string();
    config.runtime = {"node", (dir_ / "engine").string(), 65534, 65534};
    executor_ = std::make_unique<PythonExecutor>(config);
    COD_REQUIRE_SERVICE(executor_->isInstalled(),
                        "the python engine is unavailable: " + executor_->unavailableReason());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  ExecutionRequest request(const boost::json::object& params) {
    auto job = std::make_shared<models::Job>();
    job->id = "j-pythontest";
    job->type = "batch";
    models::Task t;
    t.name = "main";
    t.engine = {"python", params};
    job->tasks.push_back(std::move(t));
    ExecutionRequest r;
    r.execution_id = newExecutionId();
    r.job_id = job->id;
    r.results_dir = (dir_ / "results" / r.execution_id).string();
    fs::create_directories(r.results_dir);
    r.env["BACALHAU_JOB_ID"] = job->id;
    r.timeout = 120s;
    r.job = job;
    return r;
  }
  ExecutionRequest command(const std::string& code) { return request({{"Command", code}}); }

  models::RunCommandResult run(const ExecutionRequest& r) {
    CancelToken cancel;
    auto result = executor_->run(r, cancel);
    EXPECT_TRUE(result.isOk()) << result.status().toString();
    return result.isOk() ? *result : models::RunCommandResult{};
  }

  fs::path dir_;
  std::unique_ptr<PythonExecutor> executor_;
};

TEST_F(PythonExecutorTest, RunsCodeAndKeepsItsExitCode) {
  auto result = run(command("print(sum(range(10)))"));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "45\n");
  EXPECT_EQ(result.stderr_text, "");

  result = run(command("import sys; print('out'); sys.exit(3)"));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.stdout_text, "out\n");

  result = run(command("1/0"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.stderr_text.find("ZeroDivisionError"), std::string::npos) << result.stderr_text;
}

// What the program prints reaches the execution's log while it still runs: it prints, then
// waits for a file the test creates in its input folder.
TEST_F(PythonExecutorTest, OutputReachesTheLogWhileTheProgramRuns) {
  auto r = command(
      "import os, sys, time\n"
      "print('first', flush=True)\n"
      "while not os.path.exists('/gate/go'):\n"
      "    time.sleep(0.05)\n"
      "print('second')\n");
  addInput(r, dir_ / "inputs", "/gate", {});
  fs::path gate = r.inputs.back().host_path;
  std::string log_path = executionLogPath(dir_.string(), r.execution_id);
  auto log = ExecutionLogWriter::create(log_path);
  ASSERT_TRUE(log.isOk());
  r.log = *log;
  std::atomic<bool> finished{false};
  Result<models::RunCommandResult> out = internalError("not run");
  std::thread runner([&] {
    CancelToken cancel;
    out = executor_->run(r, cancel);
    finished = true;
  });
  auto reader = ExecutionLogReader::open(log_path);
  ASSERT_TRUE(reader.isOk());
  std::vector<LogRecord> seen;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (seen.empty() && !finished && std::chrono::steady_clock::now() < deadline) {
    auto got = (*reader)->next(1 << 20);
    ASSERT_TRUE(got.isOk());
    for (auto& rec : *got) seen.push_back(std::move(rec));
    if (seen.empty()) std::this_thread::sleep_for(10ms);  // polls the file, not the run
  }
  EXPECT_FALSE(finished) << "the program is still waiting for the gate";
  writeFile(gate / "go", "go");
  runner.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "first\n");
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->stdout_text, "first\nsecond\n");
  (*log)->close();
  auto rest = (*reader)->next(1 << 20);
  ASSERT_TRUE(rest.isOk());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].data, "second\n");
}

TEST_F(PythonExecutorTest, TheSameProgramGivesTheSameBytesEveryRun) {
  const std::string program =
      "import random, os, time, datetime\n"
      "print(random.random(), os.urandom(8).hex(), time.time(), hash('abc'))\n"
      "print(datetime.datetime.now())\n";
  auto first = run(command(program));
  auto second = run(command(program));
  EXPECT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_EQ(first.stdout_text, second.stdout_text);
  // The clock is fixed at 2000-01-01T00:00:00Z.
  EXPECT_NE(first.stdout_text.find(" 946684800.0 "), std::string::npos) << first.stdout_text;
  EXPECT_NE(first.stdout_text.find("2000-01-01 00:00:00"), std::string::npos);
}

TEST_F(PythonExecutorTest, ArgumentsEnvironmentAndAProgramThatImportsItsContext) {
  auto r = request({{"Program", "/code/main.py"},
                    {"Parameters", boost::json::array{"a", "two words"}},
                    {"WorkingDirectory", "/code"}});
  addInput(r, dir_ / "inputs", "/code",
           {{"main.py",
             "import os, sys, helper\n"
             "print(helper.greet(sys.argv[1:]), os.getcwd(), os.environ.get('GREETING'),\n"
             "      os.environ.get('BACALHAU_JOB_ID'), os.environ.get('HOME') is not None)\n"},
            {"helper.py", "def greet(args): return 'hello ' + ','.join(args)\n"}});
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].env["GREETING"] = "hi";
  r.job = job;
  ::setenv("COD_PYTHON_TEST_SECRET", "from the host", 1);
  auto result = run(r);
  ::unsetenv("COD_PYTHON_TEST_SECRET");
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stdout_text, "hello a,two words /code hi j-pythontest True\n");
}

TEST_F(PythonExecutorTest, ReadsInputsWritesOutputsAndCannotWriteInputs) {
  auto r = command(
      "data = open('inputs/numbers.txt').read().split()\n"
      "open('/outputs/sum.txt', 'w').write(str(sum(map(int, data))))\n"
      "try:\n"
      "    open('/inputs/numbers.txt', 'w')\n"
      "except OSError as e:\n"
      "    print('refused:', e.strerror)\n");
  addInput(r, dir_ / "inputs", "/inputs", {{"numbers.txt", "1 2 3 4"}});
  addOutput(r, "outputs", "/outputs");
  auto result = run(r);
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(readFile(fs::path(r.results_dir) / "outputs" / "sum.txt"), "10");
  EXPECT_EQ(result.stdout_text, "refused: Read-only file system\n");
}

TEST_F(PythonExecutorTest, TheJavaScriptBridgeSeesOnlyTheSandbox) {
  // Pyodide's FFI reaches everything node can: the sandbox is the boundary, so the node's own
  // files are not there for it to read.
  auto result = run(command(
      "from pyodide.code import run_js\n"
      "print(run_js(\"(() => { try { return require('fs').readFileSync('/etc/passwd', 'utf8') }"
      " catch (e) { return 'refused ' + e.code } })()\"))\n"));
  EXPECT_EQ(result.stdout_text.find("root:"), std::string::npos) << result.stdout_text;
}

TEST_F(PythonExecutorTest, UnmetRequirementsFailTheExecutionSayingWhy) {
  auto r = request({{"Command", "print('never')"}, {"Requirements", "/code/requirements.txt"}});
  addInput(r, dir_ / "inputs", "/code", {{"requirements.txt", "numpy==2.0\n"}});
  CancelToken cancel;
  auto result = executor_->run(r, cancel);
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("'numpy' cannot be installed"), std::string::npos)
      << result.status().toString();
}

TEST_F(PythonExecutorTest, TimeoutKillsTheInterpreter) {
  auto r = command("while True: pass");
  r.timeout = 3s;
  CancelToken cancel;
  auto result = executor_->run(r, cancel);
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace cod::executor
