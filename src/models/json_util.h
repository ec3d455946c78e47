#pragma once

// Helpers shared by the json_*.cc files and spec_loader.cc. Private to src/models.
//
// Decoding follows Go's encoding/json as Bacalhau relies on it: keys match case-insensitively,
// unknown keys are ignored, `null` is the same as an absent key (the field keeps its value), and a
// value of the wrong type is an InvalidArgument error that names the field by its path.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "models/job.h"
#include "models/json.h"

namespace cod::models::json_internal {

namespace bj = boost::json;

// "a string", "a number", "an object", … — for error messages.
std::string kindName(const bj::value& v);

// Go's encoding/json text for a float64: shortest round-trip digits, fixed notation unless the
// magnitude is below 1e-6 or at least 1e21 ("0.5", "6.4", "1e-7", "1e+21").
std::string formatNumber(double d);

// "<path>.<key>", or just the key at the root.
std::string childPath(std::string_view path, std::string_view key);
// "<path>[<i>]".
std::string indexPath(std::string_view path, size_t i);

// Scalar readers. Each converts `v` (which is not null) or returns an error naming `path`.
Status readString(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                  std::string* out);
Status readInt64(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                 int64_t* out);
Status readUint64(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                  uint64_t* out);
Status readDouble(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                  double* out);
Status readBool(const bj::value& v, const std::string& path, const DecodeOptions& opts, bool* out);

// The wire form of a time: RFC 3339, with Time{} written as Go's zero time.
bj::value timeToJson(Time t);
bj::object stringMapToJson(const StringMap& m);
bj::array stringsToJson(const std::vector<std::string>& v);

// An object being decoded. Every read leaves *out unchanged when the key is absent or null.
class ObjectReader {
 public:
  // Fails with "<path>: expected an object, got …" when `v` is not an object.
  static Result<ObjectReader> open(const bj::value& v, std::string path, const DecodeOptions& opts);

  // The member named `key` (case-insensitive); nullptr when absent or null.
  const bj::value* get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }
  std::string pathOf(std::string_view key) const { return childPath(path_, key); }
  const std::string& path() const { return path_; }
  const DecodeOptions& opts() const { return *opts_; }

  Status str(std::string_view key, std::string* out) const;
  Status i64(std::string_view key, int64_t* out) const;
  Status u64(std::string_view key, uint64_t* out) const;
  Status f64(std::string_view key, double* out) const;
  Status boolean(std::string_view key, bool* out) const;
  Status time(std::string_view key, Time* out) const;
  Status stringMap(std::string_view key, StringMap* out) const;
  // A null element becomes "" (as in Go).
  Status stringList(std::string_view key, std::vector<std::string>* out) const;
  // A free-form object, kept as it is (SpecConfig.Params).
  Status object(std::string_view key, bj::object* out) const;

  // Decodes a nested value with `decode(value, path, opts, out)`.
  template <typename T, typename Decode>
  Status nested(std::string_view key, T* out, Decode decode) const {
    const bj::value* v = get(key);
    if (v == nullptr) return Status::ok();
    return decode(*v, pathOf(key), *opts_, out);
  }

  // Decodes an array with `decode` for each element; null elements are skipped.
  template <typename T, typename Decode>
  Status list(std::string_view key, std::vector<T>* out, Decode decode) const {
    const bj::value* v = get(key);
    if (v == nullptr) return Status::ok();
    std::string path = pathOf(key);
    if (!v->is_array()) {
      return invalidArgument(path + ": expected an array, got " + kindName(*v));
    }
    std::vector<T> items;
    const bj::array& arr = v->get_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      if (arr[i].is_null()) continue;
      T item;
      COD_RETURN_IF_ERROR(decode(arr[i], indexPath(path, i), *opts_, &item));
      items.push_back(std::move(item));
    }
    *out = std::move(items);
    return Status::ok();
  }

 private:
  ObjectReader(const bj::object& obj, std::string path, const DecodeOptions& opts)
      : obj_(&obj), path_(std::move(path)), opts_(&opts) {}

  const bj::object* obj_;
  std::string path_;
  const DecodeOptions* opts_;
};

// The path a top-level decoder starts from: the caller's DecodeOptions::path, except that the
// default ("Job") is replaced by `type_name` for models other than Job.
std::string rootPath(const DecodeOptions& opts, std::string_view type_name);

}  // namespace cod::models::json_internal

namespace cod::models::json_internal {

// Decoders shared between the json_*.cc files: `v` is not null; errors name `path`.
Status decodeSpecConfig(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                        SpecConfig* out);
Status decodeResources(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                       Resources* out);
Status decodeJob(const bj::value& v, const std::string& path, const DecodeOptions& opts, Job* out);
Status decodeRequirement(const bj::value& v, const std::string& path, const DecodeOptions& opts,
                         LabelSelectorRequirement* out);

}  // namespace cod::models::json_internal
