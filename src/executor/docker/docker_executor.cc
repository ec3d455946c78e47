#include "executor/docker/docker_executor.h"

#include <filesystem>
#include <fstream>
#include <memory>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "models/json.h"

namespace cod::executor {

namespace bj = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kLabelExecution = "cod.execution-id";
constexpr const char* kLabelJob = "cod.job-id";
constexpr const char* kLabelNode = "cod.node-id";

struct DockerParams {
  std::string image;
  std::vector<std::string> entrypoint;
  bool has_entrypoint = false;
  std::vector<std::string> parameters;
  std::vector<std::string> env;
  std::string working_dir;
};

Status readStrings(const bj::object& params, std::string_view key, std::vector<std::string>* out,
                   bool* present = nullptr) {
  const auto* v = models::findKey(params, key);
  if (!v || v->is_null()) return Status::ok();
  if (!v->is_array()) {
    return invalidArgument("docker Params." + std::string(key) + ": expected a list of strings");
  }
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      return invalidArgument("docker Params." + std::string(key) + ": expected a list of strings");
    }
    out->emplace_back(item.as_string());
  }
  if (present) *present = true;
  return Status::ok();
}

Result<DockerParams> parseParams(const models::Task& task) {
  DockerParams p;
  const auto& params = task.engine.params;
  const auto* image = models::findKey(params, "Image");
  if (!image || !image->is_string() || trim(image->as_string()).empty()) {
    return invalidArgument("docker Params.Image: an image is required (e.g. \"busybox:1.37\")");
  }
  p.image = std::string(trim(image->as_string()));
  COD_RETURN_IF_ERROR(readStrings(params, "Entrypoint", &p.entrypoint, &p.has_entrypoint));
  COD_RETURN_IF_ERROR(readStrings(params, "Parameters", &p.parameters));
  COD_RETURN_IF_ERROR(readStrings(params, "EnvironmentVariables", &p.env));
  for (const auto& kv : p.env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      return invalidArgument("docker Params.EnvironmentVariables: \"" + kv +
                             "\" is not of the form NAME=value");
    }
    if (startsWith(kv, "BACALHAU_") || startsWith(kv, "COD_")) {
      return invalidArgument("docker Params.EnvironmentVariables: \"" + kv +
                             "\": names starting with BACALHAU_ or COD_ are reserved");
    }
  }
  if (const auto* wd = models::findKey(params, "WorkingDirectory"); wd && wd->is_string()) {
    p.working_dir = std::string(wd->as_string());
    if (!p.working_dir.empty() && p.working_dir.front() != '/') {
      return invalidArgument("docker Params.WorkingDirectory: \"" + p.working_dir +
                             "\" must be an absolute path");
    }
  }
  return p;
}

Result<std::string> networkMode(const models::NetworkConfig& network) {
  switch (network.type) {
    case models::NetworkType::kDefault:
    case models::NetworkType::kNone: return std::string("none");
    case models::NetworkType::kHost: return std::string("host");
    case models::NetworkType::kFull:
    case models::NetworkType::kBridge: return std::string("bridge");
    case models::NetworkType::kHttp: break;
  }
  return invalidArgument(
      "Network.Type HTTP (a domain allow-list) is not supported by the docker engine on this "
      "node; use Full, Host or None");
}

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
  }
  return installed_;
}

Status DockerExecutor::validate(const models::Task& task) {
  COD_RETURN_IF_ERROR(parseParams(task).status());
  return networkMode(task.network).status();
}

