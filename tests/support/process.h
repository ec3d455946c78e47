#pragma once

// Running the `cod` binary (and other programs) from tests, as a user would: a child process with
// its own environment, stdout/stderr captured to files, waited on with deadlines.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cod::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A TCP port that was free a moment ago.
inline int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// Polls `condition` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

class Process {
 public:
  // Starts `argv` with the current environment plus `env`, in `dir` (for captured output).
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env,
          std::filesystem::path dir)
      : dir_(std::move(dir)) {
    static int counter = 0;
    std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    out_ = dir_ / ("stdout-" + tag);
    err_ = dir_ / ("stderr-" + tag);
    std::filesystem::create_directories(dir_);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int o = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() {
    if (running()) {
      kill(SIGKILL);
      wait(std::chrono::seconds(10));
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void kill(int sig) { ::kill(pid_, sig); }

  bool running() {
    if (exited_) return false;
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) record(status);
    return !exited_;
  }

  // Waits for exit; the exit code, or -1 on timeout, 128+signal when killed.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return code_;
  }

  std::string stdoutText() const { return slurp(out_); }
  std::string stderrText() const { return slurp(err_); }

 private:
  void record(int status) {
    exited_ = true;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::filesystem::path dir_;
  std::filesystem::path out_;
  std::filesystem::path err_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = -1;
};

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (or kills it after `timeout`).
inline RunResult run(std::vector<std::string> argv, std::map<std::string, std::string> env,
                     const std::filesystem::path& dir,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  Process p(std::move(argv), std::move(env), dir);
  RunResult r;
  r.code = p.wait(timeout);
  if (r.code == -1) {
    p.kill(SIGKILL);
    p.wait(std::chrono::seconds(5));
  }
  r.out = p.stdoutText();
  r.err = p.stderrText();
  return r;
}

}  // namespace cod::testing
