#pragma once

// `local` inputs (and the deprecated alias `localDirectory`): a path on the compute node itself,
// bind-mounted into the task. Only paths at or below the node's allow-listed paths
// (`--allow-listed-local-paths`) are served, checked after resolving symlinks; ReadWrite only
// where the allow-list entry says so (a ":rw" suffix). CreateAs `dir`/`file` makes a missing path
// (below an allowed path) before mounting it; `noCreate` (the default) refuses a missing one.

#include <string>
#include <vector>

#include "storage/storage.h"

namespace cod::storage {

struct AllowedPath {
  std::string path;  // absolute
  bool read_write = false;
};

// Parses "/data", "/data:rw", "/data:ro"; InvalidArgument naming the entry.
Result<AllowedPath> parseAllowedPath(const std::string& entry);

class LocalStorage final : public StorageProvider {
 public:
  explicit LocalStorage(std::vector<AllowedPath> allowed) : allowed_(std::move(allowed)) {}
  std::string name() const override { return "local"; }
  std::vector<std::string> aliases() const override { return {"localDirectory"}; }
  Status validate(const models::InputSource& input) override;
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;

 private:
  struct Resolved {
    std::string path;  // symlinks resolved
    bool exists = false;
    bool read_write = false;
    std::string create_as;  // "nocreate", "dir", "file"
  };
  Result<Resolved> resolve(const models::InputSource& input) const;

  std::vector<AllowedPath> allowed_;
};

}  // namespace cod::storage
