// The Docker executor against a real dockerd (started by the test) and a locally built image.

#include "executor/docker/docker_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ids.h"
#include "executor/docker/docker_client.h"
#include "tests/support/dockerd.h"
#include "tests/support/services.h"

namespace cod::executor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A daemon that takes the connection and never answers: attaching to a container's output must
// still be given up when asked (the executor does so when the stream outlasts its container).
TEST(DockerClientTest, AnAttachToAStalledDaemonIsGivenUpWhenAsked) {
  fs::path path = fs::temp_directory_path() / ("cod-stalled-" + newUuid().substr(0, 8) + ".sock");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 4), 0);  // connections wait in the backlog, unanswered

  DockerClient client(path.string());
  std::atomic<bool> give_up{false};
  std::atomic<bool> returned{false};
  Status got = Status::ok();
  std::thread follower([&] {
    got = client.attachContainer(
        "c-stalled", [](int, std::string_view) {}, [] {}, &give_up);
    returned = true;
  });
  give_up = true;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!returned && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  bool gave_up = returned;
  if (!gave_up) ::shutdown(fd, SHUT_RDWR);  // let the thread go before failing
  follower.join();
  ::close(fd);
  fs::remove(path);
  ASSERT_TRUE(gave_up);
  EXPECT_EQ(got.code(), StatusCode::kCancelled);
}

class DockerExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    dockerd_ = testing::TestDockerd::get(&why);
    COD_REQUIRE_SERVICE(dockerd_ != nullptr, why);
    executor_ = makeExecutor({});
    dir_ = fs::temp_directory_path() / ("cod-docker-test-" + newUuid());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<DockerExecutor> makeExecutor(DockerSandboxOptions sandbox) {
    DockerExecutorConfig config;
    config.socket = dockerd_->socket();
    config.node_id = "n-test-" + std::to_string(::getpid());
    config.pids_limit = 256;
    config.sandbox = std::move(sandbox);
    EXPECT_TRUE(validateDockerSandbox(&config.sandbox).isOk());
    return std::make_unique<DockerExecutor>(std::move(config));
  }

  ExecutionRequest request(const std::vector<std::string>& cmd,
                           const std::string& image = testing::TestDockerd::kImage) {
    auto job = std::make_shared<models::Job>();
    job->id = "j-test";
    job->type = "batch";
    models::Task t;
    t.name = "main";
    t.engine.type = "docker";
    t.engine.params["Image"] = image;
    boost::json::array params;
    for (auto& c : cmd) params.emplace_back(c);
    t.engine.params["Parameters"] = std::move(params);
    job->tasks.push_back(std::move(t));
    job_ = job;
    ExecutionRequest r;
    r.execution_id = newExecutionId();
    r.job_id = job->id;
    r.job = job;
    r.results_dir = dir_.string();
    r.env["COD_JOB_ID"] = job->id;
    r.resources.cpu = 0.5;
    r.resources.memory = 256'000'000;
    return r;
  }
  models::Task& task() { return job_->tasks[0]; }

  size_t containersOfThisNode() {
    auto ids = executor_->client().listContainers(
        {{"cod.node-id", "n-test-" + std::to_string(::getpid())}});
    return ids.isOk() ? ids->size() : 999;
  }

  testing::TestDockerd* dockerd_ = nullptr;
  std::unique_ptr<DockerExecutor> executor_;
  std::shared_ptr<models::Job> job_;
  fs::path dir_;
  CancelToken cancel_;
};

TEST_F(DockerExecutorTest, RunsAndSeparatesStdoutStderrAndExitCode) {
  ASSERT_TRUE(executor_->isInstalled());
  auto r = request({"sh", "-c", "echo hello; echo oops >&2; exit 3"});
  auto out = executor_->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_EQ(out->stdout_text, "hello\n");
  EXPECT_EQ(out->stderr_text, "oops\n");
  EXPECT_EQ(readFile(dir_ / "stdout"), "hello\n");
  EXPECT_EQ(readFile(dir_ / "stderr"), "oops\n");
  EXPECT_EQ(containersOfThisNode(), 0u) << "the container is removed afterwards";
}

