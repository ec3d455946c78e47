#include "storage/s3/go_layout.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

#include "common/strings.h"

namespace cod::storage {

namespace {

enum class Elem {
  kLiteral,
  kYear4,       // 2006
  kYear2,       // 06
  kMonth2,      // 01
  kMonth,       // 1
  kMonthAbbr,   // Jan
  kMonthName,   // January
  kDay2,        // 02
  kDay,         // 2
  kDaySpace,    // _2
  kHour24,      // 15
  kHour12Zero,  // 03
  kHour12,      // 3
  kMinute2,     // 04
  kMinute,      // 4
  kSecond2,     // 05
  kSecond,      // 5
  kPmUpper,     // PM
  kPmLower,     // pm
  kFraction,    // .000 (width = digits)
  kZoneZColon,  // Z07:00
  kZoneZ,       // Z0700
  kZoneColon,   // -07:00
  kZone,        // -0700
  kUnsupported,
};

struct Token {
  Elem elem = Elem::kLiteral;
  std::string text;  // the layout's characters
  size_t width = 0;  // digits of a fraction
};

constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Splits a layout as Go's nextStdChunk does: at each position the longest element that starts
// there, else one literal character.
std::vector<Token> tokenize(std::string_view l) {
  std::vector<Token> out;
  auto starts = [&](size_t i, std::string_view s) { return l.substr(i, s.size()) == s; };
  for (size_t i = 0; i < l.size();) {
    struct Candidate {
      const char* text;
      Elem elem;
    };
    static const Candidate kCandidates[] = {
        {"January", Elem::kMonthName},
        {"Jan", Elem::kMonthAbbr},
        {"Monday", Elem::kUnsupported},
        {"Mon", Elem::kUnsupported},
        {"MST", Elem::kUnsupported},
        {"2006", Elem::kYear4},
        {"002", Elem::kUnsupported},
        {"01", Elem::kMonth2},
        {"02", Elem::kDay2},
        {"03", Elem::kHour12Zero},
        {"04", Elem::kMinute2},
        {"05", Elem::kSecond2},
        {"06", Elem::kYear2},
        {"15", Elem::kHour24},
        {"1", Elem::kMonth},
        {"2", Elem::kDay},
        {"__2", Elem::kUnsupported},
        {"_2006", Elem::kUnsupported},
        {"_2", Elem::kDaySpace},
        {"3", Elem::kHour12},
        {"4", Elem::kMinute},
        {"5", Elem::kSecond},
        {"PM", Elem::kPmUpper},
        {"pm", Elem::kPmLower},
        {"-070000", Elem::kUnsupported},
        {"-07:00:00", Elem::kUnsupported},
        {"-0700", Elem::kZone},
        {"-07:00", Elem::kZoneColon},
        {"-07", Elem::kUnsupported},
        {"Z070000", Elem::kUnsupported},
        {"Z07:00:00", Elem::kUnsupported},
        {"Z0700", Elem::kZoneZ},
        {"Z07:00", Elem::kZoneZColon},
        {"Z07", Elem::kUnsupported},
    };
    // Go checks these in a fixed order per first character; the longest match first gives the
    // same result for the elements above.
    const Candidate* best = nullptr;
    for (const Candidate& c : kCandidates) {
      if (starts(i, c.text) && (best == nullptr || std::string_view(c.text).size() >
                                                       std::string_view(best->text).size())) {
        best = &c;
      }
    }
    if ((l[i] == '.' || l[i] == ',') && i + 1 < l.size() && (l[i + 1] == '0' || l[i + 1] == '9')) {
      size_t j = i + 1;
      while (j < l.size() && l[j] == l[i + 1]) ++j;
      if (j == l.size() || !isDigit(l[j])) {
        Token t{l[i + 1] == '0' ? Elem::kFraction : Elem::kUnsupported,
                std::string(l.substr(i, j - i)), j - i - 1};
        out.push_back(std::move(t));
        i = j;
        continue;
      }
    }
    if (best != nullptr) {
      out.push_back(Token{best->elem, best->text, 0});
      i += std::string_view(best->text).size();
      continue;
    }
    if (!out.empty() && out.back().elem == Elem::kLiteral) {
      out.back().text += l[i];
    } else {
      out.push_back(Token{Elem::kLiteral, std::string(1, l[i]), 0});
    }
    ++i;
  }
  return out;
}

struct Fields {
  int year = 0;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string fraction;
  bool pm = false;
  bool pm_set = false;
  int offset_minutes = 0;  // east of UTC
};

// Reads a number: exactly `width` digits when fixed, else 1–2 digits.
bool number(std::string_view& s, bool fixed, size_t width, int* out) {
  size_t n = 0;
  if (fixed) {
    if (s.size() < width) return false;
    for (size_t k = 0; k < width; ++k) {
      if (!isDigit(s[k])) return false;
    }
    n = width;
  } else {
    if (s.empty() || !isDigit(s[0])) return false;
    n = s.size() > 1 && isDigit(s[1]) ? 2 : 1;
  }
  *out = std::stoi(std::string(s.substr(0, n)));
  s.remove_prefix(n);
  return true;
}

// Z07:00 and Z0700 write UTC as "Z"; Z07:00 and -07:00 put a colon between hours and minutes.
bool zoneAllowsZ(Elem e) { return e == Elem::kZoneZColon || e == Elem::kZoneZ; }
bool zoneHasColon(Elem e) { return e == Elem::kZoneZColon || e == Elem::kZoneColon; }

bool zone(std::string_view& s, bool z, bool colon, int* minutes) {
  if (z && !s.empty() && s[0] == 'Z') {
    s.remove_prefix(1);
    *minutes = 0;
    return true;
  }
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  int h = 0;
  int m = 0;
  if (!number(s, true, 2, &h)) return false;
  if (colon) {
    if (s.empty() || s[0] != ':') return false;
    s.remove_prefix(1);
  }
  if (!number(s, true, 2, &m)) return false;
  *minutes = sign * (h * 60 + m);
  return true;
}

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysIn(int month, int year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeap(year) ? 29 : kDays[month - 1];
}

bool parse(const std::vector<Token>& tokens, std::string_view s, Fields* f) {
  for (const Token& t : tokens) {
    int v = 0;
    switch (t.elem) {
      case Elem::kLiteral:
        if (s.substr(0, t.text.size()) != t.text) return false;
        s.remove_prefix(t.text.size());
        break;
      case Elem::kYear4:
        if (!number(s, true, 4, &f->year)) return false;
        break;
      case Elem::kYear2:
        if (!number(s, true, 2, &v)) return false;
        f->year = v >= 69 ? 1900 + v : 2000 + v;
        break;
      case Elem::kMonth2:
      case Elem::kMonth:
        if (!number(s, t.elem == Elem::kMonth2, 2, &f->month) || f->month < 1 || f->month > 12) {
          return false;
        }
        break;
      case Elem::kMonthAbbr:
      case Elem::kMonthName: {
        bool found = false;
        for (size_t m = 0; m < kMonths.size() && !found; ++m) {
          std::string name = t.elem == Elem::kMonthAbbr ? std::string(kMonths[m], 3) : kMonths[m];
          if (s.size() >= name.size() && equalsIgnoreCase(s.substr(0, name.size()), name)) {
            f->month = static_cast<int>(m) + 1;
            s.remove_prefix(name.size());
            found = true;
          }
        }
        if (!found) return false;
        break;
      }
      case Elem::kDay2:
      case Elem::kDay:
      case Elem::kDaySpace:
        if (t.elem == Elem::kDaySpace && !s.empty() && s[0] == ' ') s.remove_prefix(1);
        if (!number(s, t.elem == Elem::kDay2, 2, &f->day) || f->day < 1 || f->day > 31) {
          return false;
        }
        break;
      case Elem::kHour24:
        if (!number(s, false, 2, &f->hour) || f->hour > 23) return false;
        break;
      case Elem::kHour12Zero:
      case Elem::kHour12:
        if (!number(s, t.elem == Elem::kHour12Zero, 2, &f->hour) || f->hour > 12) return false;
        break;
      case Elem::kMinute2:
      case Elem::kMinute:
        if (!number(s, t.elem == Elem::kMinute2, 2, &f->minute) || f->minute > 59) return false;
        break;
      case Elem::kSecond2:
      case Elem::kSecond:
        if (!number(s, t.elem == Elem::kSecond2, 2, &f->second) || f->second > 59) return false;
        break;
      case Elem::kPmUpper:
      case Elem::kPmLower: {
        // Go: PM reads only "AM"/"PM", pm only "am"/"pm".
        if (s.size() < 2) return false;
        std::string ampm(s.substr(0, 2));
        bool upper = t.elem == Elem::kPmUpper;
        if (ampm != (upper ? "AM" : "am") && ampm != (upper ? "PM" : "pm")) return false;
        f->pm = ampm == (upper ? "PM" : "pm");
        f->pm_set = true;
        s.remove_prefix(2);
        break;
      }
      case Elem::kFraction:
        if (s.size() < t.width + 1 || s[0] != t.text[0]) return false;
        for (size_t k = 1; k <= t.width; ++k) {
          if (!isDigit(s[k])) return false;
        }
        f->fraction = std::string(s.substr(1, t.width));
        s.remove_prefix(t.width + 1);
        break;
      case Elem::kZoneZColon:
      case Elem::kZoneZ:
      case Elem::kZoneColon:
      case Elem::kZone:
        if (!zone(s, zoneAllowsZ(t.elem), zoneHasColon(t.elem), &f->offset_minutes)) return false;
        break;
      case Elem::kUnsupported: return false;
    }
  }
  if (!s.empty()) return false;  // Go: "extra text"
  if (f->pm_set) {
    if (f->pm && f->hour < 12) f->hour += 12;
    if (!f->pm && f->hour == 12) f->hour = 0;
  }
  return f->day <= daysIn(f->month, f->year);
}

std::string format(const std::vector<Token>& tokens, const Fields& f) {
  std::string out;
  char buf[16];
  auto put = [&](const char* fmt, int v) {
    std::snprintf(buf, sizeof buf, fmt, v);
    out += buf;
  };
  int hour12 = f.hour % 12 == 0 ? 12 : f.hour % 12;
  for (const Token& t : tokens) {
    switch (t.elem) {
      case Elem::kLiteral: out += t.text; break;
      case Elem::kYear4: put("%04d", f.year); break;
      case Elem::kYear2: put("%02d", f.year % 100); break;
      case Elem::kMonth2: put("%02d", f.month); break;
      case Elem::kMonth: put("%d", f.month); break;
      case Elem::kMonthAbbr: out += std::string(kMonths[f.month - 1], 3); break;
      case Elem::kMonthName: out += kMonths[f.month - 1]; break;
      case Elem::kDay2: put("%02d", f.day); break;
      case Elem::kDay: put("%d", f.day); break;
      case Elem::kDaySpace: put("%2d", f.day); break;
      case Elem::kHour24: put("%02d", f.hour); break;
      case Elem::kHour12Zero: put("%02d", hour12); break;
      case Elem::kHour12: put("%d", hour12); break;
      case Elem::kMinute2: put("%02d", f.minute); break;
      case Elem::kMinute: put("%d", f.minute); break;
      case Elem::kSecond2: put("%02d", f.second); break;
      case Elem::kSecond: put("%d", f.second); break;
      case Elem::kPmUpper: out += f.hour >= 12 ? "PM" : "AM"; break;
      case Elem::kPmLower: out += f.hour >= 12 ? "pm" : "am"; break;
      case Elem::kFraction:
        out += t.text[0];
        out += f.fraction;
        break;
      case Elem::kZoneZColon:
      case Elem::kZoneZ:
      case Elem::kZoneColon:
      case Elem::kZone: {
        if (zoneAllowsZ(t.elem) && f.offset_minutes == 0) {
          out += 'Z';
          break;
        }
        int m = f.offset_minutes < 0 ? -f.offset_minutes : f.offset_minutes;
        out += f.offset_minutes < 0 ? '-' : '+';
        put("%02d", m / 60);
        if (zoneHasColon(t.elem)) out += ':';
        put("%02d", m % 60);
        break;
      }
      case Elem::kUnsupported: break;
    }
  }
  return out;
}

}  // namespace

Status validateGoLayout(std::string_view layout) {
  if (layout.empty()) {
    return invalidArgument(
        "s3 Source.Params.Partition.DateFormat is required for date partitioning (a Go layout "
        "such as 2006-01-02)");
  }
  for (const Token& t : tokenize(layout)) {
    if (t.elem == Elem::kUnsupported) {
      return invalidArgument("s3 Source.Params.Partition.DateFormat element \"" + t.text +
                             "\" is not supported by cod; use 2006 06 01 1 Jan January 02 2 _2 "
                             "15 03 3 04 4 05 5 PM .000 Z07:00 -0700");
    }
  }
  return Status::ok();
}

std::optional<std::string> reformatGoTime(std::string_view layout, std::string_view text) {
  std::vector<Token> tokens = tokenize(layout);
  Fields f;
  if (!parse(tokens, text, &f)) return std::nullopt;
  return format(tokens, f);
}

}  // namespace cod::storage
