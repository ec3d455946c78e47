#include "api/endpoints/paging.h"

#include <vector>

#include "common/strings.h"

namespace cod::api::endpoints {

namespace {

Status badToken(std::string_view text, const std::string& why) {
  return invalidArgument("invalid next_token '" + std::string(text) + "': " + why)
      .withHint("pass the NextToken of the previous response unchanged, or omit next_token");
}

}  // namespace

std::string encodePageToken(const PageToken& token) {
  return base64UrlEncode(token.order_by + ":" + (token.reverse ? "Y" : "N") + ":" +
                         std::to_string(token.limit) + ":" + std::to_string(token.offset));
}

Result<PageToken> decodePageToken(std::string_view text) {
  std::string raw;
  // Tolerate padding: some clients re-encode what they received.
  std::string_view unpadded = text;
  while (!unpadded.empty() && unpadded.back() == '=') unpadded.remove_suffix(1);
  if (!base64UrlDecode(unpadded, &raw)) return badToken(text, "not base64url");
  std::vector<std::string> parts = split(raw, ':');
  if (parts.size() != 4) return badToken(text, "expected 4 fields");
  PageToken token;
  token.order_by = parts[0];
  if (parts[1] == "Y") {
    token.reverse = true;
  } else if (parts[1] != "N") {
    return badToken(text, "bad order direction");
  }
  if (!parseUint64(parts[2], &token.limit)) return badToken(text, "bad limit");
  if (!parseUint64(parts[3], &token.offset)) return badToken(text, "bad offset");
  return token;
}

Result<uint64_t> queryUint(const HttpRequest& req, std::string_view key, uint64_t fallback) {
  std::string text = req.queryValue(key);
  if (text.empty()) return fallback;
  uint64_t v = 0;
  if (text[0] == '+' || text[0] == '-' || !parseUint64(text, &v)) {
    return invalidArgument(std::string(key) + ": expected a non-negative integer, got '" + text +
                           "'");
  }
  return v;
}

Result<bool> queryBool(const HttpRequest& req, std::string_view key, bool fallback) {
  std::string text = req.queryValue(key);
  if (text.empty()) return fallback;
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return invalidArgument(std::string(key) + ": expected true or false, got '" + text + "'");
}

Result<PageToken> pageRequest(const HttpRequest& req) {
  if (std::string token = req.queryValue("next_token"); !token.empty()) {
    return decodePageToken(token);
  }
  PageToken page;
  page.order_by = req.queryValue("order_by");
  COD_ASSIGN_OR_RETURN(page.reverse, queryBool(req, "reverse"));
  COD_ASSIGN_OR_RETURN(page.limit, queryUint(req, "limit"));
  return page;
}

}  // namespace cod::api::endpoints
