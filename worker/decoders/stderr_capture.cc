#include "worker/decoders/stderr_capture.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>

namespace thumbpipe {

StderrCapture::StderrCapture() {
  std::fflush(stderr);
  memory_ = ::memfd_create("thumbpipe-stderr", MFD_CLOEXEC);
  saved_ = memory_ >= 0 ? ::dup(STDERR_FILENO) : -1;
  if (saved_ >= 0 && ::dup2(memory_, STDERR_FILENO) < 0) {
    ::close(saved_);
    saved_ = -1;
  }
}

StderrCapture::~StderrCapture() {
  if (saved_ >= 0) {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  if (memory_ >= 0) ::close(memory_);
}

std::string StderrCapture::LastLine() const {
  if (saved_ < 0) return {};
  std::fflush(stderr);
  std::string text(64 * 1024, '\0');
  const ssize_t n = ::pread(memory_, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

}  // namespace thumbpipe
