#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cod {

std::string toLower(std::string_view s);
std::string toUpper(std::string_view s);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
// Trims ASCII whitespace (space, tab, CR, LF, VT, FF) from both ends.
std::string_view trim(std::string_view s);
// Splits on a separator; keeps empty pieces.
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// True when s parses fully as a (signed) base-10 integer.
bool parseInt64(std::string_view s, int64_t* out);
bool parseUint64(std::string_view s, uint64_t* out);
bool parseDouble(std::string_view s, double* out);
// Base64 (standard alphabet, padded) and base64url (no padding).
std::string base64Encode(std::string_view data);
bool base64Decode(std::string_view text, std::string* out);
std::string base64UrlEncode(std::string_view data);
bool base64UrlDecode(std::string_view text, std::string* out);

// %XX escapes decoded ('+' as a space when asked, as in query strings); invalid escapes are
// kept verbatim.
std::string percentDecode(std::string_view text, bool plus_as_space);

// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
bool isValidUtf8(std::string_view s);
// `s` with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD, the way
// Go's strings.ToValidUTF8 and browsers do; valid input comes back unchanged.
std::string toValidUtf8(std::string_view s);
// A spec string in an error message, in quotes, with control characters escaped (a newline in a
// hostile value must not start a new line of a one-failure-per-line message).
std::string quoted(std::string_view s);
// The longest prefix of valid UTF-8 `s` that is at most `max_bytes` long and does not split a
// character.
std::string_view utf8Prefix(std::string_view s, size_t max_bytes);

}  // namespace cod
