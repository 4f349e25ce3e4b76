// Status and Result<T>: how every fallible operation in Cairn reports failure.
//
// A closed set of codes (see Code) plus a message that carries its own context
// ("open chunks/ab/cd/...: No such file or directory"). Result<T> mirrors the
// surface of std::expected<T, Status> (C++23) so it can be swapped later.
// Both are [[nodiscard]]: ignoring an error must be spelled `s.IgnoreError()`.
// Thread-safety: plain values, safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cairn {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kAlreadyExists,
    kInvalidArgument,
    kCorruption,
    kIoError,
    kUnavailable,
    kPermissionDenied,
    kCancelled,
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  // From an errno value: ENOENT -> NotFound, EEXIST -> AlreadyExists,
  // EACCES/EPERM -> PermissionDenied, everything else -> IoError.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsPermissionDenied() const { return code_ == Code::kPermissionDenied; }
  bool IsCancelled() const { return code_ == Code::kCancelled; }
  // Transient failures worth retrying with backoff (network, busy peers).
  bool retryable() const { return code_ == Code::kUnavailable; }

  // Returns a copy whose message is "context: message"; Ok stays Ok.
  Status WithContext(std::string_view context) const;
  // "NotFound: open chunks/..: No such file" -- for logs and error output.
  std::string ToString() const;
  static std::string_view CodeName(Code code);

  // The one greppable way to drop an error on purpose.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: either a value or a non-ok Status. Constructing from an ok
// Status is a programming error (asserted).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit like expected
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  bool has_value() const { return ok(); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  const Status& error() const { return std::get<Status>(v_); }

  void IgnoreError() const {}

 private:
  std::variant<T, Status> v_;
};

}  // namespace cairn

// Propagation helpers. CAIRN_RETURN_IF_ERROR(expr) returns the Status of expr
// when it failed; CAIRN_ASSIGN_OR_RETURN(lhs, expr) unwraps a Result or
// returns its error. Both keep control flow visible at the call site.
#define CAIRN_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::cairn::Status cairn_status_ = (expr);  \
    if (!cairn_status_.ok()) return cairn_status_; \
  } while (0)

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL(CAIRN_CONCAT(cairn_result_, __LINE__), lhs, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