Result<models::RunCommandResult> DockerExecutor::run(const ExecutionRequest& request,
                                                     CancelToken& cancel) {
  const models::Task& task = request.job->task();
  COD_ASSIGN_OR_RETURN(DockerParams p, parseParams(task));
  COD_ASSIGN_OR_RETURN(std::string network, networkMode(task.network));

  bj::object spec;
  spec["Image"] = p.image;
  if (p.has_entrypoint) {
    bj::array ep;
    for (const auto& s : p.entrypoint) ep.emplace_back(s);
    spec["Entrypoint"] = std::move(ep);
  }
  if (!p.parameters.empty()) {
    bj::array cmd;
    for (const auto& s : p.parameters) cmd.emplace_back(s);
    spec["Cmd"] = std::move(cmd);
  }
  bj::array env;
  for (const auto& kv : p.env) env.emplace_back(kv);
  for (const auto& [k, v] : task.env) env.emplace_back(k + "=" + v);
  for (const auto& [k, v] : request.env) env.emplace_back(k + "=" + v);
  spec["Env"] = std::move(env);
  if (!p.working_dir.empty()) spec["WorkingDir"] = p.working_dir;
  spec["Tty"] = false;
  spec["AttachStdout"] = false;
  spec["AttachStderr"] = false;
  spec["Labels"] = bj::object{{kLabelExecution, request.execution_id},
                              {kLabelJob, request.job_id},
                              {kLabelNode, config_.node_id}};

  bj::array binds;
  for (const auto& rp : task.result_paths) {
    // The bind's host side is a folder of the execution's own, never a spec string: a Name like
    // "/etc" or "../x" would otherwise mount the host's files into the container.
    COD_ASSIGN_OR_RETURN(std::string host, childPath(request.results_dir, rp.name));
    if (std::string problem = containerPathProblem(rp.path);
        !problem.empty() || isReservedContainerPath(rp.path)) {
      return invalidArgument("ResultPaths Path \"" + rp.path + "\" cannot be mounted: it " +
                             (problem.empty() ? "is a kernel file system or the root" : problem));
    }
    std::error_code ec;
    fs::create_directory(host, ec);
    if (ec) return internalError("cannot create " + host + ": " + ec.message());
    binds.emplace_back(host + ":" + rp.path + ":rw");
  }
  for (const auto& in : request.inputs) {
    // Staged by this node's storage providers; the Target is a spec string, so check it again.
    if (std::string problem = containerPathProblem(in.target);
        !problem.empty() || isReservedContainerPath(in.target) || in.host_path.empty() ||
        in.host_path[0] != '/' || in.host_path.find(':') != std::string::npos) {
      return invalidArgument("input for \"" + in.target + "\" cannot be mounted" +
                             (problem.empty() ? std::string() : ": it " + problem));
    }
    binds.emplace_back(in.host_path + ":" + in.target + (in.read_only ? ":ro" : ":rw"));
  }
  bj::object host_config;
  host_config["Binds"] = std::move(binds);
  host_config["NetworkMode"] = network;
  host_config["SecurityOpt"] = bj::array{"no-new-privileges"};
  host_config["PidsLimit"] = config_.pids_limit;
  if (request.resources.cpu > 0) {
    host_config["NanoCpus"] = static_cast<int64_t>(request.resources.cpu * 1e9);
  }
  if (request.resources.memory > 0) {
    host_config["Memory"] = static_cast<int64_t>(request.resources.memory);
  }
  spec["HostConfig"] = std::move(host_config);

  std::string name = "cod-" + request.execution_id;
  // Create straight away (one call when the image is here, the usual case); pull only when the
  // daemon says the image is missing, and clear a container left by an earlier attempt.
  auto created = client_.createContainer(spec, name);
  if (created.status().code() == StatusCode::kNotFound &&
      client_.inspectImage(p.image).code() == StatusCode::kNotFound) {
    spdlog::info("execution {}: pulling image {}", request.execution_id, p.image);
    COD_RETURN_IF_ERROR(client_.pullImage(p.image));
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

  Status started = client_.startContainer(id);
  if (!started.isOk()) return finish(started);

  int64_t timeout_ms =
      request.timeout.count() > 0
          ? std::chrono::duration_cast<std::chrono::milliseconds>(request.timeout).count()
          : 0;
  auto waited = client_.waitContainer(id, timeout_ms);
  if (!waited.isOk()) {
    (void)client_.killContainer(id);
    if (waited.status().code() == StatusCode::kDeadlineExceeded && !cancel.cancelled()) {
      return finish(deadlineExceeded("execution timed out after " + formatDuration(request.timeout))
                        .withHint("Increase the task timeout or allocate more resources")
                        .withComponent("Docker"));
    }
  }
  if (cancel.cancelled()) return finish(cancelled("execution cancelled"));
  if (!waited.isOk()) return finish(waited.status());

  // Output files.
  std::ofstream out(fs::path(request.results_dir) / "stdout", std::ios::binary);
  std::ofstream err(fs::path(request.results_dir) / "stderr", std::ios::binary);
  Status logs = client_.containerLogs(id, [&](int stream, std::string_view data) {
    (stream == 2 ? err : out).write(data.data(), static_cast<std::streamsize>(data.size()));
  });
  out.close();
  err.close();
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
