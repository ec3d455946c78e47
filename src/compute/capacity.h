#pragma once

#include <cstdint>
#include <string>

#include "models/resources.h"

namespace cod::compute {

// What this machine has: CPU cores, memory (bytes), free disk under `path` (bytes). GPUs are
// not detected yet (0).
models::Resources machineResources(const std::string& path);

// Free bytes on the file system that holds `path` (0 when it cannot be read).
uint64_t freeDisk(const std::string& path);

// The share of the machine a node offers by default: 80 % of CPU, memory and disk.
models::Resources defaultCapacity(const std::string& path);

}  // namespace cod::compute
