#include "models/resources.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/strings.h"
#include "common/units.h"

namespace cod::models {

namespace {
constexpr double kCpuEpsilon = 1e-9;

std::string cpuText(double cpu) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", cpu);
  return buf;
}
}  // namespace

bool Resources::fitsIn(const Resources& other) const { return exceedsReason(other).empty(); }

Resources& Resources::operator+=(const Resources& o) {
  cpu += o.cpu;
  memory += o.memory;
  disk += o.disk;
  gpu += o.gpu;
  return *this;
}

Resources& Resources::operator-=(const Resources& o) {
  cpu = std::max(0.0, cpu - o.cpu);
  if (cpu < kCpuEpsilon) cpu = 0;
  memory = memory > o.memory ? memory - o.memory : 0;
  disk = disk > o.disk ? disk - o.disk : 0;
  gpu = gpu > o.gpu ? gpu - o.gpu : 0;
  return *this;
}

Resources Resources::scaled(double factor) const {
  Resources r;
  r.cpu = cpu * factor;
  r.memory = static_cast<uint64_t>(static_cast<double>(memory) * factor);
  r.disk = static_cast<uint64_t>(static_cast<double>(disk) * factor);
  r.gpu = static_cast<uint64_t>(std::floor(static_cast<double>(gpu) * factor));
  r.gpus = gpus;
  return r;
}

std::string Resources::exceedsReason(const Resources& other) const {
  if (cpu > other.cpu + kCpuEpsilon) return "cpu: " + cpuText(cpu) + " > " + cpuText(other.cpu);
  if (memory > other.memory) {
    return "memory: " + formatBytes(memory) + " > " + formatBytes(other.memory);
  }
  if (disk > other.disk) return "disk: " + formatBytes(disk) + " > " + formatBytes(other.disk);
  if (gpu > other.gpu) {
    return "gpu: " + std::to_string(gpu) + " > " + std::to_string(other.gpu);
  }
  return "";
}

std::string Resources::toString() const {
  std::string out = "cpu " + cpuText(cpu) + ", memory " + formatBytes(memory);
  if (disk) out += ", disk " + formatBytes(disk);
  if (gpu) out += ", gpu " + std::to_string(gpu);
  return out;
}

Result<Resources> parseResources(const ResourcesConfig& config) {
  Resources r;
  if (!trim(config.cpu).empty()) {
    auto cpu = parseCpuQuantity(config.cpu);
    if (!cpu.isOk()) return std::move(cpu).error().prepend("Resources.CPU");
    r.cpu = *cpu;
  }
  if (!trim(config.memory).empty()) {
    auto mem = parseByteSize(config.memory);
    if (!mem.isOk()) return std::move(mem).error().prepend("Resources.Memory");
    r.memory = *mem;
  }
  if (!trim(config.disk).empty()) {
    auto disk = parseByteSize(config.disk);
    if (!disk.isOk()) return std::move(disk).error().prepend("Resources.Disk");
    r.disk = *disk;
  }
  if (!trim(config.gpu).empty()) {
    uint64_t gpu;
    if (!parseUint64(trim(config.gpu), &gpu)) {
      return invalidArgument("Resources.GPU: invalid GPU count \"" + config.gpu +
                             "\": expected a whole number like \"1\"");
    }
    if (gpu > kMaxTaskGpus) {
      return invalidArgument("Resources.GPU: " + std::to_string(gpu) +
                             " GPUs is more than a task may ask for (at most " +
                             std::to_string(kMaxTaskGpus) + ")");
    }
    r.gpu = gpu;
  }
  return r;
}

}  // namespace cod::models
