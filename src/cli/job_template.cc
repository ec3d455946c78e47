#include "cli/job_template.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <regex>

#include "common/strings.h"

namespace cod::cli {

namespace {

constexpr std::string_view kSupported =
    "cod's job templates support {{ .name }}, {{ index . \"name\" }}, string literals such as "
    "{{\"{{\"}} and {{/* comments */}}; use --no-template to send the file as it is";

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isIdentStart(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }

std::string_view trimLeftSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && isSpace(s[i])) ++i;
  return s.substr(i);
}

std::string_view trimRightSpace(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && isSpace(s[n - 1])) --n;
  return s.substr(0, n);
}

void appendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

enum class TokenKind { kField, kDot, kString, kIdent, kOther };

struct Token {
  TokenKind kind = TokenKind::kOther;
  std::string text;  // field chain without the leading dot, decoded string, identifier, raw text
  size_t offset = 0;
};

struct Action {
  std::string value;
  size_t end = 0;  // just past the closing delimiter
  bool trim_after = false;
};

// One pass over the template text; `text_` outlives the renderer.
class Renderer {
 public:
  Renderer(std::string_view text, const TemplateVars& vars) : text_(text), vars_(vars) {}

  Result<std::string> run() {
    std::string out;
    size_t pos = 0;
    bool trim_next = false;
    while (true) {
      size_t open = text_.find("{{", pos);
      std::string_view segment =
          text_.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos);
      if (trim_next) segment = trimLeftSpace(segment);
      if (open == std::string_view::npos) {
        out.append(segment);
        return out;
      }
      size_t p = open + 2;
      // "{{- " trims the text before; the dash must be followed by a space ("{{-3}}" is not).
      if (p + 1 < text_.size() && text_[p] == '-' && isSpace(text_[p + 1])) {
        segment = trimRightSpace(segment);
        p += 2;
      }
      out.append(segment);
      COD_ASSIGN_OR_RETURN(Action action, parseAction(open, p));
      out += action.value;
      pos = action.end;
      trim_next = action.trim_after;
    }
  }

 private:
  Status errorAt(size_t offset, const std::string& message) const {
    size_t line = 1;
    size_t column = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++column;  // count characters, not UTF-8 continuation bytes
      }
    }
    return invalidArgument("line " + std::to_string(line) + ", column " + std::to_string(column) +
                           ": " + message);
  }

  Status unsupported(size_t offset, const std::string& what) const {
    return errorAt(offset, what).withHint(std::string(kSupported));
  }

  // At `q`: "}}" (false) or " -}}" (true); nullopt otherwise.
  std::optional<bool> rightDelimAt(size_t q) const {
    std::string_view rest = text_.substr(q);
    if (startsWith(rest, "}}")) return false;
    if (rest.size() >= 4 && isSpace(rest[0]) && rest[1] == '-' &&
        startsWith(rest.substr(2), "}}")) {
      return true;
    }
    return std::nullopt;
  }

  Result<Action> parseAction(size_t open, size_t p) {
    if (startsWith(text_.substr(p), "/*")) return parseComment(open, p);
    std::vector<Token> tokens;
    size_t q = p;
    while (true) {
      if (q >= text_.size()) {
        return errorAt(open, "unclosed action: this '{{' has no matching '}}'")
            .withHint("write {{\"{{\"}} for a literal '{{', or use --no-template");
      }
      if (std::optional<bool> trim = rightDelimAt(q)) {
        COD_ASSIGN_OR_RETURN(std::string value, evaluate(open, tokens));
        return Action{std::move(value), q + (*trim ? 4 : 2), *trim};
      }
      if (isSpace(text_[q])) {
        ++q;
        continue;
      }
      COD_ASSIGN_OR_RETURN(Token token, nextToken(&q));
      tokens.push_back(std::move(token));
    }
  }

  Result<Action> parseComment(size_t open, size_t p) {
    size_t close = text_.find("*/", p + 2);
    if (close == std::string_view::npos) {
      return errorAt(open, "unclosed comment: '/*' has no matching '*/'");
    }
    std::optional<bool> trim = rightDelimAt(close + 2);
    if (!trim) return errorAt(close, "a comment must end with '*/}}' (or '*/ -}}')");
    return Action{"", close + 2 + (*trim ? 4 : 2), *trim};
  }

  Result<Token> nextToken(size_t* q) {
    size_t start = *q;
    char c = text_[start];
    if (c == '"') return quotedString(q);
    if (c == '`') {
      size_t close = text_.find('`', start + 1);
      if (close == std::string_view::npos) return errorAt(start, "unterminated raw string");
      *q = close + 1;
      return Token{TokenKind::kString, std::string(text_.substr(start + 1, close - start - 1)),
                   start};
    }
    if (c == '.' && start + 1 < text_.size() && isIdentStart(text_[start + 1])) {
      size_t e = start + 1;
      while (e < text_.size() &&
             (isIdentChar(text_[e]) ||
              (text_[e] == '.' && e + 1 < text_.size() && isIdentStart(text_[e + 1])))) {
        ++e;
      }
      *q = e;
      return Token{TokenKind::kField, std::string(text_.substr(start + 1, e - start - 1)), start};
    }
    if (c == '.' &&
        (start + 1 >= text_.size() || isSpace(text_[start + 1]) || text_[start + 1] == '}')) {
      *q = start + 1;
      return Token{TokenKind::kDot, ".", start};
    }
    if (isIdentStart(c)) {
      size_t e = start;
      while (e < text_.size() && isIdentChar(text_[e])) ++e;
      *q = e;
      return Token{TokenKind::kIdent, std::string(text_.substr(start, e - start)), start};
    }
    // Anything else ($x, |, (, numbers, :=) is syntax cod does not run: keep it for the message.
    size_t e = start + 1;
    while (e < text_.size() && !isSpace(text_[e]) && text_[e] != '}') ++e;
    *q = e;
    return Token{TokenKind::kOther, std::string(text_.substr(start, e - start)), start};
  }

  // A Go interpreted string literal, escapes decoded.
  Result<Token> quotedString(size_t* q) {
    size_t start = *q;
    std::string value;
    size_t i = start + 1;
    while (true) {
      if (i >= text_.size() || text_[i] == '\n') {
        return errorAt(start, "unterminated quoted string");
      }
      char c = text_[i];
      if (c == '"') break;
      if (c != '\\') {
        value.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= text_.size()) return errorAt(start, "unterminated quoted string");
      char e = text_[i + 1];
      i += 2;
      switch (e) {
        case 'a': value.push_back('\a'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'n': value.push_back('\n'); break;
        case 'r': value.push_back('\r'); break;
        case 't': value.push_back('\t'); break;
        case 'v': value.push_back('\v'); break;
        case '\\': value.push_back('\\'); break;
        case '"': value.push_back('"'); break;
        case 'x':
        case 'u':
        case 'U': {
          size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          uint32_t cp = 0;
          for (size_t k = 0; k < digits; ++k) {
            int h = i + k < text_.size() ? hexValue(text_[i + k]) : -1;
            if (h < 0) return errorAt(i - 2, "invalid \\" + std::string(1, e) + " escape");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          i += digits;
          if (e == 'x') {
            value.push_back(static_cast<char>(cp));
          } else {
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
              return errorAt(i - digits - 2, "escape is not a valid Unicode character");
            }
            appendUtf8(cp, &value);
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = 0;
            for (size_t k = 0; k < 3; ++k) {
              char d = i - 1 + k < text_.size() ? text_[i - 1 + k] : '\0';
              if (d < '0' || d > '7') return errorAt(i - 2, "invalid octal escape");
              v = v * 8 + static_cast<uint32_t>(d - '0');
            }
            if (v > 255) return errorAt(i - 2, "octal escape above \\377");
            value.push_back(static_cast<char>(v));
            i += 2;
            break;
          }
          return errorAt(i - 2, "unknown escape '\\" + std::string(1, e) + "' in a quoted string");
      }
    }
    *q = i + 1;
    return Token{TokenKind::kString, std::move(value), start};
  }

  Result<std::string> lookup(const Token& field) const {
    size_t dot = field.text.find('.');
    if (dot != std::string::npos) {
      return unsupported(field.offset, "'." + field.text + "' reads field '" +
                                           field.text.substr(dot + 1) +
                                           "' of a text value: template variables have no fields");
    }
    auto it = vars_.find(field.text);
    if (it == vars_.end()) {
      return errorAt(field.offset, "no value for template variable '" + field.text + "'")
          .withHint("pass it with -V " + field.text +
                    "=VALUE (or take it from the environment with -E), or use --no-template to "
                    "send the file as it is");
    }
    return it->second;
  }

  Result<std::string> evaluate(size_t open, const std::vector<Token>& tokens) const {
    if (tokens.empty()) return errorAt(open, "empty action '{{}}'");
    for (const Token& t : tokens) {
      if (t.kind == TokenKind::kOther) {
        return unsupported(t.offset, "unsupported template syntax '" + t.text + "'");
      }
    }
    const Token& first = tokens.front();
    if (tokens.size() == 1) {
      switch (first.kind) {
        case TokenKind::kField: return lookup(first);
        case TokenKind::kString: return first.text;
        case TokenKind::kDot:
          return unsupported(first.offset,
                             "'{{ . }}' would print every variable at once; write {{ .name }}");
        default: break;
      }
    }
    if (first.kind == TokenKind::kIdent && first.text == "index" && tokens.size() == 3 &&
        tokens[1].kind == TokenKind::kDot && tokens[2].kind == TokenKind::kString) {
      // Go's index yields the zero value for a missing map key: "", not an error.
      auto it = vars_.find(tokens[2].text);
      return it == vars_.end() ? std::string() : it->second;
    }
    if (first.kind == TokenKind::kIdent) {
      return unsupported(first.offset,
                         "unsupported template keyword or function '" + first.text + "'");
    }
    const Token& extra = tokens[1];
    std::string shown = extra.kind == TokenKind::kField ? "." + extra.text : extra.text;
    return unsupported(extra.offset, "an action holds one value; '" + shown + "' follows one");
  }

  std::string_view text_;
  const TemplateVars& vars_;
};

// The first record of `text` read as Go's encoding/csv does (comma-separated, "" quoting).
Result<std::vector<std::string>> csvRecord(std::string_view text) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (true) {
        if (i >= text.size()) return invalidArgument("extraneous or missing \" in quoted field");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(text[i++]);
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n') {
        return invalidArgument("extraneous or missing \" in quoted field");
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\n') {
        if (text[i] == '"') return invalidArgument("bare \" in a field that is not quoted");
        field.push_back(text[i++]);
      }
    }
    fields.push_back(std::move(field));
    if (i >= text.size() || text[i] == '\n') return fields;
    ++i;  // the comma
  }
}

}  // namespace

