#include "models/json_util.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/strings.h"

namespace cod::models::json_internal {

namespace {

constexpr const char* kGoZeroTime = "0001-01-01T00:00:00Z";
constexpr const char* kGoZeroDate = "0001-01-01T00:00:00";
// The years that Unix nanoseconds in an int64 can hold (1677-09-21 to 2262-04-11), less the edges.
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

Status wrongKind(const std::string& path, std::string_view expected, const bj::value& v) {
  return invalidArgument(path + ": expected " + std::string(expected) + ", got " + kindName(v));
}

// A double that holds a whole number within the range of T.
template <typename T>
bool integralDouble(double d, T* out) {
  if (!std::isfinite(d) || d != std::floor(d)) return false;
  // Both bounds as doubles: max() rounds up to 2^63 / 2^64, which is itself out of range.
  if (d < static_cast<double>(std::numeric_limits<T>::min()) ||
      d >= static_cast<double>(std::numeric_limits<T>::max())) {
    return false;
  }
  *out = static_cast<T>(d);
  return true;
}

}  // namespace

std::string kindName(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null: return "null";
    case bj::kind::bool_: return "a boolean";
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::double_: return "a number";
    case bj::kind::string: return "a string";
    case bj::kind::array: return "an array";
    case bj::kind::object: return "an object";
  }
  return "an unknown value";
}

std::string formatNumber(double d) {
  if (!std::isfinite(d)) return "null";
  double abs = std::fabs(d);
  bool scientific = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d,
                           scientific ? std::chars_format::scientific : std::chars_format::fixed);
  std::string out(buf, res.ptr);
  if (scientific) {
    // C++ writes at least two exponent digits ("1e-07"); Go trims a leading zero ("1e-7").
    size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') {
      out.erase(n - 2, 1);
    }
  }
  return out;
}

