#include "common/real_path.h"

#include <unistd.h>

#include <cerrno>

namespace thumbpipe {

Status RealPathOf(int fd, std::string* path) {
  const std::string link = fmt::format("/proc/self/fd/{}", fd);
  // The kernel reports at most a page; one byte more tells a cut answer from a whole one.
  char buffer[4097];
  const ssize_t n = ::readlink(link.c_str(), buffer, sizeof buffer);
  if (n < 0) return Status::FromErrno(errno, "cannot read '{}'", link);
  if (static_cast<size_t>(n) == sizeof buffer || n == 0 || buffer[0] != '/') {
    return Status::Error(fmt::format("'{}' does not give a path", link));
  }
  path->assign(buffer, static_cast<size_t>(n));
  return Status::OK();
}

bool IsInsideRoot(std::string_view path, std::string_view root) {
  if (root.empty() || !path.starts_with(root)) return false;
  if (path.size() == root.size() || root == "/") return true;
  return path[root.size()] == '/';
}

}  // namespace thumbpipe
