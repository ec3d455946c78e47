// Resource quantities and durations as specs, flags and config files write them ("500m", "1.5",
// "10gb", "2Gi", "1h30m").

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cod::parseCpuQuantity(text);
  (void)cod::parseByteSize(text);
  (void)cod::parseDuration(text);
  return 0;
}
