#include "compute/capacity.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <thread>

namespace cod::compute {

models::Resources machineResources(const std::string& path) {
  models::Resources r;
  r.cpu = static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    r.memory = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  }
  r.disk = freeDisk(path);
  return r;
}

uint64_t freeDisk(const std::string& path) {
  struct statvfs fs {};
  if (path.empty() || statvfs(path.c_str(), &fs) != 0) return 0;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

models::Resources defaultCapacity(const std::string& path) {
  return machineResources(path).scaled(0.8);
}

}  // namespace cod::compute
