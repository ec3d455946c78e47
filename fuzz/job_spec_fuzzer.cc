// Job specs as `cod job run` and the API read them: YAML or JSON text through the one decoder,
// then the decoded job back to JSON (what the store and the API write).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "models/json.h"
#include "models/spec_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto job = cod::models::loadJobSpec(text);
  if (job.isOk()) (void)cod::models::serialize(cod::models::toJson(*job));
  return 0;
}
