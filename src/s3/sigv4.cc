#include "s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <limits>
#include <memory>
#include <vector>

#include "common/strings.h"

namespace cod::s3 {

namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// "20130524T000000Z" and "20130524".
std::pair<std::string, std::string> amzDate(Time now) {
  std::time_t t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(now));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char full[17];
  std::strftime(full, sizeof full, "%Y%m%dT%H%M%SZ", &tm);
  return {full, std::string(full, 8)};
}

}  // namespace

std::string hex(std::string_view bytes) {
  constexpr const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string sha256OfFile(const std::string& path) {
  return sha256OfFileRange(path, 0, std::numeric_limits<uint64_t>::max());
}

std::string sha256OfFileRange(const std::string& path, uint64_t offset, uint64_t length) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in) return "";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(size_t{1} << 16);
  uint64_t left = length;
  while (left > 0) {
    auto want = static_cast<std::streamsize>(std::min<uint64_t>(buf.size(), left));
    in.read(buf.data(), want);
    if (in.gcount() <= 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
    left -= static_cast<uint64_t>(in.gcount());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string uriEncode(std::string_view text, bool keep_slash) {
  constexpr const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
  return out;
}

std::string signingKey(const std::string& secret, const std::string& date,
                       const std::string& region, const std::string& service) {
  std::string k = hmac("AWS4" + secret, date);
  k = hmac(k, region);
  k = hmac(k, service);
  return hmac(k, "aws4_request");
}

SignedHeaders signV4(const SignInput& in, const Credentials& credentials, const std::string& region,
                     Time now, const std::string& service) {
  auto [timestamp, date] = amzDate(now);
  const std::string payload = in.payload_sha256.empty() ? sha256Hex("") : in.payload_sha256;

  std::map<std::string, std::string> headers;  // lower-case name → trimmed value, sorted
  for (const auto& [k, v] : in.headers) headers[toLower(k)] = std::string(trim(v));
  headers["host"] = in.host;
  headers["x-amz-date"] = timestamp;
  headers["x-amz-content-sha256"] = payload;
  if (!credentials.session_token.empty())
    headers["x-amz-security-token"] = credentials.session_token;

  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : in.query) query.emplace_back(uriEncode(k, false), uriEncode(v, false));
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query += '&';
    canonical_query += k + "=" + v;
  }

  SignedHeaders out;
  out.canonical_path = uriEncode(in.path.empty() ? "/" : in.path, true);
  out.canonical_query = canonical_query;
  std::string canonical_headers;
  std::string signed_names;
  for (const auto& [k, v] : headers) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_names.empty()) signed_names += ';';
    signed_names += k;
  }
  std::string canonical_request = in.method + "\n" + out.canonical_path + "\n" + canonical_query +
                                  "\n" + canonical_headers + "\n" + signed_names + "\n" + payload;
  std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  std::string to_sign =
      "AWS4-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + sha256Hex(canonical_request);
  std::string signature =
      hex(hmac(signingKey(credentials.secret_access_key, date, region, service), to_sign));

  for (const auto& [k, v] : headers) {
    if (k != "host") out.headers.emplace_back(k, v);
  }
  out.headers.emplace_back(
      "authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                           ",SignedHeaders=" + signed_names + ",Signature=" + signature);
  return out;
}

std::string presignV4(const SignInput& in, const Credentials& credentials,
                      const std::string& region, Time now, int64_t expires_secs,
                      const std::string& service) {
  auto [timestamp, date] = amzDate(now);
  const std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : in.query) query.emplace_back(uriEncode(k, false), uriEncode(v, false));
  auto add = [&](const std::string& k, const std::string& v) {
    query.emplace_back(uriEncode(k, false), uriEncode(v, false));
  };
  add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  add("X-Amz-Credential", credentials.access_key_id + "/" + scope);
  add("X-Amz-Date", timestamp);
  add("X-Amz-Expires", std::to_string(expires_secs));
  if (!credentials.session_token.empty()) add("X-Amz-Security-Token", credentials.session_token);
  add("X-Amz-SignedHeaders", "host");
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query += '&';
    canonical_query += k + "=" + v;
  }
  const std::string path = uriEncode(in.path.empty() ? "/" : in.path, true);
  const std::string canonical_request = in.method + "\n" + path + "\n" + canonical_query +
                                        "\nhost:" + in.host + "\n\nhost\nUNSIGNED-PAYLOAD";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + sha256Hex(canonical_request);
  const std::string signature =
      hex(hmac(signingKey(credentials.secret_access_key, date, region, service), to_sign));
  return path + "?" + canonical_query + "&X-Amz-Signature=" + signature;
}

}  // namespace cod::s3
