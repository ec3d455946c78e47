#pragma once

// A small S3 client for what cod needs — ListObjectsV2 (every page) and GetObject into a file —
// signed with our SigV4 (sigv4.h) and sent with http/http_client.h. Path-style URLs for a custom
// endpoint (`http://127.0.0.1:4568/bucket/key`, as MinIO and test servers want), virtual-hosted
// style for AWS itself. Anonymous (unsigned) requests when there are no credentials.
//
// Errors: NotFound for a missing bucket or key, PermissionDenied for refused credentials or
// signatures (the message says where credentials come from), Unavailable for network errors and
// 5xx, FailedPrecondition for other refusals. Blocking; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"
#include "http/http_client.h"
#include "s3/sigv4.h"

namespace cod::s3 {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;
};

struct ClientConfig {
  Credentials credentials;
  std::string region = "us-east-1";
  // "" = AWS (https://BUCKET.s3.REGION.amazonaws.com); else an http(s) base URL, path-style.
  std::string endpoint;
  http::DownloadOptions http;
  const Clock* clock = &SystemClock::instance();
  // putObject uploads files larger than this in parts (S3 refuses single PUTs over 5 GB), of
  // part_size bytes (at least 5 MiB on AWS; raised so no object needs more than 10,000 parts),
  // up to `upload_threads` at a time.
  uint64_t multipart_threshold = uint64_t{64} << 20;
  uint64_t part_size = uint64_t{16} << 20;
  int upload_threads = 4;
  // getObject fetches objects larger than this (when their size is known) in parallel ranged
  // GETs of part_size, `upload_threads` at a time, pinned to the listed ETag with If-Match.
  uint64_t parallel_get_threshold = uint64_t{64} << 20;
};

class S3Client {
 public:
  explicit S3Client(ClientConfig config) : config_(std::move(config)) {}

  // Every object whose key starts with `prefix`, in key order.
  Result<std::vector<ObjectInfo>> listObjects(const std::string& bucket, const std::string& prefix,
                                              CancelToken* cancel) const;
  // The object (a given version, when `version_id` is set) into the file `path`. With its ETag
  // from a listing the GET is pinned to it (If-Match: an object replaced meanwhile is
  // Unavailable, for a retry to list again); with its size too, a large object comes in parallel
  // ranges (see ClientConfig).
  Status getObject(const std::string& bucket, const std::string& key, const std::string& version_id,
                   const std::string& path, CancelToken* cancel, uint64_t size = 0,
                   const std::string& etag = "") const;
  // Uploads the file `path` as the object: one PUT (its SHA-256 signed as the payload hash), or
  // a multipart upload past config.multipart_threshold.
  Status putObject(const std::string& bucket, const std::string& key, const std::string& path,
                   CancelToken* cancel) const;
  // A multipart upload of the file in parts of config.part_size (the last may be smaller), sent
  // in parallel; aborted when a part fails. Returns the number of parts.
  Result<int> putObjectMultipart(const std::string& bucket, const std::string& key,
                                 const std::string& path, CancelToken* cancel) const;
  // A URL anyone may GET the object with for `expires_secs` (SigV4 query form);
  // FailedPrecondition without credentials.
  Result<std::string> presignGetObject(const std::string& bucket, const std::string& key,
                                       int64_t expires_secs) const {
    return presign("GET", bucket, key, expires_secs);
  }
  // The same for PUTting the object (any body).
  Result<std::string> presign(const std::string& method, const std::string& bucket,
                              const std::string& key, int64_t expires_secs) const;

 private:
  struct Prepared {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  Result<Prepared> prepare(const std::string& method, const std::string& bucket,
                           const std::string& key,
                           const std::vector<std::pair<std::string, std::string>>& query,
                           const std::string& payload_sha256 = "") const;
  Status errorFor(long status, const std::string& body, const std::string& what) const;
  // The host and path of an object's URL into `in`; returns "scheme://host".
  Result<std::string> target(const std::string& bucket, const std::string& key,
                             SignInput* in) const;

  ClientConfig config_;
};

// Credentials the standard AWS way: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
// else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), profile
// AWS_PROFILE or "default". Empty credentials when there are none (anonymous requests).
Credentials credentialsFromEnvironment();
// AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region in ~/.aws/config, else "".
std::string regionFromEnvironment();

// A client config for this process: credentials from the environment, `region` (else the
// environment's, else us-east-1), `endpoint` ("" = AWS), three attempts per request; parallel
// ranged GETs for AWS only.
ClientConfig configFromEnvironment(const std::string& region, const std::string& endpoint);

// What a ListObjectsV2 page says (exposed for tests).
struct ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string next_token;
};
ListPage parseListPage(const std::string& xml);

}  // namespace cod::s3
