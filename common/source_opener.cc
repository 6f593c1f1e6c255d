#include "common/source_opener.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/escape.h"
#include "common/real_path.h"

namespace thumbpipe {
namespace {

constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
constexpr const char* kSymlinkOnPath =
    "not opened: a symlink lies on its path below ROOT (--symlinks none)";

// The part of `path` below `root`; false when `path` is not below it.
bool BelowRoot(const std::string& path, const std::string& root, std::string* relative) {
  const std::string prefix = root.ends_with('/') ? root : root + "/";
  if (path.size() <= prefix.size() || !path.starts_with(prefix)) return false;
  *relative = path.substr(prefix.size());
  return true;
}

// openat2(2), which glibc does not wrap yet.
int OpenAt2(int dir_fd, const std::string& path, int flags, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof how));
}

}  // namespace

SourceOpener::~SourceOpener() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

Status SourceOpener::Create(SymlinkPolicy policy, const std::string& root,
                            std::unique_ptr<SourceOpener>* opener, bool use_openat2) {
  opener->reset();
  auto result = std::make_unique<SourceOpener>();
  result->policy_ = policy;
  result->root_ = root;
  result->use_openat2_ = use_openat2;
  if (policy != SymlinkPolicy::kAll) {
    result->root_fd_ = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (result->root_fd_ < 0) {
      return Status::FromErrno(errno, "cannot open ROOT '{}'", EscapePath(root));
    }
    if (Status status = RealPathOf(result->root_fd_, &result->real_root_); !status.ok()) {
      return status.WithContext(fmt::format("cannot resolve ROOT '{}'", EscapePath(root)));
    }
  }
  *opener = std::move(result);
  return Status::OK();
}

Status SourceOpener::Open(const std::string& path, int* fd) const {
  switch (policy_) {
    case SymlinkPolicy::kInside:
      return OpenInside(path, fd);
    case SymlinkPolicy::kNone:
      return OpenWithoutSymlinks(path, fd);
    case SymlinkPolicy::kAll:
      break;
  }
  *fd = ::open(path.c_str(), kReadFlags);
  if (*fd < 0) return Status::FromErrno(errno, "cannot open");
  return Status::OK();
}

Status SourceOpener::OpenInside(const std::string& path, int* fd) const {
  const int path_fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (path_fd < 0) return Status::FromErrno(errno, "cannot open");
  std::string real;
  Status status = RealPathOf(path_fd, &real);
  if (!status.ok()) {
    status = status.WithContext("not opened: cannot tell where it leads (--symlinks inside)");
  } else if (!IsInsideRoot(real, real_root_)) {
    status = Status::Error(fmt::format(
        "not opened: it resolves to '{}', outside ROOT (--symlinks inside)", EscapePath(real)));
  } else {
    status = CheckedReopen(path_fd, fd);
  }
  ::close(path_fd);
  return status;
}

Status SourceOpener::OpenWithoutSymlinks(const std::string& path, int* fd) const {
  std::string relative;
  if (!BelowRoot(path, root_, &relative)) {
    return Status::Error(
        fmt::format("not opened: it is not below ROOT '{}' (--symlinks none)", EscapePath(root_)));
  }
  if (use_openat2_) {
    // RESOLVE_BENEATH as well: a ".." must not climb out of ROOT either.
    int err = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
      *fd = OpenAt2(root_fd_, relative, kReadFlags, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
      if (*fd >= 0) return Status::OK();
      err = errno;
      if (err != EAGAIN && err != EINTR) break;  // EAGAIN: a rename raced a ".."
    }
    if (err == ELOOP) return Status::Error(kSymlinkOnPath);
    if (err == EXDEV)
      return Status::Error("not opened: its path leads out of ROOT (--symlinks none)");
    if (err != ENOSYS) return Status::FromErrno(err, "cannot open");
  }
  // Without openat2: the file itself is not followed, and a symlinked folder on the way shows
  // as a real path other than the one asked for.
  const int path_fd = ::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (path_fd < 0) return Status::FromErrno(errno, "cannot open");
  std::string real;
  Status status = RealPathOf(path_fd, &real);
  const std::string expected =
      real_root_.ends_with('/') ? real_root_ + relative : real_root_ + "/" + relative;
  if (!status.ok()) {
    status = status.WithContext("not opened: cannot tell where it leads (--symlinks none)");
  } else if (real != expected) {
    status = Status::Error(kSymlinkOnPath);
  } else {
    status = CheckedReopen(path_fd, fd);
  }
  ::close(path_fd);
  return status;
}

// Opens for reading what `path_fd` (O_PATH) refers to, through /proc: the very same file, so
// what was checked is what is read. Only a regular file is opened, so no device outside the
// walk's view is ever opened.
Status SourceOpener::CheckedReopen(int path_fd, int* fd) const {
  struct stat st;
  if (::fstat(path_fd, &st) != 0) return Status::FromErrno(errno, "cannot stat");
  if (S_ISLNK(st.st_mode)) return Status::Error(kSymlinkOnPath);  // O_PATH | O_NOFOLLOW
  if (!S_ISREG(st.st_mode)) return Status::Error("not a regular file");
  *fd = ::open(fmt::format("/proc/self/fd/{}", path_fd).c_str(), kReadFlags);
  if (*fd < 0) return Status::FromErrno(errno, "cannot open");
  return Status::OK();
}

}  // namespace thumbpipe
