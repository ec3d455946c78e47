#include "models/locality.h"

#include <cstdint>
#include <cstdio>

#include "common/strings.h"
#include "models/json.h"

namespace cod::models {

namespace {

std::string param(const InputSource& input, std::string_view key) {
  const auto* v = findKey(input.source.params, key);
  return v != nullptr && v->is_string() ? std::string(trim(v->as_string())) : std::string();
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::string inputLocator(const InputSource& input) {
  std::string type = toLower(trim(input.source.type));
  std::string what;
  if (type == "ipfs") {
    what = "ipfs\n" + param(input, "CID");
  } else if (type == "s3") {
    what = "s3\n" + toLower(param(input, "Endpoint")) + "\n" + param(input, "Bucket") + "\n" +
           param(input, "Key") + "\n" + param(input, "VersionID") + "\n" + param(input, "Filter");
  } else if (type == "urldownload") {
    what = "url\n" + param(input, "URL");
  } else {
    return "";
  }
  char out[19];
  std::snprintf(out, sizeof out, "l-%016llx", static_cast<unsigned long long>(fnv1a64(what)));
  return out;
}

std::vector<std::string> inputLocators(const Task& task) {
  std::vector<std::string> out;
  for (const auto& in : task.input_sources) {
    if (std::string l = inputLocator(in); !l.empty()) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace cod::models
