#include "storage/cache/input_cache.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "s3/sigv4.h"

namespace cod::storage {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxAdvertised = 256;

// entries/<hash>/meta: the key's locator and size, one per line. Written last, so an entry
// without one is incomplete.
struct Meta {
  std::string locator;
  uint64_t bytes = 0;
};

bool readMeta(const fs::path& file, Meta* out) {
  std::ifstream in(file);
  std::string bytes;
  if (!std::getline(in, out->locator) || !std::getline(in, bytes)) return false;
  try {
    out->bytes = std::stoull(bytes);
  } catch (...) {
    return false;
  }
  return true;
}

Status writeMeta(const fs::path& file, const Meta& meta) {
  std::ofstream out(file, std::ios::trunc);
  out << meta.locator << "\n" << meta.bytes << "\n";
  out.close();
  if (!out) return internalError("cannot write " + file.string());
  return Status::ok();
}

}  // namespace

uint64_t diskUsage(const std::string& path) {
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (ec) return 0;
  if (fs::is_regular_file(st)) return fs::file_size(path, ec);
  uint64_t total = 0;
  if (!fs::is_directory(st)) return 0;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

Status linkTree(const std::string& src, const std::string& dest) {
  std::error_code ec;
  auto place = [&](const fs::path& from, const fs::path& to) -> Status {
    fs::create_hard_link(from, to, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(from, to, ec);
      if (ec) return internalError("cannot stage " + to.string() + ": " + ec.message());
    }
    return Status::ok();
  };
  if (!fs::is_directory(fs::symlink_status(src, ec))) return place(src, dest);
  fs::create_directory(dest, ec);
  if (ec) return internalError("cannot create " + dest + ": " + ec.message());
  for (auto it = fs::recursive_directory_iterator(src, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    fs::path to = fs::path(dest) / fs::relative(it->path(), src);
    auto st = it->symlink_status(ec);
    if (fs::is_directory(st)) {
      fs::create_directory(to, ec);
      if (ec) return internalError("cannot create " + to.string() + ": " + ec.message());
    } else if (fs::is_regular_file(st)) {
      COD_RETURN_IF_ERROR(place(it->path(), to));
    }
  }
  if (ec) return internalError("cannot read " + src + ": " + ec.message());
  return Status::ok();
}

InputCache::InputCache(InputCacheConfig config) : config_(std::move(config)) {}

std::string InputCache::entryPath(const std::string& hash) const {
  return (fs::path(config_.dir) / "entries" / hash).string();
}

Status InputCache::open() {
  std::error_code ec;
  fs::remove_all(fs::path(config_.dir) / "tmp", ec);  // what a crash left half-written
  fs::create_directories(fs::path(config_.dir) / "tmp", ec);
  fs::create_directories(fs::path(config_.dir) / "entries", ec);
  if (ec)
    return internalError("cannot create the input cache in " + config_.dir + ": " + ec.message());
  // Oldest first by the meta file's time, which each use refreshes.
  std::vector<std::pair<fs::file_time_type, std::string>> found;
  for (const auto& e : fs::directory_iterator(fs::path(config_.dir) / "entries", ec)) {
    Meta meta;
    if (!readMeta(e.path() / "meta", &meta)) {
      fs::remove_all(e.path(), ec);
      continue;
    }
    std::string hash = e.path().filename().string();
    std::lock_guard lock(mu_);
    entries_[hash] = Entry{meta.bytes, 0, meta.locator};
    bytes_ += meta.bytes;
    found.emplace_back(fs::last_write_time(e.path() / "meta", ec), hash);
  }
  std::sort(found.begin(), found.end());
  std::lock_guard lock(mu_);
  for (const auto& [time, hash] : found) entries_[hash].last_used = ++use_clock_;
  evictLocked("");
  ++generation_;
  spdlog::info("input cache: {} entries, {} bytes (limit {}) in {}", entries_.size(), bytes_,
               config_.max_bytes, config_.dir);
  return Status::ok();
}

std::shared_ptr<std::mutex> InputCache::keyLock(const std::string& hash) {
  std::lock_guard lock(mu_);
  std::erase_if(key_locks_, [](const auto& kv) { return kv.second.expired(); });
  auto& weak = key_locks_[hash];
  auto strong = weak.lock();
  if (!strong) {
    strong = std::make_shared<std::mutex>();
    weak = strong;
  }
  return strong;
}

void InputCache::evictLocked(const std::string& keep) {
  while (bytes_ > config_.max_bytes) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == keep) continue;
      // An entry being staged right now (its key lock is held) stays until that is done.
      if (auto held = key_locks_.find(it->first);
          held != key_locks_.end() && !held->second.expired()) {
        continue;
      }
      if (victim == entries_.end() || it->second.last_used < victim->second.last_used) victim = it;
    }
    if (victim == entries_.end()) return;
    // Out of entries/ first (atomic), then deleted: a crash in between leaves only tmp/.
    std::error_code ec;
    fs::path doomed = fs::path(config_.dir) / "tmp" / ("evicted-" + newUuid());
    fs::rename(entryPath(victim->first), doomed, ec);
    fs::remove_all(doomed, ec);
    bytes_ -= std::min(bytes_, victim->second.bytes);
    entries_.erase(victim);
    ++generation_;
  }
}

