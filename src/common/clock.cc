#include "common/clock.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/check.h"

namespace cod {

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock()
    : now_ns_(toUnixNanos(
          Time(std::chrono::sys_days(std::chrono::year(2024) / std::chrono::January / 1)))) {}

uint64_t SystemRandom::uniform(uint64_t bound) {
  // Rejection sampling: values past the last whole multiple of `bound` would bias the result.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::lock_guard lock(mu_);
  while (true) {
    uint64_t v = 0;
    fillLocked(reinterpret_cast<uint8_t*>(&v), sizeof v);
    if (v < limit) return v % bound;
  }
}

void SystemRandom::fill(uint8_t* out, size_t n) {
  std::lock_guard lock(mu_);
  fillLocked(out, n);
}

void SystemRandom::fillLocked(uint8_t* out, size_t n) {
  while (n > 0) {
    if (used_ == kBlock) {
      size_t got = 0;
      while (got < kBlock) {
        ssize_t r = getrandom(pool_ + got, kBlock - got, 0);
        // Only EINTR can happen for a request this small; anything else means the kernel has no
        // randomness to give, and IDs must not be made without it.
        COD_CHECK(r >= 0 || errno == EINTR) << "getrandom failed: " << std::strerror(errno);
        if (r > 0) got += static_cast<size_t>(r);
      }
      used_ = 0;
    }
    size_t take = std::min(n, kBlock - used_);
    std::memcpy(out, pool_ + used_, take);
    // Handed-out bytes are not kept: a later memory disclosure cannot reveal earlier IDs' bytes.
    std::memset(pool_ + used_, 0, take);
    used_ += take;
    out += take;
    n -= take;
  }
}

SystemRandom& SystemRandom::instance() {
  static SystemRandom random;
  return random;
}

uint64_t SeededRandom::uniform(uint64_t bound) {
  std::lock_guard lock(mu_);
  return std::uniform_int_distribution<uint64_t>(0, bound - 1)(engine_);
}

void SeededRandom::fill(uint8_t* out, size_t n) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = engine_();
    std::memcpy(out + i, &v, std::min<size_t>(8, n - i));
  }
}

std::string formatRfc3339(Time t) {
  using namespace std::chrono;
  if (t == Time{}) return kGoZeroTime;
  auto days = floor<std::chrono::days>(t);
  year_month_day ymd(days);
  hh_mm_ss<nanoseconds> hms(t - days);
  char buf[64];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                    static_cast<int>(hms.seconds().count()));
  std::string out(buf, static_cast<size_t>(n));
  auto frac = hms.subseconds().count();
  if (frac != 0) {
    char fb[16];
    std::snprintf(fb, sizeof fb, ".%09lld", static_cast<long long>(frac));
    std::string f(fb);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

bool parseRfc3339(const std::string& text, Time* out) {
  using namespace std::chrono;
  if (text == kGoZeroTime) {
    *out = Time{};
    return true;
  }
  int y, mo, d, h, mi, s;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
          6 ||
      consumed != 19) {
    return false;
  }
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) {
        frac_ns = frac_ns * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return false;
    while (digits++ < 9) frac_ns *= 10;
  }
  int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return false;
    offset_s = (int64_t{oh} * 3600 + int64_t{om} * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return false;
  // Nanoseconds since 1970 in 64 bits reach from 1677 to 2262; a day outside cannot be a Time.
  int64_t days = sys_days(ymd).time_since_epoch().count();
  if (days < -106'000 || days > 106'000) return false;
  Time t = Time(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s) + nanoseconds(frac_ns) -
           seconds(offset_s);
  *out = t;
  return true;
}

}  // namespace cod
