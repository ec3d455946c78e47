#pragma once

#include <string>

namespace cod::models {

// A staged input as a task sees it: what a StorageProvider prepares and an Executor mounts.
struct Mount {
  std::string host_path;  // absolute path on the compute node (a file or a folder)
  std::string target;     // absolute path inside the task
  bool read_only = true;
  bool operator==(const Mount&) const = default;
};

}  // namespace cod::models
