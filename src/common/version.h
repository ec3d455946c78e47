#pragma once

#include <string>

namespace cod {

// cod's own version.
inline constexpr const char* kCodVersion = "0.1.0";
// The Bacalhau API level cod speaks. /api/v1/agent/version reports
// "v<kBacalhauApiVersion>+cod.<kCodVersion>": semver-parsable, compares as the Bacalhau version
// whose clients work against cod, and still says what it is.
inline constexpr const char* kBacalhauApiVersion = "1.7.0";

inline std::string gitVersion() {
  return std::string("v") + kBacalhauApiVersion + "+cod." + kCodVersion;
}

}  // namespace cod
