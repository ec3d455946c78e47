#pragma once

#include <sstream>
#include <string_view>

// COD_CHECK(cond) << "context";  — an always-on assertion for bugs. A failed check prints the
// condition, the location and the context, then aborts. Bad input and environment failures are
// never checked this way: they return a Status.

namespace cod::internal {

class CheckFailure {
 public:
  CheckFailure(const char* condition, const char* file, int line);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;

  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Makes `cond ? (void)0 : Voidify() & CheckFailure(...) << ...` type-check.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace cod::internal

// The trailing `<< …` must bind to CheckFailure, so the expansion is not parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define COD_CHECK(cond) \
  (cond) ? (void)0      \
         : ::cod::internal::Voidify() & ::cod::internal::CheckFailure(#cond, __FILE__, __LINE__)
// NOLINTEND(bugprone-macro-parentheses)
