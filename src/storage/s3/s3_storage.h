#pragma once

// `s3` inputs (reference §5.5): Bucket and Key, where a Key is a prefix — every object below it is
// staged (a single object when the Key names one), keeping its path relative to the prefix's
// folder — narrowed by Filter (a regular expression searched in each key). Region, Endpoint
// (path-style, for MinIO-like servers), VersionID (single objects) and ChecksumSHA256 (base64 of
// a single object's SHA-256, verified after download) as Bacalhau has them. Credentials come from
// the compute node's environment the standard AWS way (s3/s3_client.h); a node without any makes
// anonymous requests. Partition (object, regex, substring, date) gives each of a job's Count
// executions its share of the objects, by Bacalhau's documented rule (FNV-1a of the key, or of
// the part the rule picks — for date, the key's leading date read with the Go layout DateFormat
// and formatted back, go_layout.h — modulo Count).

#include <functional>

#include "s3/s3_client.h"
#include "storage/cache/input_cache.h"
#include "storage/storage.h"

namespace cod::storage {

struct S3StorageConfig {
  // Used for requests; tests inject a clock, production the system one.
  const Clock* clock = &SystemClock::instance();
  int attempts = 3;
  // Objects are kept here by bucket, key, ETag and VersionID (null = no cache).
  InputCache* cache = nullptr;
  // Free bytes on the file system holding a folder (a seam for tests; null = statvfs). Staging
  // stops before the first byte when the listed objects would not fit.
  std::function<uint64_t(const std::string& dir)> free_disk;
};

class S3Storage final : public StorageProvider {
 public:
  explicit S3Storage(S3StorageConfig config = {}) : config_(std::move(config)) {}
  std::string name() const override { return "s3"; }
  Status validate(const models::InputSource& input) override;
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;

 private:
  S3StorageConfig config_;
};

// The path an object is staged under, relative to the mount: the key after the prefix's folder.
// "" when the key names no file (a folder marker) ; InvalidArgument when a segment is unsafe.
Result<std::string> stagedPath(const std::string& prefix, const std::string& key);

}  // namespace cod::storage
