#pragma once

// AWS Signature Version 4 for S3 requests (header form), on OpenSSL's SHA-256 and HMAC. Written by
// hand because curl's --aws-sigv4 neither sends x-amz-content-sha256 nor sorts and encodes query
// parameters (reference/test-services.md); tested against AWS's published examples and a server
// that verifies signatures.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace cod::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" unless temporary credentials
  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

struct SignInput {
  std::string method = "GET";
  std::string host;  // as sent in the Host header (with a port when not the default)
  std::string path;  // raw (not yet encoded), starting with '/'
  std::vector<std::pair<std::string, std::string>> query;  // raw names and values
  // Extra headers to sign (names in any case), e.g. Range.
  std::map<std::string, std::string> headers;
  std::string payload_sha256;  // hex; "" = the empty payload
};

struct SignedHeaders {
  // Every header to send besides Host: the extra ones, x-amz-date, x-amz-content-sha256,
  // x-amz-security-token (with a session token) and Authorization.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string canonical_query;  // the query string to send, encoded and sorted
  std::string canonical_path;   // the path to send, encoded
};

SignedHeaders signV4(const SignInput& in, const Credentials& credentials, const std::string& region,
                     Time now, const std::string& service = "s3");

// A presigned URL's path and query (query-string form):
// "<path>?X-Amz-Algorithm=…&X-Amz-Signature=…", valid for `expires_secs` from `now`, signing only
// the Host header and an unsigned payload, so anyone holding it can make that one request (a GET of
// one object) without credentials.
std::string presignV4(const SignInput& in, const Credentials& credentials,
                      const std::string& region, Time now, int64_t expires_secs,
                      const std::string& service = "s3");

// RFC 3986 unreserved characters kept, everything else %XX (upper case); '/' kept when asked.
std::string uriEncode(std::string_view text, bool keep_slash);
std::string sha256Hex(std::string_view data);
// The raw SHA-256 digest of a file's contents ("" when it cannot be read).
std::string sha256OfFile(const std::string& path);
// The same over `length` bytes from `offset` (fewer at the end of the file).
std::string sha256OfFileRange(const std::string& path, uint64_t offset, uint64_t length);
// The SigV4 signing key for a day, region and service (exposed for its published test vector).
std::string signingKey(const std::string& secret, const std::string& date,
                       const std::string& region, const std::string& service);
std::string hex(std::string_view bytes);

}  // namespace cod::s3
