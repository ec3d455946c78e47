#pragma once

// Runs tasks as Docker containers through the Docker Engine API (DESIGN §6).
//
// Engine Params (Bacalhau's): Image (required), Entrypoint []string, Parameters []string,
// EnvironmentVariables []string "K=V", WorkingDirectory (absolute).
//
// Each execution is one container named cod-<execution-id> and labelled with the execution, job
// and node IDs, so that a restarted node can remove what it left behind (recover). The image
// is used when present locally and pulled otherwise. Resources become NanoCpus/Memory limits;
// the network is `none` unless the task asks for Host (host) or Full/Bridge (bridge); every
// container gets `no-new-privileges`, a pids limit, no swap beyond its memory, and only the
// capabilities of DockerSandboxOptions (a read-only root, a fixed user and a required
// user-namespace remap are the node's options). Each ResultPath is a read-write bind mount
// of <results_dir>/<name>, owned by the container's user on the host (the configured user,
// shifted by the daemon's user-namespace remap when it has one). The GPUs the compute node
// allocated are passed as DeviceRequests (NVIDIA) or as their device files (AMD, Intel);
// container_spec.h builds the create call's body. Logs are demultiplexed into <results_dir>/stdout
// and stderr. The container is removed afterwards, whatever happened.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include <sys/types.h>

#include "executor/docker/container_spec.h"
#include "executor/docker/docker_client.h"
#include "executor/executor.h"

namespace cod::executor {

struct DockerExecutorConfig {
  std::string socket;  // "" = $DOCKER_HOST or /var/run/docker.sock
  std::string node_id;
  int64_t pids_limit = 2048;
  // How long the container's log stream may go on after the container stopped (or was killed);
  // past it the stream is given up and the run fails, rather than wait on a stalled dockerd.
  std::chrono::milliseconds log_drain_timeout{30000};
  DockerSandboxOptions sandbox;  // validated (validateDockerSandbox)
};

class DockerExecutor final : public Executor {
 public:
  explicit DockerExecutor(DockerExecutorConfig config);

  std::string name() const override { return "docker"; }
  bool isInstalled() override;
  Status validate(const models::Task& task) override;
  Result<models::RunCommandResult> run(const ExecutionRequest& request,
                                       CancelToken& cancel) override;

  // Removes every container labelled with this node's ID (they belong to executions of an earlier
  // life of the node). Returns how many were removed; 0 when Docker is not available.
  Result<int> recover() override;

  DockerClient& client() { return client_; }
  // The daemon's user-namespace setting: read once it answers, re-read when it restarts (a ping
  // that fails in between).
  Result<DaemonInfo> daemonInfo();

 private:
  DockerExecutorConfig config_;
  DockerClient client_;
  // Whom the result folders belong to on the host; nullopt = root, as created.
  struct ResultOwner {
    uid_t uid;
    gid_t gid;
  };
  Result<std::optional<ResultOwner>> resultOwner();

  std::mutex installed_mu_;
  std::chrono::steady_clock::time_point installed_checked_{};
  bool installed_ = false;
  std::optional<DaemonInfo> daemon_info_;  // guarded by installed_mu_
};

}  // namespace cod::executor