std::string childPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string indexPath(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

Status readString(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                  std::string* out) {
  if (v.is_string()) {
    *out = std::string(v.get_string());
    return Status::ok();
  }
  if (opts.lenient_scalars) {
    switch (v.kind()) {
      case bj::kind::bool_: *out = v.get_bool() ? "true" : "false"; return Status::ok();
      case bj::kind::int64: *out = std::to_string(v.get_int64()); return Status::ok();
      case bj::kind::uint64: *out = std::to_string(v.get_uint64()); return Status::ok();
      case bj::kind::double_: *out = formatNumber(v.get_double()); return Status::ok();
      default: break;
    }
  }
  return wrongKind(path, "a string", v);
}

Status readInt64(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                 int64_t* out) {
  switch (v.kind()) {
    case bj::kind::int64: *out = v.get_int64(); return Status::ok();
    case bj::kind::uint64:
      if (v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *out = static_cast<int64_t>(v.get_uint64());
        return Status::ok();
      }
      return invalidArgument(path + ": " + std::to_string(v.get_uint64()) +
                             " is too large for this field");
    case bj::kind::double_:
      if (integralDouble(v.get_double(), out)) return Status::ok();
      return invalidArgument(path + ": expected a whole number, got " +
                             formatNumber(v.get_double()));
    case bj::kind::string:
      if (opts.lenient_scalars) {
        std::string_view s = trim(v.get_string());
        double d;
        if (parseInt64(s, out)) return Status::ok();
        if (parseDouble(s, &d) && integralDouble(d, out)) return Status::ok();
        return invalidArgument(path + ": expected a whole number, got \"" +
                               std::string(v.get_string()) + "\"");
      }
      break;
    default: break;
  }
  return wrongKind(path, "a number", v);
}

Status readUint64(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                  uint64_t* out) {
  switch (v.kind()) {
    case bj::kind::uint64: *out = v.get_uint64(); return Status::ok();
    case bj::kind::int64:
      if (v.get_int64() >= 0) {
        *out = static_cast<uint64_t>(v.get_int64());
        return Status::ok();
      }
      return invalidArgument(path + ": must not be negative, got " + std::to_string(v.get_int64()));
    case bj::kind::double_:
      if (integralDouble(v.get_double(), out)) return Status::ok();
      return invalidArgument(path + ": expected a whole number that is not negative, got " +
                             formatNumber(v.get_double()));
    case bj::kind::string:
      if (opts.lenient_scalars) {
        std::string_view s = trim(v.get_string());
        double d;
        if (parseUint64(s, out)) return Status::ok();
        if (parseDouble(s, &d) && integralDouble(d, out)) return Status::ok();
        return invalidArgument(path + ": expected a whole number that is not negative, got \"" +
                               std::string(v.get_string()) + "\"");
      }
      break;
    default: break;
  }
  return wrongKind(path, "a number", v);
}

Status readDouble(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                  double* out) {
  switch (v.kind()) {
    case bj::kind::double_:
      // JSON text past a double's range parses as infinity: not a value anyone meant.
      if (!std::isfinite(v.get_double())) {
        return invalidArgument(path + ": the number is out of range");
      }
      *out = v.get_double();
      return Status::ok();
    case bj::kind::int64: *out = static_cast<double>(v.get_int64()); return Status::ok();
    case bj::kind::uint64: *out = static_cast<double>(v.get_uint64()); return Status::ok();
    case bj::kind::string:
      if (opts.lenient_scalars) {
        if (parseDouble(trim(v.get_string()), out) && std::isfinite(*out)) return Status::ok();
        return invalidArgument(path + ": expected a number, got \"" + std::string(v.get_string()) +
                               "\"");
      }
      break;
    default: break;
  }
  return wrongKind(path, "a number", v);
}

Status readBool(const bj::value& v, const std::string& path, const DecodeOptions& opts, bool* out) {
  if (v.is_bool()) {
    *out = v.get_bool();
    return Status::ok();
  }
  if (opts.lenient_scalars && v.is_string()) {
    std::string_view s = trim(v.get_string());
    if (equalsIgnoreCase(s, "true") || equalsIgnoreCase(s, "false")) {
      *out = equalsIgnoreCase(s, "true");
      return Status::ok();
    }
    return invalidArgument(path + ": expected true or false, got \"" + std::string(v.get_string()) +
                           "\"");
  }
  return wrongKind(path, "a boolean", v);
}

bj::value timeToJson(Time t) {
  if (t.time_since_epoch().count() == 0) return bj::value(kGoZeroTime);
  return bj::value(formatRfc3339(t));
}

bj::object stringMapToJson(const StringMap& m) {
  bj::object obj;
  for (const auto& [k, v] : m) obj[k] = v;
  return obj;
}

bj::array stringsToJson(const std::vector<std::string>& v) {
  bj::array arr;
  arr.reserve(v.size());
  for (const auto& s : v) arr.emplace_back(s);
  return arr;
}

Result<ObjectReader> ObjectReader::open(const bj::value& v, std::string path,
                                        const DecodeOptions& opts) {
  if (!v.is_object()) return wrongKind(path, "an object", v);
  return ObjectReader(v.get_object(), std::move(path), opts);
}

const bj::value* ObjectReader::get(std::string_view key) const {
  const bj::value* v = findKey(*obj_, key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Status ObjectReader::str(std::string_view key, std::string* out) const {
  const bj::value* v = get(key);
  return v == nullptr ? Status::ok() : readString(*v, pathOf(key), *opts_, out);
}

Status ObjectReader::i64(std::string_view key, int64_t* out) const {
  const bj::value* v = get(key);
  return v == nullptr ? Status::ok() : readInt64(*v, pathOf(key), *opts_, out);
}

Status ObjectReader::u64(std::string_view key, uint64_t* out) const {
  const bj::value* v = get(key);
  return v == nullptr ? Status::ok() : readUint64(*v, pathOf(key), *opts_, out);
}

Status ObjectReader::f64(std::string_view key, double* out) const {
  const bj::value* v = get(key);
  return v == nullptr ? Status::ok() : readDouble(*v, pathOf(key), *opts_, out);
}

Status ObjectReader::boolean(std::string_view key, bool* out) const {
  const bj::value* v = get(key);
  return v == nullptr ? Status::ok() : readBool(*v, pathOf(key), *opts_, out);
}

Status ObjectReader::time(std::string_view key, Time* out) const {
  const bj::value* v = get(key);
  if (v == nullptr) return Status::ok();
  std::string path = pathOf(key);
  if (!v->is_string()) return wrongKind(path, "an RFC 3339 time string", *v);
  std::string text(v->get_string());
  if (text.empty()) {
    *out = Time{};
    return Status::ok();
  }
  // Go's zero time ("never") is Time{} here. Check the text: year 1 is outside what nanoseconds
  // since 1970 in 64 bits can hold, so it cannot be compared as a Time.
  if (startsWith(text, kGoZeroDate)) {
    *out = Time{};
    return Status::ok();
  }
  // The year first: one outside the range cannot be converted to a Time at all.
  int64_t year = 0;
  bool has_year = parseInt64(std::string_view(text).substr(0, 4), &year);
  Time t;
  if (!(has_year && (year < kMinYear || year > kMaxYear)) && !parseRfc3339(text, &t)) {
    return invalidArgument(path + ": invalid time \"" + text +
                           "\": expected RFC 3339 like \"2024-08-19T20:40:26Z\"");
  }
  if (!has_year || year < kMinYear || year > kMaxYear) {
    return invalidArgument(path + ": time \"" + text + "\" is out of range; use a year from " +
                           std::to_string(kMinYear) + " to " + std::to_string(kMaxYear));
  }
  *out = t;
  return Status::ok();
}

Status ObjectReader::stringMap(std::string_view key, StringMap* out) const {
  const bj::value* v = get(key);
  if (v == nullptr) return Status::ok();
  std::string path = pathOf(key);
  if (!v->is_object()) return wrongKind(path, "an object", *v);
  StringMap m;
  for (const auto& member : v->get_object()) {
    std::string k(member.key());
    std::string value;
    if (!member.value().is_null()) {
      COD_RETURN_IF_ERROR(readString(member.value(), path + "[\"" + k + "\"]", *opts_, &value));
    }
    m[k] = std::move(value);
  }
  *out = std::move(m);
  return Status::ok();
}

Status ObjectReader::stringList(std::string_view key, std::vector<std::string>* out) const {
  const bj::value* v = get(key);
  if (v == nullptr) return Status::ok();
  std::string path = pathOf(key);
  if (!v->is_array()) return wrongKind(path, "an array", *v);
  std::vector<std::string> items;
  const bj::array& arr = v->get_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string s;
    if (!arr[i].is_null()) COD_RETURN_IF_ERROR(readString(arr[i], indexPath(path, i), *opts_, &s));
    items.push_back(std::move(s));
  }
  *out = std::move(items);
  return Status::ok();
}

Status ObjectReader::object(std::string_view key, bj::object* out) const {
  const bj::value* v = get(key);
  if (v == nullptr) return Status::ok();
  if (!v->is_object()) return wrongKind(pathOf(key), "an object", *v);
  *out = v->get_object();
  return Status::ok();
}

std::string rootPath(const DecodeOptions& opts, std::string_view type_name) {
  if (opts.path == DecodeOptions{}.path) return std::string(type_name);
  return opts.path;
}

}  // namespace cod::models::json_internal
