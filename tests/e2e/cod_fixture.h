#pragma once

// End-to-end fixture: the `cod` binary started as a user would start it (`cod serve`,
// `cod devstack`) on free ports in a temp data dir, and `cod` CLI commands run against it.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/client/api_client.h"
#include "common/ids.h"
#include "common/strings.h"
#include "models/json.h"
#include "tests/support/process.h"

namespace cod::testing {

class CodFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cod-e2e-" + newUuid().substr(0, 8));
    std::filesystem::create_directories(dir_);
    api_port_ = freePort();
  }

  void TearDown() override {
    for (auto& p : servers_) {
      if (p && p->running()) {
        p->kill(SIGTERM);
        if (p->wait(std::chrono::seconds(15)) == -1) p->kill(SIGKILL);
      }
    }
    servers_.clear();
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      std::cerr << "e2e data dir kept for inspection: " << dir_ << "\n";
    }
  }

  std::string dataDir() const { return (dir_ / "data").string(); }

  virtual std::map<std::string, std::string> env() const {
    return {{"COD_API_HOST", "127.0.0.1"},
            {"COD_API_PORT", std::to_string(api_port_)},
            {"COD_DIR", dataDir()},
            {"NO_COLOR", "1"}};
  }

  // Starts a server process (`serve …` or `devstack …`) and waits until its API answers.
  Process& startServer(std::vector<std::string> args) {
    std::vector<std::string> argv{COD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data-dir", dataDir(), "--api-port", std::to_string(api_port_),
                             "--api-host", "127.0.0.1"});
    servers_.push_back(std::make_unique<Process>(argv, env(), dir_ / "logs"));
    Process& p = *servers_.back();
    bool up = eventually([&] {
      if (!p.running()) return true;
      auto c = client();
      return c.agentAlive().isOk();
    });
    EXPECT_TRUE(up && p.running()) << "cod did not start:\n" << p.stderrText();
    return p;
  }

  // Free ports for NATS and the result server too, so that tests can run side by side.
  Process& serve(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"serve", "--orchestrator",   "--compute", "--nats-port",
                                  "0",     "--publisher-port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return startServer(args);
  }
  Process& devstack(int computes) {
    return startServer({"devstack", "--computes", std::to_string(computes), "--nats-port", "0",
                        "--publisher-port", "0"});
  }

  // Waits until `n` compute nodes are connected.
  bool waitForComputeNodes(size_t n) {
    return eventually([&] {
      api::client::ListNodesOptions o;
      o.filter_status = "connected";
      auto nodes = client().listNodes(o);
      if (!nodes.isOk()) return false;
      size_t computes = 0;
      for (const auto& node : *nodes) computes += node.info.node_type == "Compute";
      return computes >= n;
    });
  }

  // A compute node as its own process, with its own data dir (`name` under the test dir), joining
  // an orchestrator over NATS.
  Process& startCompute(int nats_port, const std::string& token,
                        const std::string& name = "compute") {
    std::vector<std::string> args{COD_BINARY,
                                  "serve",
                                  "--compute",
                                  "--data-dir",
                                  (dir_ / name).string(),
                                  "--orchestrators",
                                  "nats://127.0.0.1:" + std::to_string(nats_port),
                                  "--token",
                                  token,
                                  "--publisher-port",
                                  "0"};
    servers_.push_back(std::make_unique<Process>(args, env(), dir_ / "logs"));
    return *servers_.back();
  }

  // Runs `cod <args>` against the server.
  RunResult cod(std::vector<std::string> args,
                std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    std::vector<std::string> argv{COD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env(), dir_ / "logs", timeout);
  }

  api::client::ApiClient client() {
    api::client::ClientOptions o;
    o.host = "127.0.0.1";
    o.port = api_port_;
    o.timeout = std::chrono::seconds(10);
    o.tls = !api_ca_file_.empty();
    o.ca_file = api_ca_file_;
    o.headers = api_headers_;
    return std::move(api::client::ApiClient::create(o)).value();
  }

  // Writes a file under the test dir and returns its path.
  std::string writeFile(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  models::JobStateType jobState(const std::string& id) {
    auto job = client().getJob(id);
    return job.isOk() ? job->job.state.state_type : models::JobStateType::kUndefined;
  }

  bool waitForState(const std::string& id, models::JobStateType s,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return eventually([&] { return jobState(id) == s; }, timeout);
  }

  std::filesystem::path dir_;
  int api_port_ = 0;
  // For a server that speaks HTTPS and lets in only its users: what client() trusts and sends.
  std::string api_ca_file_;
  std::vector<std::string> api_headers_;
  std::vector<std::unique_ptr<Process>> servers_;
};

}  // namespace cod::testing
