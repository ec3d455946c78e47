// Kubernetes-style label selectors (GET /jobs?labels=…, node selectors in specs), matched against
// a fixed set of labels once parsed.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "models/label_selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto selector = cod::models::LabelSelector::parse(text);
  if (selector.isOk()) {
    static const std::map<std::string, std::string> kLabels = {
        {"zone", "eu-1"}, {"gpu", "true"}, {"tier", "3"}, {"bacalhau_canary", "false"}};
    (void)selector->matches(kLabels);
    (void)selector->matches({});
  }
  return 0;
}
