// Status: the result of an operation that can fail, with a message a user can act on.
// Used by every process; no exceptions cross our own interfaces.
#pragma once

#include <string>
#include <utility>

#include <fmt/format.h>

namespace thumbpipe {

class Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  // "<what>: <strerror(err)>", the shape of every OS error we report.
  template <typename... Args>
  static Status FromErrno(int err, fmt::format_string<Args...> what, Args&&... args) {
    return Status(fmt::format(what, std::forward<Args>(args)...) + ": " + ErrnoText(err));
  }

  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

  // Prefixes the message with context: "decode '/a.jpg'" + ": " + message.
  Status WithContext(std::string_view context) const;

 private:
  explicit Status(std::string message) : message_(std::move(message)) {
    if (message_.empty()) message_ = "unknown error";
  }
  static std::string ErrnoText(int err);

  std::string message_;
};

}  // namespace thumbpipe