Result<bool> InputCache::stage(const std::string& key, const std::string& locator,
                               const std::string& dest,
                               const std::function<Status(const std::string& path)>& fill) {
  const std::string hash = s3::sha256Hex(key);
  auto key_lock = keyLock(hash);
  std::lock_guard one_fetch(*key_lock);
  const fs::path entry = entryPath(hash);
  std::error_code ec;
  {
    std::unique_lock lock(mu_);
    auto it = entries_.find(hash);
    if (it != entries_.end()) {
      it->second.last_used = ++use_clock_;
      it->second.locator = locator;
      ++hits_;
      ++generation_;
      lock.unlock();
      fs::last_write_time(entry / "meta", fs::file_time_type::clock::now(), ec);
      COD_RETURN_IF_ERROR(linkTree((entry / "content").string(), dest));
      return true;
    }
    ++misses_;
    ++generation_;
  }
  fs::path tmp = fs::path(config_.dir) / "tmp" / newUuid();
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{tmp};
  fs::create_directories(tmp, ec);
  if (ec) return internalError("cannot create " + tmp.string() + ": " + ec.message());
  COD_RETURN_IF_ERROR(fill((tmp / "content").string()));
  Meta meta{locator, diskUsage((tmp / "content").string())};
  if (meta.bytes > config_.max_bytes) {
    // Larger than the whole cache: used once, not kept.
    fs::rename(tmp / "content", dest, ec);
    if (ec) return internalError("cannot move the input to " + dest + ": " + ec.message());
    return false;
  }
  COD_RETURN_IF_ERROR(writeMeta(tmp / "meta", meta));
  fs::rename(tmp, entry, ec);
  if (ec) return internalError("cannot keep the input in " + entry.string() + ": " + ec.message());
  {
    std::lock_guard lock(mu_);
    entries_[hash] = Entry{meta.bytes, ++use_clock_, locator};
    bytes_ += meta.bytes;
    ++generation_;
    evictLocked(hash);
  }
  COD_RETURN_IF_ERROR(linkTree((entry / "content").string(), dest));
  return false;
}

bool InputCache::contains(const std::string& key) const {
  std::lock_guard lock(mu_);
  return entries_.count(s3::sha256Hex(key)) > 0;
}

models::InputCacheInfo InputCache::info() const {
  std::lock_guard lock(mu_);
  models::InputCacheInfo out;
  out.max_bytes = config_.max_bytes;
  out.bytes = bytes_;
  out.entries = entries_.size();
  out.hits = hits_;
  out.misses = misses_;
  std::vector<std::pair<uint64_t, std::string>> recent;
  for (const auto& [hash, e] : entries_) {
    if (!e.locator.empty()) recent.emplace_back(e.last_used, e.locator);
  }
  std::sort(recent.rbegin(), recent.rend());
  for (const auto& [used, locator] : recent) {
    if (out.inputs.size() >= kMaxAdvertised) break;
    if (std::find(out.inputs.begin(), out.inputs.end(), locator) == out.inputs.end()) {
      out.inputs.push_back(locator);
    }
  }
  return out;
}

uint64_t InputCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace cod::storage