// Output that does not end in a newline is kept, byte for byte, whether the container exits at once
// or after its output is being read. Following Docker's log lost it: dockerd 20.10 drops a last
// line without a newline from a followed log (moby/moby#43860), and a CI run got an empty stdout.
TEST_F(DockerExecutorTest, OutputWithoutAFinalNewlineIsKept) {
  int i = 0;
  for (std::string script :
       {"printf 'a\\377'; printf e >&2", "sleep 0.3; printf 'a\\377'; printf e >&2"}) {
    fs::path dir = dir_ / std::to_string(i++);
    fs::create_directories(dir);
    auto r = request({"sh", "-c", script});
    r.results_dir = dir.string();
    auto out = executor_->run(r, cancel_);
    ASSERT_TRUE(out.isOk()) << out.status().toString();
    EXPECT_EQ(readFile(dir / "stdout"), "a\xFF") << script;
    EXPECT_EQ(readFile(dir / "stderr"), "e") << script;
  }
}

// Lines reach the execution's log while the container still runs: the script prints, then waits
// for a file the test creates in its (mounted) input folder, twice. (Between lines written at the
// same moment, Docker decides the order of stdout and stderr.)
TEST_F(DockerExecutorTest, OutputReachesTheLogWhileTheContainerRuns) {
  fs::path gate = dir_ / "gate";
  fs::create_directories(gate);
  fs::path results = dir_ / "results";
  fs::create_directories(results);
  auto r = request({"sh", "-c",
                    "echo first; while [ ! -e /gate/a ]; do sleep 0.05; done; echo warning >&2; "
                    "while [ ! -e /gate/b ]; do sleep 0.05; done; echo second"});
  r.results_dir = results.string();
  r.inputs.push_back({gate.string(), "/gate", true});
  std::string log_path = executionLogPath(dir_.string(), r.execution_id);
  auto log = ExecutionLogWriter::create(log_path);
  ASSERT_TRUE(log.isOk());
  r.log = *log;
  std::atomic<bool> finished{false};
  Result<models::RunCommandResult> out = internalError("not run");
  std::thread runner([&] {
    out = executor_->run(r, cancel_);
    finished = true;
  });
  auto reader = ExecutionLogReader::open(log_path);
  ASSERT_TRUE(reader.isOk());
  std::vector<LogRecord> seen;
  auto read_until = [&](size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (seen.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto got = (*reader)->next(1 << 20);
      ASSERT_TRUE(got.isOk());
      for (auto& rec : *got) seen.push_back(std::move(rec));
      if (seen.size() < n) std::this_thread::sleep_for(10ms);  // polls the file, not the run
    }
  };
  read_until(1);
  EXPECT_FALSE(finished) << "the container is still waiting for the gate";
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].stream, LogStream::kStdout);
  EXPECT_EQ(seen[0].data, "first\n");
  std::ofstream(gate / "a") << "go";
  read_until(2);
  EXPECT_FALSE(finished);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].stream, LogStream::kStderr);
  EXPECT_EQ(seen[1].data, "warning\n");
  std::ofstream(gate / "b") << "go";
  runner.join();
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  (*log)->close();
  auto rest = (*reader)->next(1 << 20);
  ASSERT_TRUE(rest.isOk());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].data, "second\n");
  EXPECT_TRUE((*reader)->ended());
  EXPECT_EQ(readFile(results / "stdout"), "first\nsecond\n")
      << "the result files stay as they were";
  EXPECT_EQ(out->stderr_text, "warning\n");
}

TEST_F(DockerExecutorTest, ResultPathsComeBackAndEnvAndWorkdirApply) {
  auto r = request({"sh", "-c", "pwd > /outputs/pwd; echo $GREETING $COD_JOB_ID > /outputs/env"});
  task().result_paths.push_back({"outputs", "/outputs"});
  task().env["GREETING"] = "hi";
  task().engine.params["WorkingDirectory"] = "/tmp";
  auto out = executor_->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(readFile(dir_ / "outputs" / "pwd"), "/tmp\n");
  EXPECT_EQ(readFile(dir_ / "outputs" / "env"), "hi j-test\n");
}

// Containers keep only the minimal capabilities: CHOWN(0), FOWNER(3), FSETID(4), KILL(5) and
// NET_BIND_SERVICE(10). Docker's default set (0xa80425fb) also holds DAC_OVERRIDE, SETUID,
// NET_RAW, MKNOD, ...: root in the container could make device files and raw sockets.
TEST_F(DockerExecutorTest, ContainersKeepOnlyTheMinimalCapabilities) {
  auto r = request({"sh", "-c",
                    "grep -E '^Cap(Eff|Bnd):' /proc/self/status; "
                    "mknod /tmp/null c 1 3 2>/dev/null && echo mknod worked"});
  auto out = executor_->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->stdout_text, "CapEff:\t0000000000000439\nCapBnd:\t0000000000000439\n");

  // The operator may name another set.
  DockerSandboxOptions sandbox;
  sandbox.capabilities = {"cap_chown", "NET_RAW"};
  auto executor = makeExecutor(sandbox);
  r = request({"sh", "-c", "grep '^CapEff:' /proc/self/status"});
  out = executor->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->stdout_text, "CapEff:\t0000000000002001\n") << "CHOWN(0) and NET_RAW(13)";
}

