// JSON text in and out, and the small shared models (SpecConfig, Resources, requirements).
// Jobs and tasks are in json_job.cc, executions/evaluations/history in json_execution.cc, nodes in
// json_node.cc.

#include "models/json.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <new>

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include "common/strings.h"
#include "common/units.h"
#include "models/json_util.h"

namespace cod::models {

using json_internal::ObjectReader;
using json_internal::bj::array;
using json_internal::bj::object;
using json_internal::bj::value;

namespace {

// Counts what a parse allocates and throws std::bad_alloc past a limit, so that a small text of
// many small values ("[0,0,0,…]": 2 bytes each, 16+ in the tree) cannot take unbounded memory.
// Used by one parse on one thread; the parse lifts the limit once the tree is built. The budget
// is shared because the resource lives inside boost::json's own wrapper, out of reach.
struct JsonBudget {
  explicit JsonBudget(size_t max) : limit(max) {}
  std::atomic<size_t> limit;
  // Copies of the value share the resource and may be freed on other threads.
  std::atomic<size_t> used{0};
  std::atomic<bool> exceeded{false};
};

class BoundedResource final : public boost::json::memory_resource {
 public:
  explicit BoundedResource(std::shared_ptr<JsonBudget> budget) : budget_(std::move(budget)) {}

 private:
  void* do_allocate(size_t bytes, size_t align) override {
    JsonBudget& b = *budget_;
    const size_t limit = b.limit;
    if (bytes > limit - std::min(b.used.load(), limit)) {
      b.exceeded = true;
      throw std::bad_alloc();
    }
    // Plain new for the usual alignments: boost::json may free with another alignment than it
    // asked for, which the aligned operators may not be given (ASan: new-delete-type-mismatch).
    void* p = align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__
                  ? ::operator new(bytes)
                  : ::operator new(bytes, std::align_val_t(align));
    b.used += bytes;
    return p;
  }
  void do_deallocate(void* p, size_t bytes, size_t align) override {
    if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      ::operator delete(p);
    } else {
      ::operator delete(p, std::align_val_t(align));
    }
    budget_->used -= bytes;
  }
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::shared_ptr<JsonBudget> budget_;
};

// The parser's default depth (32) is too shallow for free-form Params nested inside a job inside
// an API request; 64 still bounds recursion.
constexpr unsigned kMaxJsonDepth = 64;

// Line and column (both from 1) of a byte offset.
std::string positionOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Writes JSON the way Go's encoding/json does: numbers in Go's float format (Boost.JSON would write
// 0.5 as "5E-1"), keys in insertion order; `indent` < 0 means compact.
class Writer {
 public:
  explicit Writer(int indent) : indent_(indent) {}

  void write(const value& v, int depth) {
    switch (v.kind()) {
      case boost::json::kind::null: out_ += "null"; break;
      case boost::json::kind::bool_: out_ += v.get_bool() ? "true" : "false"; break;
      case boost::json::kind::int64: out_ += std::to_string(v.get_int64()); break;
      case boost::json::kind::uint64: out_ += std::to_string(v.get_uint64()); break;
      case boost::json::kind::double_: out_ += json_internal::formatNumber(v.get_double()); break;
      case boost::json::kind::string: writeString(v.get_string()); break;
      case boost::json::kind::array: writeArray(v.get_array(), depth); break;
      case boost::json::kind::object: writeObject(v.get_object(), depth); break;
    }
  }

  std::string take() { return std::move(out_); }

 private:
  // Always valid UTF-8, so that whatever cod writes it can read back: a task's binary output or
  // a string from a peer becomes U+FFFD where it is not UTF-8, instead of JSON no parser takes.
  void writeString(std::string_view s) {
    if (isValidUtf8(s)) {
      out_ += boost::json::serialize(s);
    } else {
      out_ += boost::json::serialize(toValidUtf8(s));
    }
  }

  void newline(int depth) {
    if (indent_ < 0) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(indent_) * static_cast<size_t>(depth), ' ');
  }

  void writeArray(const array& arr, int depth) {
    out_ += '[';
    for (size_t i = 0; i < arr.size(); ++i) {
      if (i > 0) out_ += ',';
      newline(depth + 1);
      write(arr[i], depth + 1);
    }
    if (!arr.empty()) newline(depth);
    out_ += ']';
  }

  void writeObject(const object& obj, int depth) {
    out_ += '{';
    bool first = true;
    for (const auto& member : obj) {
      if (!first) out_ += ',';
      first = false;
      newline(depth + 1);
      writeString(member.key());
      out_ += indent_ < 0 ? ":" : ": ";
      write(member.value(), depth + 1);
    }
    if (!obj.empty()) newline(depth);
    out_ += '}';
  }

  int indent_;
  std::string out_;
};

// Replaces what is not UTF-8 in every string of a value parsed with allow_invalid_utf8, object
// keys included (records hold maps whose keys came from users and tasks: env, labels, details).
void repairStrings(value& v) {
  if (auto* s = v.if_string()) {
    if (!isValidUtf8(*s)) *s = toValidUtf8(*s);
  } else if (auto* arr = v.if_array()) {
    for (auto& item : *arr) repairStrings(item);
  } else if (auto* obj = v.if_object()) {
    for (auto& member : *obj) repairStrings(member.value());
    bool keys_valid = std::all_of(obj->begin(), obj->end(),
                                  [](const auto& member) { return isValidUtf8(member.key()); });
    if (!keys_valid) {
      // Keys cannot change in place. Two keys that repair alike keep the first.
      object repaired(obj->storage());
      repaired.reserve(obj->size());
      for (auto& member : *obj) {
        repaired.emplace(toValidUtf8(member.key()), std::move(member.value()));
      }
      *obj = std::move(repaired);
    }
  }
}

}  // namespace

