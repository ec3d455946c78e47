#pragma once

// The one outbound HTTP client (DESIGN §3 `http/`), over libcurl, for one-off transfers: URL
// inputs, S3, IPFS (Kubo RPC) and the CLI's result downloads use it; session.h keeps a connection
// open for the API client and the Docker socket. Only http and https are spoken, redirects
// included: a hostile URL or redirect to file://, ftp:// or the like is refused.
//
// Thread-safe: each call has its own curl handle. Blocking: call it from a worker thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"

namespace cod::http {

struct DownloadOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // The whole transfer, per attempt; 0 = no limit (a stalled transfer still ends: see below).
  std::chrono::milliseconds timeout{0};
  // A transfer slower than 1 byte/s for this long is abandoned as stalled.
  std::chrono::seconds stall_timeout{60};
  // Larger bodies are refused (ResourceExhausted); 0 = no limit.
  uint64_t max_bytes = 0;
  // Attempts in all; connection errors, timeouts and 5xx answers are retried after `backoff`,
  // doubled each time.
  int attempts = 1;
  std::chrono::milliseconds backoff{std::chrono::seconds(1)};
  long max_redirects = 10;
  // Link-local addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are refused before any packet
  // is sent: cloud metadata services live there and hand out the machine's own credentials, and
  // a job's URL or S3 endpoint must never reach them (PermissionDenied).
  bool allow_link_local = false;
  // Sent with every attempt (a signed request's Authorization, a Range).
  std::vector<std::pair<std::string, std::string>> headers;
  // download(): write the body into the existing file from this offset instead of truncating it
  // (one range of a parallel download); UINT64_MAX = truncate.
  uint64_t write_offset = UINT64_MAX;
  // download(): a retry after a transfer broke off asks for the rest (Range, If-Range on the
  // first answer's ETag or Last-Modified) and appends it; a server that sends the whole body
  // again is written from the start.
  bool resume = true;
  // download(): called as bytes arrive with the bytes so far and the total (0 = unknown).
  std::function<void(uint64_t done, uint64_t total)> on_progress;
  // "GET", "HEAD", "DELETE", or "POST" with an empty body (Kubo's RPC takes every call as a POST).
  std::string method = "GET";
};

struct DownloadResult {
  uint64_t bytes = 0;
  std::string content_disposition;  // the header's value, "" when absent
  std::string effective_url;        // after redirects
};

// Downloads `url` (http or https) into the file `path` (created or truncated). Errors:
// InvalidArgument for a URL that is not http(s); NotFound for 404/410; FailedPrecondition for
// other 4xx (a retry will not help); Unavailable for connection errors, timeouts and 5xx after the
// last attempt; ResourceExhausted past max_bytes; Cancelled when `cancel` fires. Messages name the
// URL without its query string (it may hold a secret, as presigned URLs do).
Result<DownloadResult> download(const std::string& url, const std::string& path,
                                const DownloadOptions& options, CancelToken* cancel = nullptr);

struct Response {
  long status = 0;
  std::string body;
  // The answer's headers, names in lower case (the last value of each).
  std::map<std::string, std::string> headers;
};

// A GET whose answer is read into memory (at most options.max_bytes, if set). Any HTTP status is a
// Response (5xx after the last attempt too); connection errors and timeouts after the last attempt
// are Unavailable; Cancelled when `cancel` fires.
Result<Response> get(const std::string& url, const DownloadOptions& options,
                     CancelToken* cancel = nullptr);

// PUTs the file at `path` as the request body and reads the answer into memory. Retries as get().
Result<Response> upload(const std::string& url, const std::string& path,
                        const DownloadOptions& options, CancelToken* cancel = nullptr);
// PUTs `length` bytes of the file from `offset` (an S3 multipart part).
Result<Response> uploadRange(const std::string& url, const std::string& path, uint64_t offset,
                             uint64_t length, const DownloadOptions& options,
                             CancelToken* cancel = nullptr);
// POSTs `body` and reads the answer into memory. Retries as get().
Result<Response> post(const std::string& url, const std::string& body,
                      const DownloadOptions& options, CancelToken* cancel = nullptr);

// One part of a multipart/form-data body: the bytes of the file at `path`, or, when `path` is
// empty, a directory entry (Kubo's `add` builds a UnixFS tree from these). `filename` is the name
// the server sees, relative ("results/stdout"); it is percent-encoded on the wire.
struct FormPart {
  std::string filename;
  std::string path;
};

// POSTs `parts` as multipart/form-data (field name "file") and reads the answer into memory.
// Retries as get(). A FormPart whose file cannot be read is InternalError.
Result<Response> postForm(const std::string& url, const std::vector<FormPart>& parts,
                          const DownloadOptions& options, CancelToken* cancel = nullptr);

// The URL as it may appear in messages and logs: without its query string and credentials.
std::string redactUrl(const std::string& url);

}  // namespace cod::http
