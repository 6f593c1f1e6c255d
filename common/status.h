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
  // A shared-memory queue failed: its lock could not be had in time (held by a process that
  // died?) or its memory is not a queue. The run cannot go on.
  static Status QueueBroken(std::string message) {
    Status status(std::move(message));
    status.queue_broken_ = true;
    return status;
  }

  // The run's own limits (--max-pixels, --max-memory) refused the work: it says nothing about
  // the file, so it is not remembered as the file's failure and a later run tries again.
  static Status OverLimit(std::string message) {
    Status status(std::move(message));
    status.over_limit_ = true;
    return status;
  }

  // "<what>: <strerror(err)>", the shape of every OS error we report.
  template <typename... Args>
  static Status FromErrno(int err, fmt::format_string<Args...> what, Args&&... args) {
    return Status(fmt::format(what, std::forward<Args>(args)...) + ": " + ErrnoText(err));
  }

  bool ok() const { return message_.empty(); }
  bool IsQueueBroken() const { return queue_broken_; }
  bool IsOverLimit() const { return over_limit_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context: "decode '/a.jpg'" + ": " + message.
  Status WithContext(std::string_view context) const;

 private:
  explicit Status(std::string message) : message_(std::move(message)) {
    if (message_.empty()) message_ = "unknown error";
  }
  static std::string ErrnoText(int err);

  std::string message_;
  bool queue_broken_ = false;
  bool over_limit_ = false;
};

}  // namespace thumbpipe
