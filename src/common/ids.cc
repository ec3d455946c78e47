#include "common/ids.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "common/strings.h"

namespace cod {

namespace {

// The canonical text of 16 bytes whose version and variant bits are set.
std::string formatUuid(const uint8_t (&b)[16]) {
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out, 36);
}

// Random bytes with the RFC 9562 version nibble and variant bits.
void randomUuidBytes(uint8_t (&b)[16], uint8_t version, Random& random) {
  random.fill(b, sizeof b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
}

}  // namespace

std::string newUuid(Random& random) {
  uint8_t b[16];
  randomUuidBytes(b, 4, random);
  return formatUuid(b);
}

std::string newTimeOrderedUuid(Time now, Random& random) {
  uint8_t b[16];
  randomUuidBytes(b, 7, random);
  auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  return formatUuid(b);
}

std::string timeOrderedUuidBound(Time t) {
  auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  char out[37];
  std::snprintf(out, sizeof out, "%08llx-%04llx-0000-0000-000000000000",
                static_cast<unsigned long long>((ms >> 16) & 0xffffffffULL),
                static_cast<unsigned long long>(ms & 0xffffULL));
  return std::string(out, 36);
}

std::string newJobId(Random& random) { return "j-" + newUuid(random); }
std::string newExecutionId(Random& random) { return "e-" + newUuid(random); }
std::string newNodeId(Random& random) { return "n-" + newUuid(random); }
std::string newEvaluationId(Time now, Random& random) { return newTimeOrderedUuid(now, random); }

std::string shortId(std::string_view id) {
  if (id.size() > 2 && id[1] == '-' &&
      (id[0] == 'j' || id[0] == 'e' || id[0] == 'n' || id[0] == 'v')) {
    return std::string(id.substr(0, 10));
  }
  return std::string(id.substr(0, 8));
}

namespace {

bool isBase58(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0 && ch != '0' && ch != 'O' && ch != 'I' &&
         ch != 'l';
}

}  // namespace

bool isCid(std::string_view cid) {
  if (cid.size() == 46 && startsWith(cid, "Qm")) {
    return std::all_of(cid.begin(), cid.end(), isBase58);
  }
  if (cid.size() < 8 || cid.size() > 256) return false;
  // CIDv1: a multibase prefix, then that base's alphabet (base32, base36, base58btc, hex).
  if (std::string_view("bBzfFkK").find(cid[0]) == std::string_view::npos) return false;
  return std::all_of(cid.begin(), cid.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

bool isS3BucketName(std::string_view bucket) {
  return !bucket.empty() && bucket.size() <= 255 &&
         std::all_of(bucket.begin(), bucket.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' ||
                  c == '_';
         });
}

bool isS3RegionName(std::string_view region) {
  return !region.empty() && region.size() <= 64 &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

}  // namespace cod
