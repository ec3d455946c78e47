#include "models/spec_loader.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <yaml-cpp/yaml.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/strings.h"
#include "models/json.h"
#include "models/json_util.h"

namespace cod::models {

namespace bj = boost::json;

namespace {

constexpr const char* kEmptySpec =
    "the job spec is empty: expected a YAML or JSON job with at least a Type and one task";
// Bounds on what one YAML document may expand to: aliases can repeat (or nest) a node many times.
constexpr int kMaxYamlDepth = 128;
constexpr size_t kMaxYamlNodes = 100'000;

constexpr std::string_view kTagStr = "tag:yaml.org,2002:str";
constexpr std::string_view kTagInt = "tag:yaml.org,2002:int";
constexpr std::string_view kTagFloat = "tag:yaml.org,2002:float";
constexpr std::string_view kTagBool = "tag:yaml.org,2002:bool";
constexpr std::string_view kTagNull = "tag:yaml.org,2002:null";

std::string at(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

bool allDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : c >= '0' && c < static_cast<char>('0' + base);
    if (!ok) return false;
  }
  return true;
}

// YAML 1.2 core-schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool looksLikeFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i - start;
  };
  size_t int_digits = digits();
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac_digits = digits();
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// An integer in decimal, 0x hex or 0o octal; false when the text is not one.
bool resolveInt(std::string_view s, bj::value* out) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o')) {
    base = body[1] == 'x' ? 16 : 8;
    body.remove_prefix(2);
  }
  if (!allDigits(body, base)) return false;
  errno = 0;
  std::string digits(body);
  unsigned long long magnitude = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) {
    // Beyond 64 bits: keep the magnitude as a float.
    double d = 0;
    if (base != 10 || !parseDouble(s, &d)) return false;
    *out = d;
    return true;
  }
  if (!negative) {
    if (magnitude <= static_cast<unsigned long long>(INT64_MAX)) {
      *out = static_cast<int64_t>(magnitude);
    } else {
      *out = static_cast<uint64_t>(magnitude);
    }
  } else if (magnitude <= static_cast<unsigned long long>(INT64_MAX) + 1) {
    *out = static_cast<int64_t>(0 - magnitude);
  } else {
    *out = -static_cast<double>(magnitude);
  }
  return true;
}

// What a plain (unquoted, untagged) scalar means: null, a boolean, a number or a string.
bj::value resolvePlain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  bj::value v;
  if (resolveInt(s, &v)) return v;
  double d;
  if (looksLikeFloat(s) && parseDouble(s, &d) && std::isfinite(d)) return d;
  return bj::value(s);
}

class YamlConverter {
 public:
  Result<bj::value> convert(const YAML::Node& node, int depth) {
    if (depth > kMaxYamlDepth) {
      return invalidArgument("invalid YAML at " + at(node.Mark()) + ": nested too deeply");
    }
    if (++nodes_ > kMaxYamlNodes) {
      return invalidArgument("invalid YAML: the document expands to more than " +
                             std::to_string(kMaxYamlNodes) + " values");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return bj::value(nullptr);
      case YAML::NodeType::Scalar: return scalar(node);
      case YAML::NodeType::Sequence: {
        bj::array arr;
        for (const auto& item : node) {
          COD_ASSIGN_OR_RETURN(bj::value v, convert(item, depth + 1));
          arr.push_back(std::move(v));
        }
        return bj::value(std::move(arr));
      }
      case YAML::NodeType::Map: {
        bj::object obj;
        for (const auto& kv : node) {
          std::string key;
          if (kv.first.IsScalar()) {
            key = kv.first.Scalar();
          } else if (kv.first.IsNull()) {
            key = "null";
          } else {
            return invalidArgument("invalid YAML at " + at(kv.first.Mark()) +
                                   ": a mapping key must be a plain value, not a list or mapping");
          }
          COD_ASSIGN_OR_RETURN(bj::value v, convert(kv.second, depth + 1));
          obj[key] = std::move(v);
        }
        return bj::value(std::move(obj));
      }
    }
    return bj::value(nullptr);
  }

