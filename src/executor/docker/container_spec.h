#pragma once

// The body of the Docker Engine API's container create call (POST /containers/create) for one
// execution, built from the request alone: no daemon, no file system. DockerExecutor sends it;
// tests read it.
//
// GPUs (ExecutionRequest::gpus, chosen by the compute node) become:
// * NVIDIA: HostConfig.DeviceRequests [{"Driver":"nvidia","DeviceIDs":["0","2"],
//   "Capabilities":[["gpu"]]}], what `docker run --gpus '"device=0,2"'` sends; the NVIDIA
//   container toolkit on the host does the rest.
// * AMD and Intel: HostConfig.Devices with the DRI nodes of exactly those GPUs (found by PCI
//   address, see GpuDeviceNodes), plus /dev/kfd for AMD (ROCm's compute interface), as ROCm's
//   and Intel's container guides pass them.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/status.h"
#include "executor/executor.h"

namespace cod::executor {

// The host device files an AMD or Intel GPU is used through ("/dev/dri/renderD128",
// "/dev/dri/card1"); an error when they cannot be found.
using GpuDeviceNodes = std::function<Result<std::vector<std::string>>(const models::Gpu&)>;

// How far containers are confined beyond what every one gets (no-new-privileges, a pids limit,
// no swap beyond the memory limit, no network unless asked and allowed). The compute node's
// config, Engines.Types.Docker.
struct DockerSandboxOptions {
  // The Linux capabilities containers keep (CapAdd, after CapDrop ALL), without the CAP_ prefix.
  // Docker's default set also holds DAC_OVERRIDE, SETUID, SETGID, NET_RAW, MKNOD, SYS_CHROOT,
  // SETFCAP, SETPCAP and AUDIT_WRITE: a job that needs them is the exception, and its node's
  // operator adds them.
  std::vector<std::string> capabilities = {"CHOWN", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE"};
  // The image's file system mounted read-only; /tmp is then a tmpfs (counted in the memory
  // limit). Result paths and inputs are mounts of their own and keep their modes.
  bool read_only_root = false;
  // "uid:gid" (or "uid", then gid = uid) to run every container as, whatever the image's USER;
  // the result folders are handed to that user. "" = the image's user.
  std::string user;
  // Docker jobs only where dockerd runs containers in a user namespace (--userns-remap), so
  // that root in a container is an unprivileged user on the host; without it the node declines
  // docker jobs, saying why.
  bool require_userns_remap = false;
};

// Normalises (upper case, no CAP_ prefix, no duplicates) and checks `o`: InvalidArgument naming
// the value for a capability that is not a name or a user that is not numeric.
Status validateDockerSandbox(DockerSandboxOptions* o);

// The user DockerSandboxOptions::user names, as numbers; nullopt for "".
struct NumericUser {
  int64_t uid = 0;
  int64_t gid = 0;
};
Result<std::optional<NumericUser>> parseDockerUser(const std::string& user);

struct ContainerSpecOptions {
  std::string node_id;  // labels the container, so a restarted node finds its leftovers
  int64_t pids_limit = 2048;
  DockerSandboxOptions sandbox;  // validated
  // Null = AMD and Intel GPUs are refused.
  GpuDeviceNodes gpu_device_nodes;
};

struct ContainerSpec {
  std::string image;
  boost::json::object body;
  // Host folders the binds mount (one per ResultPath); they must exist before the container
  // is created.
  std::vector<std::string> result_dirs;
};

// Container labels.
inline constexpr const char* kLabelExecution = "cod.execution-id";
inline constexpr const char* kLabelJob = "cod.job-id";
inline constexpr const char* kLabelNode = "cod.node-id";

// Bid-time check of the task's engine params and network (what buildContainerSpec would refuse
// before looking at the request).
Status validateDockerTask(const models::Task& task);

// InvalidArgument for a spec that cannot become a container (bad params, a path that must not be
// mounted, a network the engine does not do); errors of gpu_device_nodes as they are.
Result<ContainerSpec> buildContainerSpec(const ExecutionRequest& request,
                                         const ContainerSpecOptions& options);

// The DRI nodes of the GPU at `pci_address` under `dri_dir` (/dev/dri): the targets of its
// by-path/pci-<address>-render and -card links. NotFound when there are none.
Result<std::vector<std::string>> driNodesByPciAddress(const std::string& pci_address,
                                                      const std::string& dri_dir = "/dev/dri");

}  // namespace cod::executor
