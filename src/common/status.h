#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace cod {

// The canonical error codes. The API layer (api/errors.cc) is the one place that maps them to HTTP
// statuses; everything else only says what went wrong.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (400)
  kNotFound,            // an ID or name that does not exist (404)
  kAlreadyExists,       // a name or ID that is already taken (409)
  kFailedPrecondition,  // the target is in a state that forbids the action (409)
  kAborted,             // a concurrent change won an optimistic check; retry (409)
  kResourceExhausted,   // a limit was hit: body size, queue length, capacity (413/429)
  kUnavailable,         // a peer or service is down or unreachable; retryable (503)
  kDeadlineExceeded,    // a timeout passed (504)
  kCancelled,           // the operation was cancelled by its caller
  kPermissionDenied,    // not allowed (403)
  kUnimplemented,       // the feature does not exist here (501)
  kInternal,            // a bug or an unexpected environment failure (500)
};

std::string_view statusCodeName(StatusCode code);

// An error value: a code, a message a user can act on, the component that raised it and an optional
// hint. `error_code` may carry a finer Bacalhau error code ("MultipleJobsFound") for the wire.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const = delete;  // use isOk(): `if (status)` reads both ways.

  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& component() const { return component_; }
  const std::string& hint() const { return hint_; }
  const std::string& errorCode() const { return error_code_; }
  bool retryable() const { return retryable_; }
  const std::map<std::string, std::string>& details() const { return details_; }

  Status& withComponent(std::string component) & {
    component_ = std::move(component);
    return *this;
  }
  Status&& withComponent(std::string component) && {
    component_ = std::move(component);
    return std::move(*this);
  }
  Status& withHint(std::string hint) & {
    hint_ = std::move(hint);
    return *this;
  }
  Status&& withHint(std::string hint) && {
    hint_ = std::move(hint);
    return std::move(*this);
  }
  Status&& withErrorCode(std::string code) && {
    error_code_ = std::move(code);
    return std::move(*this);
  }
  Status&& withRetryable(bool retryable = true) && {
    retryable_ = retryable;
    return std::move(*this);
  }
  Status&& withDetail(std::string key, std::string value) && {
    details_[std::move(key)] = std::move(value);
    return std::move(*this);
  }
  // Prefixes the message with context: "loading job j-1: <message>".
  Status&& prepend(std::string_view context) &&;

  // "NotFound: job not found: j-1" — for logs and CLI output.
  std::string toString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string component_;
  std::string hint_;
  std::string error_code_;
  bool retryable_ = false;
  std::map<std::string, std::string> details_;
};

inline Status invalidArgument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status notFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status alreadyExists(std::string message) {
  return {StatusCode::kAlreadyExists, std::move(message)};
}
inline Status failedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status aborted(std::string message) { return {StatusCode::kAborted, std::move(message)}; }
inline Status resourceExhausted(std::string message) {
  return {StatusCode::kResourceExhausted, std::move(message)};
}
inline Status unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message)).withRetryable();
}
inline Status deadlineExceeded(std::string message) {
  return {StatusCode::kDeadlineExceeded, std::move(message)};
}
inline Status cancelled(std::string message) {
  return {StatusCode::kCancelled, std::move(message)};
}
inline Status permissionDenied(std::string message) {
  return {StatusCode::kPermissionDenied, std::move(message)};
}
inline Status unimplemented(std::string message) {
  return {StatusCode::kUnimplemented, std::move(message)};
}
inline Status internalError(std::string message) {
  return {StatusCode::kInternal, std::move(message)};
}

// Result<T> holds a T or an error Status, shaped like std::expected<T, Status>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    COD_CHECK(!std::get<1>(data_).isOk()) << "Result constructed from an OK status";
  }

  bool isOk() const { return data_.index() == 0; }
  bool has_value() const { return isOk(); }  // NOLINT(readability-identifier-naming): std::expected

  const T& value() const& {
    checkValue();
    return std::get<0>(data_);
  }
  T& value() & {
    checkValue();
    return std::get<0>(data_);
  }
  T&& value() && {
    checkValue();
    return std::get<0>(std::move(data_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; OK when a value is held.
  Status status() const { return isOk() ? Status::ok() : std::get<1>(data_); }
  const Status& error() const& {
    COD_CHECK(!isOk()) << "Result::error() on a value";
    return std::get<1>(data_);
  }
  Status&& error() && {
    COD_CHECK(!isOk()) << "Result::error() on a value";
    return std::get<1>(std::move(data_));
  }

  T valueOr(T fallback) const& { return isOk() ? std::get<0>(data_) : std::move(fallback); }

 private:
  void checkValue() const {
    COD_CHECK(isOk()) << "Result::value() on an error: " << std::get<1>(data_).toString();
  }
  std::variant<T, Status> data_;
};

namespace internal {
inline Status asStatus(Status s) { return s; }
template <typename T>
Status asStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace cod

#define COD_CONCAT_INNER(a, b) a##b
#define COD_CONCAT(a, b) COD_CONCAT_INNER(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define COD_RETURN_IF_ERROR(expr)                                           \
  do {                                                                      \
    auto&& cod_status_ = (expr);                                            \
    if (!cod_status_.isOk()) return ::cod::internal::asStatus(cod_status_); \
  } while (false)

// COD_ASSIGN_OR_RETURN(auto job, store.getJob(id)); — declares/assigns or returns the error.
#define COD_ASSIGN_OR_RETURN(lhs, expr) \
  COD_ASSIGN_OR_RETURN_IMPL(COD_CONCAT(cod_result_, __LINE__), lhs, expr)
// `lhs` may be a declaration ("auto job"), so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define COD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.isOk()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
