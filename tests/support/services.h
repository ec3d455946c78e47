#pragma once

// Tests that need a real service (dockerd, the S3 server, the IPFS node) skip when it cannot run on
// a developer's machine, but fail under `make test`, which installs every service and sets
// COD_REQUIRE_TEST_SERVICES=1: a missing install step must not pass as a skipped test.

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace cod::testing {

inline bool testServicesRequired() {
  const char* v = std::getenv("COD_REQUIRE_TEST_SERVICES");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace cod::testing

// Skips (or, under make test, fails) the current test when `condition` is false.
#define COD_REQUIRE_SERVICE(condition, why)                        \
  do {                                                             \
    if (!(condition)) {                                            \
      if (::cod::testing::testServicesRequired()) FAIL() << (why); \
      GTEST_SKIP() << (why);                                       \
    }                                                              \
  } while (false)
