#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace cod {

// Wall-clock instants with nanosecond precision; the wire form of Job/Execution times is the
// count of nanoseconds since the Unix epoch.
using Time = std::chrono::sys_time<std::chrono::nanoseconds>;
using Duration = std::chrono::nanoseconds;

inline int64_t toUnixNanos(Time t) { return t.time_since_epoch().count(); }
inline Time fromUnixNanos(int64_t ns) { return Time(Duration(ns)); }

// The clock every component reads. Injected so tests advance time instead of sleeping.
// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Time now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
  static SystemClock& instance();
};

// A clock that only moves when told to. Starts at 2024-01-01T00:00:00Z unless given a time.
class ManualClock final : public Clock {
 public:
  ManualClock();
  explicit ManualClock(Time start) : now_ns_(toUnixNanos(start)) {}
  Time now() const override { return fromUnixNanos(now_ns_.load()); }
  void advance(Duration d) { now_ns_ += d.count(); }
  void set(Time t) { now_ns_ = toUnixNanos(t); }

 private:
  std::atomic<int64_t> now_ns_;
};

// Randomness, injected for the same reason. Thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  // A uniformly distributed integer in [0, bound); bound > 0.
  virtual uint64_t uniform(uint64_t bound) = 0;
  // 16 random bytes (for UUIDs).
  virtual void fill(uint8_t* out, size_t n) = 0;
};

// The kernel's cryptographic random source (getrandom(2)): IDs double as capabilities (a job ID
// is enough to stop the job, an execution ID names its results), so they must not be guessable
// from earlier ones the way a seeded mt19937_64's are. Bytes are drawn in blocks to keep the
// system calls off the per-ID path.
class SystemRandom final : public Random {
 public:
  SystemRandom() = default;
  uint64_t uniform(uint64_t bound) override;
  void fill(uint8_t* out, size_t n) override;
  static SystemRandom& instance();

 private:
  void fillLocked(uint8_t* out, size_t n);

  static constexpr size_t kBlock = 512;
  std::mutex mu_;
  uint8_t pool_[kBlock] = {};
  size_t used_ = kBlock;  // bytes of pool_ already handed out
};

// Deterministic randomness for tests: a seeded engine.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t uniform(uint64_t bound) override;
  void fill(uint8_t* out, size_t n) override;

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

// RFC 3339 with nanoseconds, UTC: "2024-08-19T20:40:26.123456789Z" (trailing zeros of the
// fraction trimmed, like Go's RFC3339Nano). Time{} means "never" and prints as Go's zero time,
// "0001-01-01T00:00:00Z", which is what Bacalhau's clients expect for an unset time (year 1 does
// not fit in 64-bit nanoseconds, so Time{} stands in for it).
std::string formatRfc3339(Time t);
// Parses RFC 3339 (with or without fraction, Z or ±hh:mm); Go's zero time parses as Time{}.
// Returns false on bad input. Years outside ~1678–2261 do not fit in Time: callers check.
bool parseRfc3339(const std::string& text, Time* out);
inline constexpr const char* kGoZeroTime = "0001-01-01T00:00:00Z";

}  // namespace cod
