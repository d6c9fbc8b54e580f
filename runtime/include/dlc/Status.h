//===- Status.h - Errors as values ------------------------------*- C++ -*-===//
//
// The runtime never throws and never aborts on bad input: every fallible
// call returns a Status (or an Expected<T>) whose message says what was wrong
// in words a user can act on.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_STATUS_H
#define DLC_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace dlc::rt {

class [[nodiscard]] Status {
public:
  static Status ok() { return Status(); }
  static Status error(std::string message) {
    Status status;
    status.message_ = std::move(message);
    status.failed_ = true;
    return status;
  }
  bool isOk() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string &message() const { return message_; }
  /// The same error with `context` in front: "reading x.npy: <message>".
  Status withContext(const std::string &context) const {
    return failed_ ? error(context + ": " + message_) : ok();
  }

private:
  std::string message_;
  bool failed_ = false;
};

/// A value or the Status saying why there is none.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  Expected(Status status) : status_(std::move(status)) {}
  explicit operator bool() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  const Status &status() const { return status_; }

private:
  std::optional<T> value_;
  Status status_;
};

/// printf-style formatting into a std::string.
std::string format(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

} // namespace dlc::rt

#endif // DLC_STATUS_H