 private:
  static Result<bj::value> scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "?") return resolvePlain(text);
    if (tag == "!" || tag == kTagStr) return bj::value(text);
    bj::value resolved = resolvePlain(text);
    auto mismatch = [&](const char* what) {
      return invalidArgument("invalid YAML at " + at(node.Mark()) + ": \"" + text +
                             "\" is tagged as " + what + " but is not one");
    };
    if (tag == kTagInt) {
      if (resolved.is_int64() || resolved.is_uint64()) return resolved;
      return mismatch("an integer");
    }
    if (tag == kTagFloat) {
      if (resolved.is_number()) return bj::value(resolved.to_number<double>());
      return mismatch("a float");
    }
    if (tag == kTagBool) {
      if (resolved.is_bool()) return resolved;
      return mismatch("a boolean");
    }
    if (tag == kTagNull) {
      if (resolved.is_null()) return resolved;
      return mismatch("null");
    }
    // Any other (application) tag: keep the text.
    return bj::value(text);
  }

  size_t nodes_ = 0;
};

// ---- JSON → YAML --------------------------------------------------------------------------------

// True when a string written plain would read back as something else (a number, a bool, null).
bool needsQuotes(const std::string& s) {
  if (s.empty() || trim(s).size() != s.size()) return true;
  return !resolvePlain(s).is_string();
}

void emitString(YAML::Emitter& out, const std::string& s) {
  if (needsQuotes(s)) {
    out << YAML::DoubleQuoted << s;
  } else {
    out << s;
  }
}

void emit(YAML::Emitter& out, const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null: out << YAML::Null; break;
    case bj::kind::bool_: out << (v.get_bool() ? "true" : "false"); break;
    case bj::kind::int64: out << std::to_string(v.get_int64()); break;
    case bj::kind::uint64: out << std::to_string(v.get_uint64()); break;
    case bj::kind::double_: {
      std::string text = json_internal::formatNumber(v.get_double());
      // Keep it a float when read back ("2" would be an integer).
      if (text.find_first_of(".en") == std::string::npos) text += ".0";
      out << text;
      break;
    }
    case bj::kind::string: emitString(out, std::string(v.get_string())); break;
    case bj::kind::array: {
      const bj::array& arr = v.get_array();
      if (arr.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const auto& item : arr) emit(out, item);
      out << YAML::EndSeq;
      break;
    }
    case bj::kind::object: {
      const bj::object& obj = v.get_object();
      if (obj.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (const auto& member : obj) {
        out << YAML::Key;
        emitString(out, std::string(member.key()));
        out << YAML::Value;
        emit(out, member.value());
      }
      out << YAML::EndMap;
      break;
    }
  }
}

}  // namespace

Result<bj::value> yamlToJson(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return invalidArgument("invalid YAML at " + at(e.mark) + ": " + e.msg);
  }
  try {
    YamlConverter converter;
    return converter.convert(root, 0);
  } catch (const YAML::Exception& e) {
    return invalidArgument("invalid YAML at " + at(e.mark) + ": " + e.msg);
  }
}

std::string jsonToYaml(const bj::value& v) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, v);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

Result<Job> loadJobSpec(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  std::string_view body = trim(text);
  if (body.empty()) return invalidArgument(kEmptySpec);

  bj::value doc;
  DecodeOptions opts;
  if (body.front() == '{') {
    auto json = parseJson(text);
    if (json.isOk()) {
      doc = std::move(json).value();
    } else {
      // A YAML flow mapping ("{Type: batch, …}") also starts with '{'.
      auto flow = yamlToJson(text);
      if (!flow.isOk()) return std::move(json).error();
      doc = std::move(flow).value();
      opts.lenient_scalars = true;
    }
  } else {
    COD_ASSIGN_OR_RETURN(doc, yamlToJson(text));
    // YAML's plain scalars carry no intent: "Memory: 1024" means the string "1024".
    opts.lenient_scalars = true;
  }
  if (doc.is_null()) return invalidArgument(kEmptySpec);
  if (!doc.is_object()) {
    return invalidArgument(
        "the job spec must be a mapping with keys such as Type and Tasks, "
        "got " +
        json_internal::kindName(doc));
  }
  // Accept the body of an API request ({"Job": {...}}) as well as a bare job.
  const bj::object& obj = doc.get_object();
  const bj::value* inner = findKey(obj, "Job");
  if (inner != nullptr && inner->is_object() && findKey(obj, "Type") == nullptr &&
      findKey(obj, "Tasks") == nullptr) {
    return jobFromJson(*inner, opts);
  }
  return jobFromJson(doc, opts);
}

}  // namespace cod::models
