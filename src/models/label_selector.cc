#include "models/label_selector.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace cod::models {

namespace {

constexpr const char* kOperators = "=, ==, !=, in, notin, exists, !, gt, lt";
constexpr size_t kMaxNameLength = 63;
constexpr size_t kMaxPrefixLength = 253;

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// A label name or value body: alphanumerics at both ends, '-', '_', '.' inside.
bool isLabelName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  if (!isAlnum(s.front()) || !isAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', alphanumerics at both ends.
bool isDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > kMaxPrefixLength) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return lower_alnum(c) || c == '-' || c == '.'; });
}

Status validateKey(std::string_view key) {
  if (key.empty()) return invalidArgument("the label key must not be empty");
  auto slash = key.find('/');
  bool ok = slash == std::string_view::npos
                ? isLabelName(key)
                : isDnsSubdomain(key.substr(0, slash)) && isLabelName(key.substr(slash + 1));
  if (ok) return Status::ok();
  return invalidArgument(
      "invalid label key \"" + std::string(key) +
      "\": a key is a name of at most 63 letters, digits, '-', '_' or '.', starting and ending "
      "with a letter or digit, optionally prefixed by a lower-case DNS domain and '/' "
      "(\"example.com/gpu\")");
}

Status validateValue(std::string_view key, std::string_view value) {
  if (value.empty() || isLabelName(value)) return Status::ok();
  return invalidArgument("invalid value \"" + std::string(value) + "\" for label key \"" +
                         std::string(key) +
                         "\": a value is empty or at most 63 letters, digits, '-', '_' or '.', "
                         "starting and ending with a letter or digit");
}

// ---- the selector text syntax -------------------------------------------------------------------

enum class Tok {
  kIdentifier,
  kNot,           // !
  kEquals,        // =
  kDoubleEquals,  // ==
  kNotEquals,     // !=
  kGreater,       // >
  kLess,          // <
  kIn,
  kNotIn,
  kOpenParen,
  kCloseParen,
  kComma,
  kEnd,
};

struct Token {
  Tok kind;
  std::string text;
};

bool isSpecial(char c) {
  return c == '!' || c == '=' || c == '>' || c == '<' || c == '(' || c == ')' || c == ',';
}

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (isSpace(c)) {
      ++i;
      continue;
    }
    if (isSpecial(c)) {
      bool followed_by_eq = i + 1 < text.size() && text[i + 1] == '=';
      if (c == '!' && followed_by_eq) {
        out.push_back({Tok::kNotEquals, "!="});
        i += 2;
      } else if (c == '=' && followed_by_eq) {
        out.push_back({Tok::kDoubleEquals, "=="});
        i += 2;
      } else {
        Tok kind = c == '!'   ? Tok::kNot
                   : c == '=' ? Tok::kEquals
                   : c == '>' ? Tok::kGreater
                   : c == '<' ? Tok::kLess
                   : c == '(' ? Tok::kOpenParen
                   : c == ')' ? Tok::kCloseParen
                              : Tok::kComma;
        out.push_back({kind, std::string(1, c)});
        ++i;
      }
      continue;
    }
    size_t start = i;
    while (i < text.size() && !isSpace(text[i]) && !isSpecial(text[i])) ++i;
    std::string word(text.substr(start, i - start));
    Tok kind = word == "in" ? Tok::kIn : word == "notin" ? Tok::kNotIn : Tok::kIdentifier;
    out.push_back({kind, std::move(word)});
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

