#include "compute/capacity.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <thread>

namespace cod::compute {

models::Resources machineResources(const std::string& path, const GpuDetectOptions& gpu) {
  models::Resources r;
  r.cpu = static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    r.memory = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  }
  r.disk = freeDisk(path);
  r.gpus = detectGpus(gpu);
  r.gpu = r.gpus.size();
  return r;
}

uint64_t freeDisk(const std::string& path) {
  struct statvfs fs {};
  if (path.empty() || statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

models::Resources defaultCapacity(const std::string& path, const GpuDetectOptions& gpu) {
  models::Resources machine = machineResources(path, gpu);
  models::Resources offered = machine.scaled(0.8);
  offered.gpu = machine.gpu;
  offered.gpus = machine.gpus;
  return offered;
}

}  // namespace cod::compute
