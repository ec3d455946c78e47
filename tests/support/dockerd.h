#pragma once

// A private Docker daemon for tests: its own socket, data and exec roots in a temp dir, no bridge
// and no firewall rules (reference/test-services.md), with the local test image loaded (the python
// image only on demand). Started once per test binary (it takes ~0.5 s) and stopped at exit.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "executor/docker/docker_client.h"

namespace cod::testing {

class TestDockerd {
 public:
  static constexpr const char* kImage = "cod-test/busybox:latest";
  static constexpr const char* kPythonImage = "cod-test/python:latest";

  // The shared daemon; nullptr (with `why` set) when it cannot run here.
  static TestDockerd* get(std::string* why) {
    // Destroyed (and the daemon stopped) when the test binary exits.
    static TestDockerd instance;
    static bool started = (instance.start(), true);
    (void)started;
    if (!instance.error_.empty()) {
      *why = instance.error_;
      return nullptr;
    }
    return &instance;
  }

  // A second daemon that runs containers in a user namespace (--userns-remap=default: root in a
  // container is dockremap's first subordinate uid on the host), started on first use.
  static TestDockerd* getRemapped(std::string* why) {
    static TestDockerd instance;
    static bool started = (instance.start(/*userns_remap=*/true), true);
    (void)started;
    if (!instance.error_.empty()) {
      *why = instance.error_;
      return nullptr;
    }
    return &instance;
  }

  const std::string& socket() const { return socket_; }

  // Loads kPythonImage (Debian's python3 and pip) the first time a test asks for it: built cold
  // it takes a minute or two of debootstrap, so only the tests that run Python in Docker pay,
  // and scripts/python-image.sh caches it across runs. False, with `why` set, when it cannot be
  // built here.
  bool loadPythonImage(std::string* why) {
    static const std::string error = loadImage("python-image.sh", kPythonImage);
    if (!error.empty()) {
      *why = error;
      return false;
    }
    return true;
  }

  ~TestDockerd() { stop(); }

 private:
  void start(bool userns_remap = false) {
    if (access("/usr/sbin/dockerd", X_OK) != 0) {
      error_ = "dockerd is not installed (scripts/install-deps.sh installs docker.io)";
      return;
    }
    dir_ = std::filesystem::temp_directory_path() /
           ((userns_remap ? "cod-dockerd-userns-" : "cod-dockerd-") + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "docker.sock").string();
    pid_ = fork();
    if (pid_ == 0) {
      std::string log = (dir_ / "dockerd.log").string();
      FILE* f = freopen(log.c_str(), "w", stderr);
      (void)f;
      dup2(2, 1);
      std::string host = "unix://" + socket_;
      std::string data = (dir_ / "data").string();
      std::string exec = (dir_ / "exec").string();
      std::string pid = (dir_ / "dockerd.pid").string();
      std::vector<const char*> argv = {"dockerd",       "--host",           host.c_str(),
                                       "--data-root",   data.c_str(),       "--exec-root",
                                       exec.c_str(),    "--pidfile",        pid.c_str(),
                                       "--bridge=none", "--iptables=false", "--ip-masq=false"};
      if (userns_remap) argv.push_back("--userns-remap=default");
      argv.push_back(nullptr);
      execv("/usr/sbin/dockerd", const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    executor::DockerClient client(socket_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!client.ping().isOk()) {
      bool exited = waitpid(pid_, nullptr, WNOHANG) != 0;
      if (exited) pid_ = -1;  // reaped: its pid may be another process's by the time stop() runs
      if (exited || std::chrono::steady_clock::now() > deadline) {
        error_ = "dockerd did not start; see " + (dir_ / "dockerd.log").string();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = loadImage("test-image.sh", kImage);
  }

  // Runs scripts/SCRIPT, which builds TAG into this daemon unless it is there; "" or why not.
  std::string loadImage(const std::string& script, const std::string& tag) const {
    std::string cmd =
        std::string(COD_SOURCE_DIR) + "/scripts/" + script + " " + socket_ + " " + tag;
    if (std::system(cmd.c_str()) != 0) return "could not build the test image " + tag + ": " + cmd;
    return "";
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::filesystem::path dir_;
  std::string socket_;
  pid_t pid_ = -1;
  std::string error_;
};

}  // namespace cod::testing
