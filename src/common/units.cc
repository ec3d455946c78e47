#include "common/units.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "common/strings.h"

namespace cod {

namespace {

// Splits "1.5gb" into the number "1.5" and the suffix "gb".
bool splitNumber(std::string_view s, double* number, std::string* suffix) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
                          (i == 0 && (s[i] == '+' || s[i] == '-')))) {
    ++i;
  }
  if (i == 0) return false;
  if (!parseDouble(s.substr(0, i), number)) return false;
  *suffix = toLower(trim(s.substr(i)));
  return true;
}

}  // namespace

Result<double> parseCpuQuantity(std::string_view text) {
  auto t = trim(text);
  double n;
  std::string suffix;
  if (t.empty() || !splitNumber(t, &n, &suffix) || !std::isfinite(n)) {
    return invalidArgument("invalid CPU quantity \"" + std::string(text) +
                           "\": expected a number of cores like \"2\", \"0.5\" or \"500m\"");
  }
  double mult = 1;
  if (suffix.empty())
    mult = 1;
  else if (suffix == "m")
    mult = 1e-3;
  else if (suffix == "k")
    mult = 1e3;
  else if (suffix == "u")
    mult = 1e-6;
  else if (suffix == "n")
    mult = 1e-9;
  else {
    return invalidArgument("invalid CPU quantity \"" + std::string(text) + "\": unknown suffix \"" +
                           suffix + "\" (use a plain number of cores or millicores like \"500m\")");
  }
  if (n < 0) {
    return invalidArgument("invalid CPU quantity \"" + std::string(text) +
                           "\": must not be negative");
  }
  return n * mult;
}

Result<uint64_t> parseByteSize(std::string_view text) {
  auto t = trim(text);
  double n;
  std::string suffix;
  if (t.empty() || !splitNumber(t, &n, &suffix) || !std::isfinite(n)) {
    return invalidArgument("invalid size \"" + std::string(text) +
                           "\": expected a size like \"512mb\", \"1gb\" or \"1Gi\"");
  }
  // Drop spaces inside ("512 MB") and a trailing "b"/"bytes" where it is a unit suffix.
  std::string s;
  for (char c : suffix) {
    if (c != ' ') s += c;
  }
  double mult;
  if (s.empty() || s == "b" || s == "byte" || s == "bytes")
    mult = 1;
  else if (s == "k" || s == "kb")
    mult = 1e3;
  else if (s == "m" || s == "mb")
    mult = 1e6;
  else if (s == "g" || s == "gb")
    mult = 1e9;
  else if (s == "t" || s == "tb")
    mult = 1e12;
  else if (s == "p" || s == "pb")
    mult = 1e15;
  else if (s == "ki" || s == "kib")
    mult = 1024.0;
  else if (s == "mi" || s == "mib")
    mult = 1024.0 * 1024;
  else if (s == "gi" || s == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (s == "ti" || s == "tib")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else if (s == "pi" || s == "pib")
    mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
  else {
    return invalidArgument("invalid size \"" + std::string(text) + "\": unknown unit \"" + s +
                           "\" (use b, kb, mb, gb, tb or ki, mi, gi, ti)");
  }
  if (n < 0) {
    return invalidArgument("invalid size \"" + std::string(text) + "\": must not be negative");
  }
  double bytes = n * mult;
  if (bytes > 1.8e19) {
    return invalidArgument("invalid size \"" + std::string(text) + "\": too large");
  }
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string formatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  auto v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

Result<Duration> parseDuration(std::string_view text) {
  auto t = trim(text);
  auto bad = [&] {
    return invalidArgument("invalid duration \"" + std::string(text) +
                           "\": expected a duration like \"30s\", \"5m\" or \"1h30m\"");
  };
  if (t.empty()) return bad();
  // A duration is kept in int64 nanoseconds: ±292 years.
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1'000'000'000;
  auto too_long = [&] {
    return invalidArgument("invalid duration \"" + std::string(text) +
                           "\": longer than the longest one cod keeps (about 292 years)");
  };
  int64_t plain;
  if (parseInt64(t, &plain)) {
    if (plain > kMaxSeconds || plain < -kMaxSeconds) return too_long();
    return Duration(std::chrono::seconds(plain));
  }
  bool negative = false;
  if (t[0] == '-' || t[0] == '+') {
    negative = t[0] == '-';
    t.remove_prefix(1);
  }
  if (t == "0") return Duration(0);
  long double total = 0;
  while (!t.empty()) {
    size_t i = 0;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
    if (i == 0) return bad();
    double n;
    if (!parseDouble(t.substr(0, i), &n)) return bad();
    t.remove_prefix(i);
    size_t j = 0;
    while (j < t.size() && !std::isdigit(static_cast<unsigned char>(t[j])) && t[j] != '.') ++j;
    auto unit = t.substr(0, j);
    t.remove_prefix(j);
    long double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "µs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else
      return bad();
    total += n * mult;
    if (!(total < static_cast<long double>(kMaxSeconds) * 1e9L)) return too_long();  // NaN too
  }
  auto ns = static_cast<int64_t>(std::llround(static_cast<double>(total)));
  return Duration(negative ? -ns : ns);
}

std::string formatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  auto u = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  char buf[64];
  if (u < 1000) {
    std::snprintf(buf, sizeof buf, "%lluns", static_cast<unsigned long long>(u));
    return sign + buf;
  }
  auto trimmed = [](double v, const char* unit) {
    char b[48];
    std::snprintf(b, sizeof b, "%.9g", v);
    return std::string(b) + unit;
  };
  if (u < 1000000) return sign + trimmed(static_cast<double>(u) / 1e3, "µs");
  if (u < 1000000000) return sign + trimmed(static_cast<double>(u) / 1e6, "ms");
  uint64_t h = u / 3600000000000ULL;
  u %= 3600000000000ULL;
  uint64_t m = u / 60000000000ULL;
  u %= 60000000000ULL;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += trimmed(static_cast<double>(u) / 1e9, "s");
  return out;
}

}  // namespace cod