Result<value> parseJson(std::string_view text, InvalidUtf8 invalid_utf8, size_t max_memory) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  options.allow_invalid_utf8 = invalid_utf8 == InvalidUtf8::kRepair;
  // Both the tree and the parser's own buffer count: an open array's elements wait in the
  // buffer until its ']'.
  std::shared_ptr<JsonBudget> bound;
  boost::json::storage_ptr storage;
  if (max_memory > 0) {
    bound = std::make_shared<JsonBudget>(max_memory);
    storage = boost::json::make_shared_resource<BoundedResource>(bound);
  }
  boost::json::stream_parser parser(storage, options);
  if (bound) parser.reset(storage);
  boost::system::error_code ec;
  size_t consumed = 0;
  try {
    consumed = parser.write_some(text.data(), text.size(), ec);
    if (!ec && parser.done() && !trim(text.substr(consumed)).empty()) {
      size_t extra = consumed + text.substr(consumed).find_first_not_of(" \t\r\n");
      return invalidArgument("invalid JSON at " + positionOf(text, extra) +
                             ": unexpected text after the end of the JSON value");
    }
    if (!ec) {
      parser.finish(ec);
      consumed = text.size();
    }
  } catch (const std::bad_alloc&) {
    if (!bound || !bound->exceeded) throw;
    return resourceExhausted("the JSON document (" + formatBytes(text.size()) +
                             ") needs more than " + formatBytes(max_memory) +
                             " of memory to hold: it has too many small values; send less");
  }
  if (ec) {
    return invalidArgument("invalid JSON at " + positionOf(text, consumed) + ": " + ec.message());
  }
  value v = parser.release();
  // The bound is for reading: what is done with the value later must not fail on it.
  if (bound) bound->limit = std::numeric_limits<size_t>::max();
  if (invalid_utf8 == InvalidUtf8::kRepair) repairStrings(v);
  return v;
}

std::string serialize(const value& v) {
  Writer w(-1);
  w.write(v, 0);
  return w.take();
}

std::string serializePretty(const value& v) {
  Writer w(2);
  w.write(v, 0);
  return w.take();
}

const value* findKey(const object& obj, std::string_view key) {
  // Go prefers an exact match and falls back to a case-insensitive one.
  if (const value* v = obj.if_contains(key)) return v;
  for (const auto& member : obj) {
    if (equalsIgnoreCase(member.key(), key)) return &member.value();
  }
  return nullptr;
}

