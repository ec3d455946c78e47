#pragma once

// The compute node's input cache: downloaded inputs kept under <data>/cache, content-addressed by
// what identifies their bytes — an S3 object's ETag and VersionID, a CID — so a repeated job
// stages from disk instead of the network. Staging from the cache hard-links the files into the
// execution's folder (no bytes copied; the task sees them read-only, so it cannot change the
// cached copy), falling back to a copy across file systems.
//
// * LRU under a size cap: the least recently used entries go when an insert passes max_bytes,
//   but never one being linked into an execution at that moment. Evicting an entry an execution
//   already uses is safe: its links keep the data until it ends.
// * Concurrent executions: one fetch per key at a time; others wanting the same key wait and then
//   link what it stored.
// * Crashes: an entry is filled under tmp/ and renamed into entries/ once complete, so a crash
//   leaves only tmp/ leftovers, removed by open().
//
// Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "models/node.h"

namespace cod::storage {

struct InputCacheConfig {
  std::string dir;  // <data>/cache
  uint64_t max_bytes = uint64_t{10} * 1024 * 1024 * 1024;
};

class InputCache {
 public:
  explicit InputCache(InputCacheConfig config);

  // Creates the folders, removes what a crash left half-written and indexes the entries.
  Status open();

  // Puts the content stored under `key` at `dest` (which must not exist). On a miss, `fill` is
  // called with a fresh path to create the content at (a file or a folder), which is then kept
  // under `key` — unless it alone is larger than the cache, when it is moved to `dest` instead.
  // `locator` (models/locality.h) names the input the content belongs to, for info(). True on a
  // hit.
  Result<bool> stage(const std::string& key, const std::string& locator, const std::string& dest,
                     const std::function<Status(const std::string& path)>& fill);

  // Whether `key` is held now (it may be evicted a moment later).
  bool contains(const std::string& key) const;

  // Sizes, counters and the locators of the inputs held, most recently used first (at most 256).
  models::InputCacheInfo info() const;
  // Changes whenever info() does (an insert, an eviction, a hit or a miss): the node then tells the
  // orchestrator, with its next heartbeat.
  uint64_t generation() const;

 private:
  struct Entry {
    uint64_t bytes = 0;
    uint64_t last_used = 0;  // a tick of use_clock_, larger = more recent
    std::string locator;
  };

  std::string entryPath(const std::string& hash) const;
  std::shared_ptr<std::mutex> keyLock(const std::string& hash);
  void evictLocked(const std::string& keep);

  InputCacheConfig config_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by key hash
  std::map<std::string, std::weak_ptr<std::mutex>> key_locks_;
  uint64_t bytes_ = 0;
  uint64_t use_clock_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t generation_ = 0;
};

// The bytes under a file or folder (symlinks not followed).
uint64_t diskUsage(const std::string& path);

// Makes `dest` a copy of the file or folder `src` out of hard links (copies where linking fails).
Status linkTree(const std::string& src, const std::string& dest);

}  // namespace cod::storage
