#pragma once

// A real S3 server for tests: @20minutes/s3rver, which verifies SigV4 signatures
// (reference/test-services.md), on a free loopback port with its own data dir and one bucket.
// Started once per test binary; objects are uploaded with awscli, an independent S3 client.
// scripts/test-services.sh installs both (make test runs it).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.h"

namespace cod::testing {

class TestS3Server {
 public:
  static constexpr const char* kBucket = "cod-test";
  static constexpr const char* kAccessKey = "AKIACODTEST0000000000";
  static constexpr const char* kSecretKey = "cod+test/secret/0123456789abcdefghijklmn";

  // The shared server; nullptr (with `why` set) when it cannot run here.
  static TestS3Server* get(std::string* why) {
    static TestS3Server instance;
    static bool started = (instance.start(), true);
    (void)started;
    if (!instance.error_.empty()) {
      *why = instance.error_;
      return nullptr;
    }
    return &instance;
  }

  // A server that died under the tests says so, with its last words, when the binary exits: a
  // test that then failed with "Couldn't connect" has its cause next to it in the log.
  ~TestS3Server() {
    if (server_ && !server_->running()) {
      std::fprintf(stderr, "s3rver (port %d) died during the tests: exit %d\n%s\n", port_,
                   server_->wait(std::chrono::seconds(0)), server_->stderrText().c_str());
    }
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Uploads a file with `aws s3 cp`; a failure carries what awscli said (and whether the server
  // is still up), so the test's log shows why. Tests upload their fixtures with it before cod
  // runs, so it tries three times: one CI run saw the first upload to a fresh server fail, with
  // nothing of cod's involved. A retry is said on stderr.
  ::testing::AssertionResult upload(const std::string& file, const std::string& key) const {
    ::testing::AssertionResult r = ::testing::AssertionFailure();
    for (int attempt = 1; attempt <= 3; ++attempt) {
      r = aws({"cp", "--only-show-errors", file, std::string("s3://") + kBucket + "/" + key});
      if (r) return r;
      std::fprintf(stderr, "upload attempt %d failed: %s\n", attempt, r.message());
    }
    return r;
  }

  // Downloads an object with `aws s3 cp`.
  ::testing::AssertionResult download(const std::string& key, const std::string& file) const {
    return aws({"cp", "--only-show-errors", std::string("s3://") + kBucket + "/" + key, file});
  }

  // Downloads every object under a prefix into a folder with `aws s3 cp --recursive`.
  ::testing::AssertionResult downloadPrefix(const std::string& prefix,
                                            const std::string& dir) const {
    return aws({"cp", "--recursive", "--only-show-errors",
                std::string("s3://") + kBucket + "/" + prefix, dir});
  }

  std::map<std::string, std::string> awsEnv() const {
    return {{"AWS_ACCESS_KEY_ID", kAccessKey},
            {"AWS_SECRET_ACCESS_KEY", kSecretKey},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"HOME", dir_.string()}};
  }

 private:
  static constexpr const char* kAws = "/usr/bin/aws";

  // `aws --endpoint-url … s3 ARGS…`.
  ::testing::AssertionResult aws(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{kAws, "--endpoint-url", endpoint(), "s3"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, awsEnv(), dir_ / "logs");
    if (r.code == 0) return ::testing::AssertionSuccess();
    std::string command = "aws s3";
    for (const auto& a : args) command += " " + a;
    return ::testing::AssertionFailure()
           << command << " exited " << r.code << " (s3rver on port " << port_
           << (server_ && server_->running() ? " is up" : " is down") << "): " << r.err << r.out;
  }

  static std::string servicesDir() {
    const char* dir = std::getenv("COD_TEST_SERVICES");
    if (dir != nullptr && *dir != '\0') return dir;
    const char* home = std::getenv("HOME");
    return std::string(home != nullptr ? home : "/root") + "/.cache/cod-test-services";
  }

  void start() {
    std::string modules = servicesDir() + "/node_modules";
    if (!std::filesystem::exists(modules + "/@20minutes/s3rver")) {
      error_ = "s3rver is not installed in " + modules + " (scripts/test-services.sh installs it)";
      return;
    }
    if (access(kAws, X_OK) != 0) {
      error_ = "awscli is not installed (scripts/install-deps.sh installs it)";
      return;
    }
    dir_ = std::filesystem::temp_directory_path() / ("cod-s3rver-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "data");
    server_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/node",
                                 std::string(COD_SOURCE_DIR) + "/tests/support/s3rver.js",
                                 (dir_ / "data").string(), kAccessKey, kSecretKey, kBucket},
        std::map<std::string, std::string>{{"NODE_PATH", modules},
                                           {"NODE_OPTIONS", "--openssl-legacy-provider"}},
        dir_ / "logs");
    bool up = eventually([&] {
      std::string out = server_->stdoutText();
      return !server_->running() || out.find('\n') != std::string::npos;
    });
    std::string out = server_->stdoutText();
    if (!up || !server_->running() || out.empty()) {
      error_ = "s3rver did not start: " + server_->stderrText();
      return;
    }
    port_ = std::stoi(out);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Process> server_;
  int port_ = 0;
  std::string error_;
};

}  // namespace cod::testing