Status addTemplateVarFlag(std::string_view value, TemplateVars* vars) {
  if (value.empty()) return Status::ok();
  std::vector<std::string> pairs;
  auto equals = std::count(value.begin(), value.end(), '=');
  if (equals == 0) {
    return invalidArgument("--template-vars: '" + std::string(value) +
                           "' must be written key=value");
  }
  if (equals == 1) {
    size_t b = value.find_first_not_of('"');
    size_t e = value.find_last_not_of('"');
    pairs.emplace_back(b == std::string_view::npos ? std::string_view()
                                                   : value.substr(b, e - b + 1));
  } else {
    auto record = csvRecord(value);
    if (!record.isOk()) {
      return invalidArgument("--template-vars: '" + std::string(value) +
                             "': " + record.error().message());
    }
    pairs = std::move(record).value();
  }
  for (const std::string& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalidArgument("--template-vars: '" + pair + "' must be written key=value");
    }
    (*vars)[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return Status::ok();
}

Status addTemplateEnvs(const std::string& pattern,
                       const std::vector<std::pair<std::string, std::string>>& environment,
                       TemplateVars* vars) {
  if (pattern.empty()) return Status::ok();
  std::regex re;
  try {
    re = std::regex(pattern == "*" ? ".*" : pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return invalidArgument("--template-envs: '" + pattern +
                           "' is not a valid regular expression: " + e.what());
  }
  for (const auto& [name, value] : environment) {
    if (!std::regex_search(name, re)) continue;
    vars->emplace(name, value);  // -V wins over the environment
  }
  return Status::ok();
}

Result<std::string> renderJobTemplate(std::string_view text, const TemplateVars& vars) {
  return Renderer(text, vars).run();
}

}  // namespace cod::cli