std::optional<int64_t> exactInt64(const value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    double d = v.get_double();
    // [-2^63, 2^63): both bounds are exact doubles; NaN fails both comparisons.
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

// ---- SpecConfig --------------------------------------------------------------------------------

value toJson(const SpecConfig& v) {
  object obj;
  obj["Type"] = v.type;
  if (!v.params.empty()) obj["Params"] = v.params;
  return obj;
}

namespace json_internal {

Status decodeSpecConfig(const value& v, const std::string& path, const DecodeOptions& opts,
                        SpecConfig* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Type", &out->type));
  return r.object("Params", &out->params);
}

}  // namespace json_internal

Result<SpecConfig> specConfigFromJson(const value& v, const DecodeOptions& opts) {
  SpecConfig out;
  COD_RETURN_IF_ERROR(
      json_internal::decodeSpecConfig(v, json_internal::rootPath(opts, "SpecConfig"), opts, &out));
  return out;
}

// ---- Resources ---------------------------------------------------------------------------------

namespace {

value gpuToJson(const Gpu& g) {
  object obj;
  obj["Index"] = g.index;
  obj["Name"] = g.name;
  obj["Vendor"] = g.vendor;
  obj["Memory"] = g.memory;
  obj["PCIAddress"] = g.pci_address;
  return obj;
}

Status decodeGpu(const value& v, const std::string& path, const DecodeOptions& opts, Gpu* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.u64("Index", &out->index));
  COD_RETURN_IF_ERROR(r.str("Name", &out->name));
  COD_RETURN_IF_ERROR(r.str("Vendor", &out->vendor));
  COD_RETURN_IF_ERROR(r.u64("Memory", &out->memory));
  return r.str("PCIAddress", &out->pci_address);
}

}  // namespace

value toJson(const Resources& v) {
  object obj;
  if (v.cpu != 0) obj["CPU"] = v.cpu;
  if (v.memory != 0) obj["Memory"] = v.memory;
  if (v.disk != 0) obj["Disk"] = v.disk;
  if (v.gpu != 0) obj["GPU"] = v.gpu;
  if (!v.gpus.empty()) {
    array gpus;
    for (const auto& g : v.gpus) gpus.push_back(gpuToJson(g));
    obj["GPUs"] = std::move(gpus);
  }
  return obj;
}

namespace json_internal {

Status decodeResources(const value& v, const std::string& path, const DecodeOptions& opts,
                       Resources* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.f64("CPU", &out->cpu));
  COD_RETURN_IF_ERROR(r.u64("Memory", &out->memory));
  COD_RETURN_IF_ERROR(r.u64("Disk", &out->disk));
  COD_RETURN_IF_ERROR(r.u64("GPU", &out->gpu));
  return r.list("GPUs", &out->gpus, decodeGpu);
}

}  // namespace json_internal

Result<Resources> resourcesFromJson(const value& v, const DecodeOptions& opts) {
  Resources out;
  COD_RETURN_IF_ERROR(
      json_internal::decodeResources(v, json_internal::rootPath(opts, "Resources"), opts, &out));
  return out;
}

// ---- LabelSelectorRequirement ------------------------------------------------------------------

value toJson(const LabelSelectorRequirement& v) {
  object obj;
  obj["Key"] = v.key;
  obj["Operator"] = v.op;
  if (!v.values.empty()) obj["Values"] = json_internal::stringsToJson(v.values);
  return obj;
}

namespace json_internal {

Status decodeRequirement(const value& v, const std::string& path, const DecodeOptions& opts,
                         LabelSelectorRequirement* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Key", &out->key));
  COD_RETURN_IF_ERROR(r.str("Operator", &out->op));
  return r.stringList("Values", &out->values);
}

}  // namespace json_internal

Result<LabelSelectorRequirement> labelSelectorRequirementFromJson(const value& v,
                                                                  const DecodeOptions& opts) {
  LabelSelectorRequirement out;
  COD_RETURN_IF_ERROR(json_internal::decodeRequirement(
      v, json_internal::rootPath(opts, "LabelSelectorRequirement"), opts, &out));
  return out;
}

}  // namespace cod::models
