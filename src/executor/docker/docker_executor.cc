#include "executor/docker/docker_executor.h"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/units.h"

namespace cod::executor {

namespace bj = boost::json;
namespace fs = std::filesystem;

namespace {

// Kills the container if the execution is cancelled, for as long as the run lasts.
struct Canceller {
  std::mutex mu;
  DockerClient client;
  std::string container_id;
  bool done = false;
};

}  // namespace

DockerExecutor::DockerExecutor(DockerExecutorConfig config)
    : config_(std::move(config)), client_(config_.socket) {}

bool DockerExecutor::isInstalled() {
  std::lock_guard lock(installed_mu_);
  auto now = std::chrono::steady_clock::now();
  if (now - installed_checked_ > std::chrono::seconds(5)) {
    installed_ = client_.ping().isOk();
    installed_checked_ = now;
    if (!installed_) daemon_info_.reset();  // it may come back with other options
  }
  return installed_;
}

Result<std::optional<DockerExecutor::ResultOwner>> DockerExecutor::resultOwner() {
  COD_ASSIGN_OR_RETURN(std::optional<NumericUser> user, parseDockerUser(config_.sandbox.user));
  int64_t uid = user ? user->uid : 0;
  int64_t gid = user ? user->gid : 0;
  // A remapping daemon is asked only when it may matter: a fixed user or a required remap.
  if (user || config_.sandbox.require_userns_remap) {
    COD_ASSIGN_OR_RETURN(DaemonInfo info, daemonInfo());
    if (info.userns_remap && info.remap_uid > 0) {
      uid += info.remap_uid;
      gid += info.remap_gid;
    }
  }
  if (uid == 0 && gid == 0) return std::optional<ResultOwner>();
  return std::optional<ResultOwner>(ResultOwner{static_cast<uid_t>(uid), static_cast<gid_t>(gid)});
}

Result<DaemonInfo> DockerExecutor::daemonInfo() {
  {
    std::lock_guard lock(installed_mu_);
    if (daemon_info_) return *daemon_info_;
  }
  COD_ASSIGN_OR_RETURN(DaemonInfo info, client_.info());
  std::lock_guard lock(installed_mu_);
  daemon_info_ = info;
  return info;
}

Status DockerExecutor::validate(const models::Task& task) {
  COD_RETURN_IF_ERROR(validateDockerTask(task));
  if (config_.sandbox.require_userns_remap) {
    COD_ASSIGN_OR_RETURN(DaemonInfo info, daemonInfo());
    if (!info.userns_remap) {
      return failedPrecondition(
                 "this node runs docker jobs only in a user namespace, and its dockerd does not "
                 "remap them")
          .withHint(
              "Start dockerd with --userns-remap=default, or drop "
              "Engines.Types.Docker.RequireUserNamespace from the node's config")
          .withComponent("Docker");
    }
  }
  return Status::ok();
}

Result<models::RunCommandResult> DockerExecutor::run(const ExecutionRequest& request,
                                                     CancelToken& cancel) {
  COD_RETURN_IF_ERROR(validate(request.job->task()));
  ContainerSpecOptions options;
  options.node_id = config_.node_id;
  options.pids_limit = config_.pids_limit;
  options.sandbox = config_.sandbox;
  options.gpu_device_nodes = [](const models::Gpu& g) -> Result<std::vector<std::string>> {
    auto nodes = driNodesByPciAddress(g.pci_address);
    if (nodes.isOk()) return nodes;
    // Another node may have its device files in place.
    return unavailable(g.vendor + " GPU " + std::to_string(g.index) +
                       " cannot be given to the container: " + nodes.status().message())
        .withHint("Check that the GPU's driver is loaded and udev made /dev/dri/by-path")
        .withComponent("Docker");
  };
  COD_ASSIGN_OR_RETURN(ContainerSpec container, buildContainerSpec(request, options));
  COD_ASSIGN_OR_RETURN(std::optional<ResultOwner> owner, resultOwner());
  for (const std::string& host : container.result_dirs) {
    std::error_code ec;
    fs::create_directory(host, ec);
    if (ec) return internalError("cannot create " + host + ": " + ec.message());
    // The container's user writes there; on the host it is that user, shifted by a remap.
    if (owner && ::chown(host.c_str(), owner->uid, owner->gid) != 0) {
      return internalError("cannot hand " + host +
                           " to the container's user: " + std::strerror(errno));
    }
  }
  const bj::object& spec = container.body;

  std::string name = "cod-" + request.execution_id;
  // Create straight away (one call when the image is here, the usual case); pull only when the
  // daemon says the image is missing, and clear a container left by an earlier attempt.
  auto created = client_.createContainer(spec, name);
  if (created.status().code() == StatusCode::kNotFound &&
      client_.inspectImage(container.image).code() == StatusCode::kNotFound) {
    spdlog::info("execution {}: pulling image {}", request.execution_id, container.image);
    COD_RETURN_IF_ERROR(client_.pullImage(container.image));
    if (cancel.cancelled()) return cancelled("execution cancelled");
    created = client_.createContainer(spec, name);
  } else if (created.status().code() == StatusCode::kAlreadyExists) {
    (void)client_.removeContainer(name);
    created = client_.createContainer(spec, name);
  }
  if (!created.isOk()) return created.status();
  std::string id = *created;

  auto canceller = std::make_shared<Canceller>();
  canceller->client = client_;
  canceller->container_id = id;
  cancel.onCancel([canceller] {
    std::lock_guard lock(canceller->mu);
    if (!canceller->done) (void)canceller->client.killContainer(canceller->container_id);
  });
  auto finish = [&](Status st) -> Status {
    {
      std::lock_guard lock(canceller->mu);
      canceller->done = true;
    }
    Status removed = client_.removeContainer(id);
    if (!removed.isOk()) {
      spdlog::warn("execution {}: could not remove container {}: {}", request.execution_id, id,
                   removed.message());
    }
    return st;
  };

  // Output: the container's stdio, attached before it starts so that nothing it writes is missed,
  // goes to the `stdout`/`stderr` files and to the live log as it arrives.
  std::ofstream out(fs::path(request.results_dir) / "stdout", std::ios::binary);
  std::ofstream err(fs::path(request.results_dir) / "stderr", std::ios::binary);
  Status logs = Status::ok();
  std::atomic<bool> give_up_logs{false};
  std::mutex follower_mu;
  std::condition_variable follower_cv;
  bool attached = false;
  bool follower_done = false;
  std::thread follower([&] {
    Status got = client_.attachContainer(
        id,
        [&](int stream, std::string_view data) {
          (stream == 2 ? err : out).write(data.data(), static_cast<std::streamsize>(data.size()));
          if (request.log) {
            request.log->write(stream == 2 ? LogStream::kStderr : LogStream::kStdout, data);
          }
        },
        [&] {
          std::lock_guard lock(follower_mu);
          attached = true;
          follower_cv.notify_all();
        },
        &give_up_logs);
    std::lock_guard lock(follower_mu);
    logs = std::move(got);
    follower_done = true;
    follower_cv.notify_all();
  });
  auto stop_follower = [&] {
    give_up_logs = true;
    follower.join();
    out.close();
    err.close();
  };
  {
    std::unique_lock lock(follower_mu);
    follower_cv.wait_for(lock, config_.log_drain_timeout,
                         [&] { return attached || follower_done; });
  }
  bool was_attached = false;
  {
    std::lock_guard lock(follower_mu);
    was_attached = attached;
  }
  if (!was_attached) {
    stop_follower();
    Status why = logs.isOk()
                     ? unavailable("Docker did not attach to the container's output within " +
                                   formatDuration(config_.log_drain_timeout))
                     : logs;
    return finish(why.withComponent("Docker"));
  }

  Status started = client_.startContainer(id);
  if (!started.isOk()) {
    stop_follower();
    if (!request.gpus.empty() && started.message().find("device driver") != std::string::npos) {
      // dockerd has no "nvidia" device driver without the NVIDIA container toolkit.
      started.withHint(
          "Install the NVIDIA container toolkit on the compute node and restart dockerd, or run "
          "GPU jobs elsewhere");
    }
    return finish(started);
  }
  // A cancel that came between create and start found nothing running to kill.
  if (cancel.cancelled()) {
    (void)client_.killContainer(id);
    stop_follower();
    return finish(cancelled("execution cancelled"));
  }

  int64_t timeout_ms =
      request.timeout.count() > 0
          ? std::chrono::duration_cast<std::chrono::milliseconds>(request.timeout).count()
          : 0;
  auto waited = client_.waitContainer(id, timeout_ms);
  if (!waited.isOk()) (void)client_.killContainer(id);
  // The stream ends when the container stops; one that goes on (the kill failed, dockerd stalls)
  // is given up after a while rather than hold the run, and its cancel, forever.
  bool drained = false;
  {
    std::unique_lock lock(follower_mu);
    drained = follower_cv.wait_for(lock, config_.log_drain_timeout, [&] { return follower_done; });
  }
  if (!drained) give_up_logs = true;
  follower.join();
  out.close();
  err.close();
  if (!drained) {
    return finish(unavailable("the container's output did not end within " +
                              formatDuration(config_.log_drain_timeout) +
                              " after it stopped; gave up reading it")
                      .withComponent("Docker"));
  }
  if (!waited.isOk()) {
    if (waited.status().code() == StatusCode::kDeadlineExceeded && !cancel.cancelled()) {
      return finish(deadlineExceeded("execution timed out after " + formatDuration(request.timeout))
                        .withHint("Increase the task timeout or allocate more resources")
                        .withComponent("Docker"));
    }
  }
  if (cancel.cancelled()) return finish(cancelled("execution cancelled"));
  if (!waited.isOk()) return finish(waited.status());

  if (!logs.isOk()) return finish(logs);

  auto state = client_.inspectContainer(id);
  if (state.isOk() && state->oom_killed) {
    return finish(resourceExhausted("the task ran out of memory (limit " +
                                    formatBytes(request.resources.memory) + ")")
                      .withHint("Request more memory for the task (e.g. --memory 2gb)")
                      .withComponent("Docker"));
  }
  auto result = resultFromOutputFiles(request.results_dir, *waited);
  Status done = finish(Status::ok());
  (void)done;
  return result;
}

Result<int> DockerExecutor::recover() {
  if (!isInstalled()) return 0;
  COD_ASSIGN_OR_RETURN(auto ids, client_.listContainers({{kLabelNode, config_.node_id}}));
  int removed = 0;
  for (const auto& id : ids) {
    if (client_.removeContainer(id).isOk()) ++removed;
  }
  return removed;
}

}  // namespace cod::executor
