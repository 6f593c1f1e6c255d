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

  // A failure that says nothing lasting about the file, so it is not remembered as the file's
  // (no failure marker, not "failed before" in the catalog) and a later run tries again: the
  // file changed while it was read, a decoder's plug-in could not be loaded.
  static Status Transient(std::string message) {
    Status status(std::move(message));
    status.transient_ = true;
    return status;
  }
  // The run's own limits (--max-pixels, --max-memory) refused the work: transient, since a run
  // with other limits may do it.
  static Status OverLimit(std::string message) { return Transient(std::move(message)); }

  // "<what>: <strerror(err)>", the shape of every OS error we report.
  template <typename... Args>
  static Status FromErrno(int err, fmt::format_string<Args...> what, Args&&... args) {
    return Status(fmt::format(what, std::forward<Args>(args)...) + ": " + ErrnoText(err));
  }

  bool ok() const { return message_.empty(); }
  bool IsQueueBroken() const { return queue_broken_; }
  bool IsTransient() const { return transient_; }
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
  bool transient_ = false;
};

}  // namespace thumbpipe
