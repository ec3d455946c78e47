#include "node/result_urls.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "common/strings.h"

namespace cod::node {

namespace {

std::string hmacHex(const std::string& key, const std::string& message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xf];
  }
  return hex;
}

std::string signatureOf(const std::string& key, const std::string& file, int64_t expires) {
  return hmacHex(key, file + "\n" + std::to_string(expires));
}

int64_t unixSeconds(Time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string resultUrlKey(const std::string& token) {
  if (token.empty()) return "";
  // Not the token itself: a leaked URL signature must say nothing about the NATS credential.
  return hmacHex(token, "cod result download URLs v1");
}

Result<std::string> signResultUrl(const std::string& url, const std::string& execution_id,
                                  const std::string& key, Time expires) {
  const std::string file = execution_id + ".tar.gz";
  size_t scheme = url.find("://");
  size_t slash = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
  if (!startsWith(url, "http://") || slash == std::string::npos ||
      url.substr(slash) != "/" + file) {
    return invalidArgument("the result URL " + url + " does not name " + file);
  }
  int64_t at = unixSeconds(expires);
  return url + "?expires=" + std::to_string(at) + "&signature=" + signatureOf(key, file, at);
}

std::string resultUrlRefusal(const std::string& file, const std::string& expires,
                             const std::string& signature, const std::string& key, Time now) {
  if (key.empty()) return "";
  if (expires.empty() || signature.empty()) {
    return "this download needs the signed URL the orchestrator gives out: use "
           "'cod job get' or GET /api/v1/orchestrator/jobs/<id>/results";
  }
  int64_t at = 0;
  if (!parseInt64(expires, &at)) return "expires is not a number of seconds";
  std::string want = signatureOf(key, file, at);
  if (want.size() != signature.size() ||
      CRYPTO_memcmp(want.data(), signature.data(), want.size()) != 0) {
    return "the signature does not match this file";
  }
  if (unixSeconds(now) > at) return "the download URL has expired: ask for the results again";
  return "";
}

}  // namespace cod::node
