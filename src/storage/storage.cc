#include "storage/storage.h"

#include "common/strings.h"
#include "models/json.h"

namespace cod::storage {

std::string stringParam(const models::InputSource& input, std::string_view key) {
  const auto* v = models::findKey(input.source.params, key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<bool> boolParam(const models::InputSource& input, std::string_view key) {
  const auto* v = models::findKey(input.source.params, key);
  if (v == nullptr || v->is_null()) return false;
  if (v->is_bool()) return v->as_bool();
  if (v->is_string()) {
    std::string s = toLower(trim(v->as_string()));
    if (s == "true") return true;
    if (s == "false" || s.empty()) return false;
  }
  return invalidArgument("Source.Params." + std::string(key) + ": expected true or false, got " +
                         models::serialize(*v));
}

}  // namespace cod::storage
