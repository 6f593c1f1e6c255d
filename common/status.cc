#include "common/status.h"

#include <cstring>

namespace thumbpipe {

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status status(fmt::format("{}: {}", context, message_));
  status.queue_broken_ = queue_broken_;
  status.transient_ = transient_;
  return status;
}

std::string Status::ErrnoText(int err) {
  char buffer[256];
  // GNU strerror_r returns a pointer that may or may not be into buffer.
  return strerror_r(err, buffer, sizeof buffer);
}

}  // namespace thumbpipe
