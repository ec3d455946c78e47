#pragma once

// A real IPFS node for tests: js-ipfs 0.66 (a Kubo-compatible RPC API), offline, with its own repo
// and random ports (tests/support/jsipfs.sh; reference/test-services.md). Started once per test
// binary. Content is added with the js-ipfs CLI and CIDs are checked with Debian's `ipfs_cid`:
// clients independent of cod. scripts/test-services.sh and scripts/install-deps.sh install them.

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/process.h"

namespace cod::testing {

class TestIpfsNode {
 public:
  // The shared node; nullptr (with `why` set) when it cannot run here.
  static TestIpfsNode* get(std::string* why) {
    static TestIpfsNode instance;
    static bool started = (instance.start(), true);
    (void)started;
    if (!instance.error_.empty()) {
      *why = instance.error_;
      return nullptr;
    }
    return &instance;
  }

  ~TestIpfsNode() {
    daemon_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  TestIpfsNode(const TestIpfsNode&) = delete;
  TestIpfsNode& operator=(const TestIpfsNode&) = delete;

  // The RPC API's multiaddr, as --ipfs-connect takes it: /ip4/127.0.0.1/tcp/PORT/http.
  const std::string& multiaddr() const { return api_; }

  // Adds a file or folder with `jsipfs add -r -Q`; its CID (v0), or "" on failure.
  std::string add(const std::string& path) const {
    auto r = run({script(), repo().string(), "add", "-r", "-Q", "--cid-version", "0", path}, {},
                 dir_ / "logs");
    std::string out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return r.code == 0 ? out : "";
  }

  // The bytes at an IPFS path ("CID" or "CID/sub/file") by `jsipfs cat`; nullopt on failure.
  std::optional<std::string> cat(const std::string& path) const {
    auto r = run({script(), repo().string(), "cat", path}, {}, dir_ / "logs");
    if (r.code != 0) return std::nullopt;
    return r.out;
  }

  // Fetches a CID's tree into the folder `dir` (created) with `jsipfs get`; true on success.
  bool get(const std::string& cid, const std::string& dir) const {
    std::filesystem::path tmp = dir_ / ("get-" + cid);
    auto r = run({script(), repo().string(), "get", cid, "-o", tmp.string()}, {}, dir_ / "logs");
    if (r.code != 0) return false;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    // Older CLIs write <out>/<cid>, newer ones <out> itself.
    std::filesystem::path root = std::filesystem::is_directory(tmp / cid) ? tmp / cid : tmp;
    std::filesystem::rename(root, dir, ec);
    std::filesystem::remove_all(tmp);
    return !ec;
  }

  // The CIDv0 Debian's ipfs_cid computes for a single file ("" when it cannot).
  static std::string independentCid(const std::string& file) {
    auto r = run({"/usr/bin/ipfs_cid", file}, {}, std::filesystem::temp_directory_path());
    size_t at = r.out.find("\"CIDv0\":\"");
    if (r.code != 0 || at == std::string::npos) return "";
    at += 9;
    return r.out.substr(at, r.out.find('"', at) - at);
  }

 private:
  TestIpfsNode() = default;
  static std::string script() { return std::string(COD_SOURCE_DIR) + "/tests/support/jsipfs.sh"; }
  std::filesystem::path repo() const { return dir_ / "repo"; }

  void start() {
    if (access("/usr/bin/ipfs_cid", X_OK) != 0) {
      error_ = "ipfs-cid is not installed (scripts/install-deps.sh installs it)";
      return;
    }
    dir_ = std::filesystem::temp_directory_path() / ("cod-ipfs-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{"/bin/bash", script(), repo().string(), "daemon"},
        std::map<std::string, std::string>{}, dir_ / "logs");
    // The api file appears when the RPC server listens; "Daemon is ready" when all is up.
    bool up = eventually(
        [&] {
          return !daemon_->running() ||
                 daemon_->stdoutText().find("Daemon is ready") != std::string::npos;
        },
        std::chrono::seconds(60));
    if (!up || !daemon_->running()) {
      error_ = "js-ipfs did not start: " + daemon_->stderrText();
      return;
    }
    std::string api = slurp(repo() / "api");
    while (!api.empty() && (api.back() == '\n' || api.back() == ' ')) api.pop_back();
    if (api.empty()) {
      error_ = "js-ipfs wrote no api file in " + repo().string();
      return;
    }
    api_ = api;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Process> daemon_;
  std::string api_;
  std::string error_;
};

}  // namespace cod::testing
