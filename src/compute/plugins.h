#pragma once

// A compute node's plugins, one typed list per kind (engines, input storage, publishers), in the
// order node/ fills them from its one table. Lookups compare names without case and return only
// what is installed on this node; `refusal` is the plugin part of a bid.

#include <string>
#include <string_view>
#include <vector>

#include "executor/executor.h"
#include "models/job.h"
#include "publisher/publisher.h"
#include "storage/storage.h"

namespace cod::compute {

struct Plugins {
  std::vector<executor::Executor*> executors;
  std::vector<storage::StorageProvider*> storages;
  std::vector<publisher::Publisher*> publishers;

  executor::Executor* executor(std::string_view type) const;
  // By name or alias ("localDirectory" finds the local provider).
  storage::StorageProvider* storage(std::string_view type) const;
  publisher::Publisher* publisher(std::string_view type) const;

  // What this node advertises in NodeInfo: the installed entries' names (storage aliases too).
  std::vector<std::string> engineNames() const;
  std::vector<std::string> storageNames() const;
  std::vector<std::string> publisherNames() const;

  // Why these plugins cannot run `task` ("" = they can): a missing engine, input source or
  // publisher, or params one of them refuses.
  std::string refusal(const models::Task& task) const;

  // Removes the entries whose name (or, for storage, an alias) is in a list (compared without
  // case): the operator's way to switch a plugin off.
  void disable(const std::vector<std::string>& engines, const std::vector<std::string>& storages,
               const std::vector<std::string>& publishers);
};

}  // namespace cod::compute
