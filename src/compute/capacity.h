#pragma once

#include <cstdint>
#include <string>

#include "compute/gpu.h"
#include "models/resources.h"

namespace cod::compute {

// What this machine has: CPU cores, memory (bytes), free disk under `path` (bytes), and the GPUs
// the vendors' tools report (count and list; see gpu.h, `gpu` says where the tools are looked up).
// Blocks while the GPU tools run.
models::Resources machineResources(const std::string& path, const GpuDetectOptions& gpu = {});

// Free bytes on the file system that holds `path` (0 when it cannot be read).
uint64_t freeDisk(const std::string& path);

// The share of the machine a node offers by default: 80 % of CPU, memory and disk, and every GPU
// (a GPU is given to one execution at a time, so there is nothing to keep back).
models::Resources defaultCapacity(const std::string& path, const GpuDetectOptions& gpu = {});

}  // namespace cod::compute
