#pragma once

// `urlDownload` inputs: an http(s) URL downloaded by the compute node (http/http_client.h:
// redirects, a size cap, timeouts, retries with backoff on 5xx and connection errors) into a
// folder mounted at Target, under the file name Bacalhau would pick: Content-Disposition's
// filename, else the last segment of the URL's path, else "file". With a cache, a HEAD first asks
// for the body's version; a known one stages from the cache, a new one is downloaded pinned to it
// (If-Match / If-Unmodified-Since) and kept.

#include <chrono>
#include <cstdint>
#include <filesystem>

#include "http/http_client.h"
#include "storage/cache/input_cache.h"
#include "storage/storage.h"

namespace cod::storage {

struct UrlStorageConfig {
  uint64_t max_bytes = uint64_t{10} * 1024 * 1024 * 1024;  // 10 GiB
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  int attempts = 3;
  std::chrono::milliseconds backoff{std::chrono::seconds(1)};
  // Downloads whose server names their version (ETag, else Last-Modified, from a HEAD) are kept
  // here by URL and version (null = no cache).
  InputCache* cache = nullptr;
};

class UrlStorage final : public StorageProvider {
 public:
  explicit UrlStorage(UrlStorageConfig config = {}) : config_(config) {}
  std::string name() const override { return "urlDownload"; }
  Status validate(const models::InputSource& input) override;
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;

 private:
  Result<Mount> prepareCached(const models::InputSource& input, const std::string& url,
                              const std::filesystem::path& folder,
                              const http::DownloadOptions& options, CancelToken& cancel);

  UrlStorageConfig config_;
};

// `s3PreSigned` inputs (reference §5.5): Params.PreSignedURL (with the object's SourceSpec
// alongside), downloaded as a urlDownload of that URL would be — the form the results API hands
// out, so one job's results can feed another's inputs.
class S3PresignedStorage final : public StorageProvider {
 public:
  explicit S3PresignedStorage(UrlStorage* downloads) : downloads_(downloads) {}
  std::string name() const override { return "s3PreSigned"; }
  Status validate(const models::InputSource& input) override;
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;

 private:
  static models::InputSource asDownload(const models::InputSource& input);
  UrlStorage* downloads_;
};

// `noop` inputs: nothing to fetch; the task sees an empty folder at Target.
class NoopStorage final : public StorageProvider {
 public:
  std::string name() const override { return "noop"; }
  Status validate(const models::InputSource&) override { return Status::ok(); }
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;
};

// The file name a download is saved under (always one plain path segment).
std::string downloadFileName(const std::string& url, const std::string& content_disposition);

}  // namespace cod::storage
