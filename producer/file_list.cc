#include "producer/file_list.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/escape.h"
#include "common/real_path.h"

namespace thumbpipe {
namespace {

constexpr size_t kReadBytes = 64 * 1024;

}  // namespace

Status FileList::Open(const std::string& source, bool nul, std::unique_ptr<FileList>* list) {
  const char separator = nul ? '\0' : '\n';
  if (source == "-") {
    list->reset(new FileList(STDIN_FILENO, false, separator, "standard input"));
    return Status::OK();
  }
  const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::FromErrno(errno, "cannot read --files-from '{}'", EscapePath(source));
  }
  list->reset(new FileList(fd, true, separator, "'" + EscapePath(source) + "'"));
  return Status::OK();
}

FileList::~FileList() {
  if (owned_) ::close(fd_);
}

bool FileList::Next(std::string* entry) {
  while (true) {
    const size_t end = buffer_.find(separator_, start_);
    if (end != std::string::npos) {
      entry->assign(buffer_, start_, end - start_);
      start_ = end + 1;
      if (entry->empty()) continue;
      return true;
    }
    if (end_) {
      // A last entry without its separator still counts.
      entry->assign(buffer_, start_);
      start_ = buffer_.size();
      return !entry->empty();
    }
    buffer_.erase(0, start_);
    start_ = 0;
    const size_t old = buffer_.size();
    buffer_.resize(old + kReadBytes);
    const ssize_t n = ::read(fd_, buffer_.data() + old, kReadBytes);
    if (n < 0 && errno == EINTR) {
      buffer_.resize(old);
      continue;
    }
    if (n < 0) {
      status_ = Status::FromErrno(errno, "cannot read --files-from {}", name_);
      buffer_.resize(old);
      return false;
    }
    buffer_.resize(old + static_cast<size_t>(n));
    if (n == 0) end_ = true;
  }
}

ListResolver::ListResolver(std::string root, SymlinkPolicy symlinks,
                           std::function<void(const std::string& message)> skipped)
    : root_(std::move(root)) {
  root_fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) root_errno_ = errno;
  std::string real_root;
  if (root_fd_ >= 0 && symlinks == SymlinkPolicy::kInside) RealPathOf(root_fd_, &real_root);
  classifier_ =
      std::make_unique<EntryClassifier>(symlinks, std::move(real_root), std::move(skipped));
}

ListResolver::~ListResolver() {
  if (cached_fd_ >= 0) ::close(cached_fd_);
  if (root_fd_ >= 0) ::close(root_fd_);
}

ListedFile ListResolver::Resolve(std::string_view entry,
                                 const std::function<bool(std::string_view relative)>& wanted) {
  ListedFile file;
  std::filesystem::path given{std::string(entry)};
  if (given.is_relative()) given = std::filesystem::path(root_) / given;
  file.path = given.lexically_normal().string();
  while (file.path.size() > 1 && file.path.ends_with('/')) file.path.pop_back();
  const std::string inside = root_ == "/" ? root_ : root_ + "/";
  if (!file.path.starts_with(inside) || file.path.size() == inside.size()) {
    file.relative = file.path;
    if (wanted && !wanted(file.relative)) {
      file.kind = ListedFile::Kind::kNotWanted;
      return file;
    }
    file.reason = file.path == root_ ? "listed in --files-from, but it is ROOT itself, a folder"
                                     : fmt::format(
                                           "listed in --files-from, but it lies outside ROOT '{}'; "
                                           "not followed",
                                           EscapePath(root_));
    return file;
  }
  file.relative = file.path.substr(inside.size());
  if (wanted && !wanted(file.relative)) {
    file.kind = ListedFile::Kind::kNotWanted;
    return file;
  }
  const size_t slash = file.relative.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : file.relative.substr(0, slash);
  const std::string name = file.relative.substr(slash + 1);
  const int dir_fd = OpenFolder(folder, &file.reason);
  if (dir_fd < 0) return file;
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    file.reason = errno == ENOENT ? std::string("listed in --files-from, but there is no such file")
                                  : Status::FromErrno(errno, "cannot stat it").message();
    return file;
  }
  switch (classifier_->Classify(dir_fd, name, DT_UNKNOWN, file.path, &file.st)) {
    case EntryKind::kFile:
      file.kind = ListedFile::Kind::kFile;
      break;
    case EntryKind::kFolder:
      file.reason = "listed in --files-from, but it is a folder (list the files in it)";
      break;
    case EntryKind::kOther:
      file.kind = ListedFile::Kind::kSkipped;
      break;
  }
  return file;
}

int ListResolver::OpenFolder(const std::string& relative, std::string* reason) {
  if (root_fd_ < 0) {
    *reason = Status::FromErrno(root_errno_, "cannot open ROOT '{}'", EscapePath(root_)).message();
    return -1;
  }
  if (relative.empty()) return root_fd_;
  if (cached_fd_ >= 0 && cached_relative_ == relative) return cached_fd_;
  if (cached_fd_ >= 0) ::close(cached_fd_);
  cached_fd_ = -1;
  int fd = root_fd_;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string::npos) end = relative.size();
    const std::string component = relative.substr(start, end - start);
    const std::string so_far = root_ + "/" + relative.substr(0, end);
    const int next =
        ::openat(fd, component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int err = errno;
    if (next < 0) {
      struct stat st;
      const bool is_link =
          ::fstatat(fd, component.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      if (fd != root_fd_) ::close(fd);
      *reason =
          is_link ? fmt::format(
                        "listed in --files-from, but its folder '{}' is a symlink, "
                        "which thumbpipe never follows",
                        EscapePath(so_far))
          : err == ENOENT ? std::string("listed in --files-from, but there is no such file")
          : err == ENOTDIR
              ? fmt::format("listed in --files-from, but '{}' is not a folder", EscapePath(so_far))
              : Status::FromErrno(err, "cannot open folder '{}'", EscapePath(so_far)).message();
      return -1;
    }
    if (fd != root_fd_) ::close(fd);
    fd = next;
    start = end + 1;
  }
  cached_relative_ = relative;
  cached_fd_ = fd;
  return fd;
}

}  // namespace thumbpipe
