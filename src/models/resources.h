#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace cod::models {

// A GPU as a compute node reports it.
struct Gpu {
  uint64_t index = 0;
  std::string name;
  std::string vendor;   // "NVIDIA", "AMD/ATI", "Intel"
  uint64_t memory = 0;  // MiB
  std::string pci_address;
  bool operator==(const Gpu&) const = default;
};

// Numeric resources: what a task needs once parsed, what a node has. Wire form:
// {"CPU":0.5,"Memory":512000000,"Disk":0,"GPU":0,"GPUs":[…]}, every key omitted when zero.
struct Resources {
  double cpu = 0;       // cores
  uint64_t memory = 0;  // bytes
  uint64_t disk = 0;    // bytes
  uint64_t gpu = 0;     // count
  std::vector<Gpu> gpus;

  bool isZero() const { return cpu <= 0 && memory == 0 && disk == 0 && gpu == 0; }
  // Every dimension of *this is ≤ the other's.
  bool fitsIn(const Resources& other) const;
  Resources& operator+=(const Resources& o);
  // Subtracts, clamping each dimension at zero.
  Resources& operator-=(const Resources& o);
  Resources operator+(const Resources& o) const { return Resources(*this) += o; }
  Resources operator-(const Resources& o) const { return Resources(*this) -= o; }
  // Scales every dimension (counts are rounded down).
  Resources scaled(double factor) const;
  // The first dimension in which *this exceeds `other`, as a human phrase
  // ("cpu: 4 > 2", "memory: 8.0 GB > 4.0 GB"), or "" when it fits.
  std::string exceedsReason(const Resources& other) const;
  // "cpu 0.5, memory 512.0 MB" — for messages.
  std::string toString() const;
  bool operator==(const Resources&) const = default;
};

// The string form a job spec carries (Task.Resources). Normalised: lower-case, no spaces.
struct ResourcesConfig {
  std::string cpu;     // Kubernetes quantity: "500m", "2"
  std::string memory;  // "512mb", "1Gi"
  std::string disk;
  std::string gpu;  // integer
  bool empty() const { return cpu.empty() && memory.empty() && disk.empty() && gpu.empty(); }
  bool operator==(const ResourcesConfig&) const = default;
};

// The most GPUs a task may ask for: more than any one machine has, far fewer than a count that
// only a hostile or mistyped spec would carry.
inline constexpr uint64_t kMaxTaskGpus = 1024;

// Parses a ResourcesConfig. Errors name the field: "Resources.Memory: invalid size …";
// Resources.GPU must be a whole number from 0 to kMaxTaskGpus.
Result<Resources> parseResources(const ResourcesConfig& config);

}  // namespace cod::models
