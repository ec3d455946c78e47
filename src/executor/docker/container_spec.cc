#include "executor/docker/container_spec.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <boost/json.hpp>

#include "common/paths.h"
#include "common/strings.h"
#include "models/json.h"

namespace cod::executor {

namespace bj = boost::json;
namespace fs = std::filesystem;

namespace {

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
    // Whatever its case or the spaces around it, a name must not look like one of the execution's
    // own variables (which the node sets last, so they would win anyway).
    std::string name = toUpper(trim(std::string_view(kv).substr(0, kv.find('='))));
    if (startsWith(name, "BACALHAU_") || startsWith(name, "COD_")) {
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

bool isTmp(const std::string& container_path) {
  return fs::path(container_path).lexically_normal() == "/tmp" ||
         fs::path(container_path).lexically_normal() == "/tmp/";
}

bj::array stringArray(const std::vector<std::string>& items) {
  bj::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

// Adds the allocated GPUs to `host_config` (see the header for the shape).
Status addGpus(const std::vector<models::Gpu>& gpus, const ContainerSpecOptions& options,
               bj::object* host_config) {
  std::vector<std::string> nvidia_ids;
  std::vector<std::string> device_nodes;
  bool kfd = false;
  for (const models::Gpu& g : gpus) {
    if (equalsIgnoreCase(g.vendor, "NVIDIA")) {
      nvidia_ids.push_back(std::to_string(g.index));
      continue;
    }
    bool amd = equalsIgnoreCase(g.vendor, "AMD/ATI");
    if (!amd && !equalsIgnoreCase(g.vendor, "Intel")) {
      return invalidArgument("GPU " + std::to_string(g.index) + ": vendor \"" + g.vendor +
                             "\" is not supported by the docker engine");
    }
    if (!options.gpu_device_nodes) {
      return failedPrecondition("GPU " + std::to_string(g.index) + " (" + g.vendor +
                                "): this docker engine cannot find GPU device files");
    }
    COD_ASSIGN_OR_RETURN(std::vector<std::string> nodes, options.gpu_device_nodes(g));
    device_nodes.insert(device_nodes.end(), nodes.begin(), nodes.end());
    kfd = kfd || amd;
  }
  if (!nvidia_ids.empty()) {
    bj::object request;
    request["Driver"] = "nvidia";
    request["DeviceIDs"] = stringArray(nvidia_ids);
    // Not bj::array{bj::array{"gpu"}}: clang takes that for a copy of the inner array, and
    // dockerd refuses ["gpu"] where it wants [["gpu"]].
    bj::array capabilities;
    capabilities.emplace_back(bj::array{"gpu"});
    request["Capabilities"] = std::move(capabilities);
    (*host_config)["DeviceRequests"] = bj::array{std::move(request)};
  }
  if (kfd) device_nodes.insert(device_nodes.begin(), "/dev/kfd");
  if (!device_nodes.empty()) {
    bj::array devices;
    std::set<std::string> seen;
    for (const auto& node : device_nodes) {
      if (!seen.insert(node).second) continue;
      devices.push_back(bj::object{
          {"PathOnHost", node}, {"PathInContainer", node}, {"CgroupPermissions", "rwm"}});
    }
    (*host_config)["Devices"] = std::move(devices);
  }
  return Status::ok();
}

}  // namespace

Result<std::optional<NumericUser>> parseDockerUser(const std::string& user) {
  if (user.empty()) return std::optional<NumericUser>();
  std::vector<std::string> parts = split(user, ':');
  NumericUser u;
  bool ok = parts.size() <= 2 && parseInt64(parts[0], &u.uid) && u.uid >= 0;
  u.gid = u.uid;
  if (ok && parts.size() == 2) ok = parseInt64(parts[1], &u.gid) && u.gid >= 0;
  if (!ok) {
    return invalidArgument("docker user \"" + user +
                           "\": expected numeric uid:gid (e.g. \"1000:1000\"); names are "
                           "looked up in each image and could mean anyone");
  }
  return std::optional<NumericUser>(u);
}

Status validateDockerSandbox(DockerSandboxOptions* o) {
  std::vector<std::string> caps;
  for (const std::string& raw : o->capabilities) {
    std::string cap = toUpper(trim(raw));
    if (startsWith(cap, "CAP_")) cap = cap.substr(4);
    if (cap.empty() || cap.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos ||
        cap == "ALL") {
      return invalidArgument("docker capability \"" + raw +
                             "\" is not a capability name (e.g. CHOWN, NET_RAW; ALL is refused)");
    }
    if (std::find(caps.begin(), caps.end(), cap) == caps.end()) caps.push_back(std::move(cap));
  }
  o->capabilities = std::move(caps);
  return parseDockerUser(o->user).status();
}

Status validateDockerTask(const models::Task& task) {
  COD_RETURN_IF_ERROR(parseParams(task).status());
  return networkMode(task.network).status();
}

Result<ContainerSpec> buildContainerSpec(const ExecutionRequest& request,
                                         const ContainerSpecOptions& options) {
  const models::Task& task = request.job->task();
  COD_ASSIGN_OR_RETURN(DockerParams p, parseParams(task));
  COD_ASSIGN_OR_RETURN(std::string network, networkMode(task.network));

  ContainerSpec out;
  out.image = p.image;
  bj::object& spec = out.body;
  spec["Image"] = p.image;
  if (p.has_entrypoint) spec["Entrypoint"] = stringArray(p.entrypoint);
  if (!p.parameters.empty()) spec["Cmd"] = stringArray(p.parameters);
  bj::array env;
  for (const auto& kv : p.env) env.emplace_back(kv);
  for (const auto& [k, v] : task.env) env.emplace_back(k + "=" + v);
  for (const auto& [k, v] : request.env) env.emplace_back(k + "=" + v);
  spec["Env"] = std::move(env);
  if (!p.working_dir.empty()) spec["WorkingDir"] = p.working_dir;
  spec["Tty"] = false;
  COD_ASSIGN_OR_RETURN(std::optional<NumericUser> user, parseDockerUser(options.sandbox.user));
  if (user) spec["User"] = std::to_string(user->uid) + ":" + std::to_string(user->gid);
  spec["AttachStdout"] = false;
  spec["AttachStderr"] = false;
  spec["Labels"] = bj::object{{kLabelExecution, request.execution_id},
                              {kLabelJob, request.job_id},
                              {kLabelNode, options.node_id}};

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
    binds.emplace_back(host + ":" + rp.path + ":rw");
    out.result_dirs.push_back(std::move(host));
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
  host_config["CapDrop"] = bj::array{"ALL"};
  host_config["CapAdd"] = stringArray(options.sandbox.capabilities);
  if (options.sandbox.read_only_root) {
    host_config["ReadonlyRootfs"] = true;
    // A writable /tmp, unless a result path or an input is mounted there.
    bool tmp_mounted = std::any_of(task.result_paths.begin(), task.result_paths.end(),
                                   [](const auto& rp) { return isTmp(rp.path); }) ||
                       std::any_of(request.inputs.begin(), request.inputs.end(),
                                   [](const auto& in) { return isTmp(in.target); });
    if (!tmp_mounted) host_config["Tmpfs"] = bj::object{{"/tmp", "rw,nosuid,nodev"}};
  }
  host_config["PidsLimit"] = options.pids_limit;
  if (request.resources.cpu > 0) {
    host_config["NanoCpus"] = static_cast<int64_t>(request.resources.cpu * 1e9);
  }
  if (request.resources.memory > 0) {
    host_config["Memory"] = static_cast<int64_t>(request.resources.memory);
    // Memory plus swap: the same, so no swap beyond the limit (Docker's default lets a container
    // swap as much again, which hides its real use and slows the node).
    host_config["MemorySwap"] = static_cast<int64_t>(request.resources.memory);
  }
  COD_RETURN_IF_ERROR(addGpus(request.gpus, options, &host_config));
  spec["HostConfig"] = std::move(host_config);
  return out;
}

Result<std::vector<std::string>> driNodesByPciAddress(const std::string& pci_address,
                                                      const std::string& dri_dir) {
  // The address comes from a vendor tool's output; it becomes part of a path only if it looks
  // like one ("0000:03:00.0").
  bool plain = !pci_address.empty() && pci_address.size() <= 32 &&
               pci_address.find_first_not_of("0123456789abcdef:.") == std::string::npos;
  if (!plain) {
    return notFound("no PCI address to find its device files by (\"" + pci_address + "\")");
  }
  std::vector<std::string> nodes;
  for (const char* kind : {"render", "card"}) {
    fs::path link = fs::path(dri_dir) / "by-path" / ("pci-" + pci_address + "-" + kind);
    std::error_code ec;
    fs::path target = fs::canonical(link, ec);
    if (!ec) nodes.push_back(target.string());
  }
  if (nodes.empty()) {
    return notFound("no device files for PCI " + pci_address + " under " + dri_dir + "/by-path");
  }
  return nodes;
}

}  // namespace cod::executor