// A node configured for a read-only root and a fixed user: the container runs as that user, cannot
// write the image's files, writes /tmp, and writes its result folder, which it owns on the host.
TEST_F(DockerExecutorTest, AReadOnlyRootAndAFixedUserStillWriteTheirResults) {
  DockerSandboxOptions sandbox;
  sandbox.read_only_root = true;
  sandbox.user = "4321:1234";
  auto executor = makeExecutor(sandbox);
  auto r = request({"sh", "-c",
                    "id -u; id -g; touch /etc/x 2>/dev/null || echo read-only; "
                    "echo scratch > /tmp/t && cat /tmp/t; echo done > /outputs/f"});
  task().result_paths.push_back({"outputs", "/outputs"});
  auto out = executor->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->exit_code, 0) << out->stderr_text;
  EXPECT_EQ(out->stdout_text, "4321\n1234\nread-only\nscratch\n");
  EXPECT_EQ(readFile(dir_ / "outputs" / "f"), "done\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "outputs").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4321u);
  EXPECT_EQ(st.st_gid, 1234u);
}

// A node that asks for user namespaces declines docker jobs under a dockerd that does not remap
// them, saying so, at bid time and again before it runs anything.
TEST_F(DockerExecutorTest, ARequiredUserNamespaceRemapIsCheckedAgainstTheDaemon) {
  auto info = executor_->daemonInfo();
  ASSERT_TRUE(info.isOk()) << info.status().toString();
  DockerSandboxOptions sandbox;
  sandbox.require_userns_remap = true;
  auto executor = makeExecutor(sandbox);
  auto r = request({"true"});
  Status bid = executor->validate(task());
  auto out = executor->run(r, cancel_);
  if (info->userns_remap) {
    EXPECT_TRUE(bid.isOk()) << bid.toString();
    EXPECT_TRUE(out.isOk()) << out.status().toString();
    return;
  }
  EXPECT_EQ(bid.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(bid.message().find("does not remap"), std::string::npos) << bid.message();
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(containersOfThisNode(), 0u);
}

// Under a dockerd that remaps user namespaces, root in the container is an unprivileged host uid
// (dockremap's first subordinate one): the node hands the result folder to that uid, shifted by
// the configured user when there is one, so that the job can write its results.
TEST_F(DockerExecutorTest, UnderAUserNamespaceRemapTheResultsBelongToTheRemappedUser) {
  std::string why;
  testing::TestDockerd* remapped = testing::TestDockerd::getRemapped(&why);
  COD_REQUIRE_SERVICE(remapped != nullptr, why);
  for (const std::string user : {"", "1000:1000"}) {
    SCOPED_TRACE("user \"" + user + "\"");
    DockerExecutorConfig config;
    config.socket = remapped->socket();
    config.node_id = "n-test-userns";
    config.sandbox.require_userns_remap = true;
    config.sandbox.user = user;
    DockerExecutor executor(config);
    auto info = executor.daemonInfo();
    ASSERT_TRUE(info.isOk()) << info.status().toString();
    ASSERT_TRUE(info->userns_remap);
    ASSERT_GT(info->remap_uid, 0);
    fs::path results = dir_ / (user.empty() ? "root" : "user");
    fs::create_directories(results);
    auto r = request({"sh", "-c", "id -u; echo written > /outputs/f"});
    r.results_dir = results.string();
    task().result_paths = {{"outputs", "/outputs"}};
    ASSERT_TRUE(executor.validate(task()).isOk());
    auto out = executor.run(r, cancel_);
    ASSERT_TRUE(out.isOk()) << out.status().toString();
    EXPECT_EQ(out->exit_code, 0) << out->stderr_text;
    EXPECT_EQ(out->stdout_text, user.empty() ? "0\n" : "1000\n");
    EXPECT_EQ(readFile(results / "outputs" / "f"), "written\n");
    struct stat st {};
    ASSERT_EQ(::stat((results / "outputs").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, static_cast<uid_t>(info->remap_uid + (user.empty() ? 0 : 1000)));
  }
}

TEST_F(DockerExecutorTest, LargeOutputIsTruncatedInRunOutputButWholeInTheFile) {
  auto r = request({"sh", "-c", "i=0; while [ $i -lt 1000 ]; do echo line-$i; i=$((i+1)); done"});
  auto out = executor_->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->stdout_text.size(), models::kRunOutputLimit);
  EXPECT_TRUE(out->stdout_truncated);
  EXPECT_NE(readFile(dir_ / "stdout").find("line-999\n"), std::string::npos);
}

TEST_F(DockerExecutorTest, NoNetworkUnlessAsked) {
  auto r = request({"sh", "-c", "ls /sys/class/net"});
  auto out = executor_->run(r, cancel_);
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_EQ(out->stdout_text, "lo\n");
}

TEST_F(DockerExecutorTest, MissingImageFailsWithThePullError) {
  auto r = request({"true"}, "cod-test/does-not-exist:nope");
  auto out = executor_->run(r, cancel_);
  ASSERT_FALSE(out.isOk());
  EXPECT_NE(out.status().message().find("could not pull image cod-test/does-not-exist:nope"),
            std::string::npos)
      << out.status().message();
}

TEST_F(DockerExecutorTest, TimeoutKillsAndRemovesTheContainer) {
  auto r = request({"sleep", "30"});
  r.timeout = 1s;
  auto start = std::chrono::steady_clock::now();
  auto out = executor_->run(r, cancel_);
  ASSERT_FALSE(out.isOk());
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(out.status().message(), "execution timed out after 1s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_EQ(containersOfThisNode(), 0u);
}

TEST_F(DockerExecutorTest, CancelStopsTheContainer) {
  auto r = request({"sleep", "30"});
  std::thread canceller([&] {
    // Cancel once the container is up.
    for (int i = 0; i < 400 && containersOfThisNode() == 0; ++i) std::this_thread::sleep_for(25ms);
    cancel_.cancel();
  });
  auto out = executor_->run(r, cancel_);
  canceller.join();
  ASSERT_FALSE(out.isOk());
  EXPECT_EQ(out.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(containersOfThisNode(), 0u);
}

// The test dockerd has no NVIDIA container toolkit: asking for a GPU reaches the daemon, which
// names the device driver it lacks, and the error says what to install. (bench/gpu_check.sh runs
// it for real where there is a GPU.)
TEST_F(DockerExecutorTest, AGpuOnADaemonWithoutTheNvidiaToolkitFailsSayingWhatIsMissing) {
  auto r = request({"true"});
  r.resources.gpu = 1;
  r.gpus = {{0, "NVIDIA H200", "NVIDIA", 143771, "0000:18:00.0"}};
  auto out = executor_->run(r, cancel_);
  if (out.isOk()) GTEST_SKIP() << "this dockerd has an nvidia device driver";
  EXPECT_NE(out.status().message().find("nvidia"), std::string::npos) << out.status().toString();
  EXPECT_NE(out.status().hint().find("NVIDIA container toolkit"), std::string::npos)
      << out.status().toString();
  EXPECT_EQ(containersOfThisNode(), 0u);
}

TEST_F(DockerExecutorTest, ValidateNamesTheBadParam) {
  models::Task t;
  t.engine.type = "docker";
  EXPECT_NE(executor_->validate(t).message().find("Params.Image"), std::string::npos);
  t.engine.params["Image"] = "busybox";
  t.engine.params["WorkingDirectory"] = "relative";
  EXPECT_NE(executor_->validate(t).message().find("must be an absolute path"), std::string::npos);
}

TEST_F(DockerExecutorTest, RemovesOrphansOfThisNode) {
  boost::json::object spec{
      {"Image", testing::TestDockerd::kImage},
      {"Cmd", boost::json::array{"sleep", "30"}},
      {"Labels", boost::json::object{{"cod.node-id", "n-test-" + std::to_string(::getpid())}}}};
  auto id = executor_->client().createContainer(spec, "cod-orphan-" + newUuid());
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  ASSERT_EQ(containersOfThisNode(), 1u);
  auto removed = executor_->recover();
  ASSERT_TRUE(removed.isOk());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(containersOfThisNode(), 0u);
}

}  // namespace
}  // namespace cod::executor
