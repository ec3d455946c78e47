#include "common/ids.h"

#include <cstdio>

namespace cod {

std::string newUuid(Random& random) {
  uint8_t b[16];
  random.fill(b, sizeof b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out, 36);
}

std::string newJobId(Random& random) { return "j-" + newUuid(random); }
std::string newExecutionId(Random& random) { return "e-" + newUuid(random); }
std::string newNodeId(Random& random) { return "n-" + newUuid(random); }
std::string newEvaluationId(Random& random) { return newUuid(random); }

std::string shortId(std::string_view id) {
  if (id.size() > 2 && id[1] == '-' &&
      (id[0] == 'j' || id[0] == 'e' || id[0] == 'n' || id[0] == 'v')) {
    return std::string(id.substr(0, 10));
  }
  return std::string(id.substr(0, 8));
}

}  // namespace cod