std::string describe(const Token& t) {
  return t.kind == Tok::kEnd ? "the end of the selector" : "\"" + t.text + "\"";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), tokens_(tokenize(text)) {}

  Result<std::vector<LabelSelectorRequirement>> parse() {
    std::vector<LabelSelectorRequirement> reqs;
    if (peek().kind == Tok::kEnd) return reqs;
    while (true) {
      LabelSelectorRequirement req;
      COD_RETURN_IF_ERROR(parseRequirement(&req));
      Status valid = validateRequirement(req);
      if (!valid.isOk()) return fail(valid.message());
      reqs.push_back(std::move(req));
      const Token& t = next();
      if (t.kind == Tok::kEnd) return reqs;
      if (t.kind != Tok::kComma) {
        return fail("found " + describe(t) + " after a requirement; expected ',' or the end");
      }
      if (peek().kind == Tok::kEnd) return fail("expected a requirement after the last ','");
    }
  }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  Status fail(const std::string& detail) const {
    return invalidArgument("invalid label selector \"" + std::string(text_) + "\": " + detail);
  }

  Status parseRequirement(LabelSelectorRequirement* req) {
    bool negated = false;
    if (peek().kind == Tok::kNot) {
      next();
      negated = true;
    }
    const Token& key = next();
    if (key.kind != Tok::kIdentifier) {
      return fail("found " + describe(key) + " where a label key was expected");
    }
    req->key = key.text;
    if (negated) {
      req->op = "!";
      return Status::ok();
    }
    if (peek().kind == Tok::kEnd || peek().kind == Tok::kComma) {
      req->op = "exists";
      return Status::ok();
    }
    const Token& op = next();
    switch (op.kind) {
      case Tok::kEquals: req->op = "="; break;
      case Tok::kDoubleEquals: req->op = "=="; break;
      case Tok::kNotEquals: req->op = "!="; break;
      case Tok::kGreater: req->op = "gt"; break;
      case Tok::kLess: req->op = "lt"; break;
      case Tok::kIn: req->op = "in"; return parseSet(req);
      case Tok::kNotIn: req->op = "notin"; return parseSet(req);
      default:
        return fail("found " + describe(op) + " after key \"" + req->key +
                    "\"; expected one of =, ==, !=, >, <, in, notin");
    }
    // A single value; "k=" (nothing before ',' or the end) is the empty value.
    if (peek().kind == Tok::kEnd || peek().kind == Tok::kComma) {
      req->values.emplace_back();
      return Status::ok();
    }
    const Token& value = next();
    if (value.kind != Tok::kIdentifier && value.kind != Tok::kIn && value.kind != Tok::kNotIn) {
      return fail("found " + describe(value) + " where a value for key \"" + req->key +
                  "\" was expected");
    }
    req->values.push_back(value.text);
    return Status::ok();
  }

  // "(a, b, c)": commas inside the parentheses separate the values.
  Status parseSet(LabelSelectorRequirement* req) {
    const Token& open = next();
    if (open.kind != Tok::kOpenParen) {
      return fail("found " + describe(open) + " after \"" + req->op + "\"; expected '(' and a " +
                  "list of values like \"" + req->key + " " + req->op + " (a,b)\"");
    }
    if (peek().kind == Tok::kCloseParen) {
      next();
      return Status::ok();  // the empty set is reported by validateRequirement
    }
    while (true) {
      std::string value;
      const Token& t = peek();
      if (t.kind == Tok::kIdentifier || t.kind == Tok::kIn || t.kind == Tok::kNotIn) {
        value = next().text;
      }
      req->values.push_back(std::move(value));
      const Token& sep = next();
      if (sep.kind == Tok::kCloseParen) return Status::ok();
      if (sep.kind != Tok::kComma) {
        return fail("found " + describe(sep) + " in the values of key \"" + req->key +
                    "\"; expected ',' or ')'");
      }
    }
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

bool contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

Status validateRequirement(const LabelSelectorRequirement& req) {
  COD_RETURN_IF_ERROR(validateKey(req.key));
  const std::string& op = req.op;
  std::string on = "operator \"" + op + "\" on key \"" + req.key + "\"";
  size_t n = req.values.size();
  if (op == "in" || op == "notin") {
    if (n == 0) return invalidArgument(on + " needs at least one value, like \"(a,b)\"");
  } else if (op == "exists" || op == "!") {
    if (n != 0) {
      return invalidArgument(on + " takes no values, got " + std::to_string(n));
    }
  } else if (op == "=" || op == "==" || op == "!=" || op == "gt" || op == "lt") {
    if (n != 1) {
      return invalidArgument(on + " needs exactly one value, got " + std::to_string(n));
    }
    int64_t number;
    if ((op == "gt" || op == "lt") && !parseInt64(req.values[0], &number)) {
      return invalidArgument(on + " needs a whole number to compare with, got \"" + req.values[0] +
                             "\"");
    }
  } else {
    return invalidArgument("unknown operator \"" + op + "\" on key \"" + req.key +
                           "\"; use one of " + kOperators);
  }
  // Numbers for gt/lt were checked above (and may be negative, which a label value may not).
  if (op == "gt" || op == "lt") return Status::ok();
  for (const auto& v : req.values) COD_RETURN_IF_ERROR(validateValue(req.key, v));
  return Status::ok();
}

bool matches(const LabelSelectorRequirement& req, const StringMap& labels) {
  auto it = labels.find(req.key);
  bool present = it != labels.end();
  const std::string& op = req.op;
  if (op == "=" || op == "==" || op == "in") return present && contains(req.values, it->second);
  if (op == "!=" || op == "notin") return !present || !contains(req.values, it->second);
  if (op == "exists") return present;
  if (op == "!") return !present;
  if (op == "gt" || op == "lt") {
    int64_t have;
    int64_t want;
    if (!present || req.values.size() != 1 || !parseInt64(it->second, &have) ||
        !parseInt64(req.values[0], &want)) {
      return false;
    }
    return op == "gt" ? have > want : have < want;
  }
  return false;
}

std::string formatRequirement(const LabelSelectorRequirement& req) {
  const std::string& op = req.op;
  if (op == "exists") return req.key;
  if (op == "!") return "!" + req.key;
  if (op == "in" || op == "notin") return req.key + " " + op + " (" + join(req.values, ",") + ")";
  std::string value = req.values.empty() ? "" : req.values[0];
  if (op == "gt") return req.key + ">" + value;
  if (op == "lt") return req.key + "<" + value;
  return req.key + op + value;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  Parser parser(text);
  COD_ASSIGN_OR_RETURN(auto reqs, parser.parse());
  return fromRequirements(std::move(reqs));
}

Result<LabelSelector> LabelSelector::parseAll(const std::vector<std::string>& texts) {
  std::vector<LabelSelectorRequirement> reqs;
  for (const auto& text : texts) {
    COD_ASSIGN_OR_RETURN(LabelSelector one, parse(text));
    reqs.insert(reqs.end(), one.requirements_.begin(), one.requirements_.end());
  }
  return fromRequirements(std::move(reqs));
}

LabelSelector LabelSelector::fromRequirements(std::vector<LabelSelectorRequirement> reqs) {
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  return s;
}

bool LabelSelector::matches(const StringMap& labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const auto& req) { return models::matches(req, labels); });
}

std::string LabelSelector::toString() const {
  std::vector<std::string> parts;
  parts.reserve(requirements_.size());
  for (const auto& req : requirements_) parts.push_back(formatRequirement(req));
  return join(parts, ",");
}

}  // namespace cod::models
