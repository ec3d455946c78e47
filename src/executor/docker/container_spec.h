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
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/status.h"
#include "executor/executor.h"

namespace cod::executor {

// The host device files an AMD or Intel GPU is used through ("/dev/dri/renderD128",
// "/dev/dri/card1"); an error when they cannot be found.
using GpuDeviceNodes = std::function<Result<std::vector<std::string>>(const models::Gpu&)>;

struct ContainerSpecOptions {
  std::string node_id;  // labels the container, so a restarted node finds its leftovers
  int64_t pids_limit = 2048;
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
