#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/escape.h"

namespace thumbpipe {
namespace {

std::string TempName(const std::string& name) {
  return fmt::format(".{}.{}.tmp", name, ::getpid());
}

// A name no other writer of a shared folder picks: on a network file system the folder may be
// written by processes of other hosts, whose pids are their own.
std::string UniqueTempName(const std::string& name) {
  static std::atomic<uint64_t> counter{0};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "host");
  for (char* c = host; *c != '\0'; ++c) {
    if (*c == '/') *c = '_';
  }
  return fmt::format(".{}.{}.{}.{}.tmp", name, host, ::getpid(), counter.fetch_add(1));
}

}  // namespace

int WriteAll(int fd, std::span<const unsigned char> data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data = data.subspan(static_cast<size_t>(n));
  }
  return 0;
}

Status OutputDir::Open(const std::string& path, std::unique_ptr<OutputDir>* dir) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "cannot open output folder '{}'", path);
  dir->reset(new OutputDir(fd, path));
  // What a network file system without O_TMPFILE gets, on demand (tests).
  if (const char* no_tmpfile = std::getenv(kNoTmpfileVariable);
      no_tmpfile != nullptr && std::string_view(no_tmpfile) == "1") {
    (*dir)->tmpfile_refused_ = true;
  }
  return Status::OK();
}

OutputDir::~OutputDir() { ::close(fd_); }

bool OutputDir::Exists(const std::string& name) const {
  struct stat st;
  return ::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Status OutputDir::WriteOnce(const std::string& name, std::span<const unsigned char> data,
                            bool* existed) {
  *existed = false;
  if (tmpfile_refused_) return WriteViaTempName(name, data, existed);
  // An unnamed file, linked into the folder only when complete: nothing half-written is
  // ever visible, and a worker killed mid-write leaves nothing behind.
  const int fd = ::openat(fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
      tmpfile_refused_ = true;  // file system without O_TMPFILE (NFS): no use asking again
      return WriteViaTempName(name, data, existed);
    }
    return Status::FromErrno(errno, "cannot create a file in '{}'", path_);
  }
  if (const int err = WriteAll(fd, data); err != 0) {
    ::close(fd);
    return Status::FromErrno(err, "cannot write '{}/{}'", path_, name);
  }
  const int linked = LinkTempFile(fd, name);
  const int err = errno;
  ::close(fd);
  if (linked == 0) return Status::OK();
  if (err == EEXIST) {
    *existed = true;  // another worker made the same thumbnail meanwhile
    return Status::OK();
  }
  if (err == ENOENT) return WriteViaTempName(name, data, existed);  // no /proc mounted
  return Status::FromErrno(err, "cannot create '{}/{}'", path_, name);
}

// Gives the unnamed file `fd` the name `name`. AT_EMPTY_PATH needs a capability (or a recent
// kernel); /proc/self/fd works for everyone but costs a path walk through /proc, so it is the
// fallback once the first has failed.
int OutputDir::LinkTempFile(int fd, const std::string& name) {
  if (!empty_path_refused_) {
    if (::linkat(fd, "", fd_, name.c_str(), AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT && errno != EPERM) return -1;
    empty_path_refused_ = true;
  }
  const std::string proc_path = fmt::format("/proc/self/fd/{}", fd);
  return ::linkat(AT_FDCWD, proc_path.c_str(), fd_, name.c_str(), AT_SYMLINK_FOLLOW);
}

Status OutputDir::WriteViaTempName(const std::string& name, std::span<const unsigned char> data,
                                   bool* existed) {
  // link(2), not rename(2): a name that exists is never replaced, so a thumbnail another
  // host is writing or has written is never overwritten, and readers only ever see whole
  // files.
  const std::string temp = UniqueTempName(name);
  const int fd = ::openat(fd_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "cannot create '{}/{}'", path_, temp);
  int err = WriteAll(fd, data);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::linkat(fd_, temp.c_str(), fd_, name.c_str(), 0) != 0) {
    if (errno == EEXIST) {
      *existed = true;
    } else {
      err = errno;
    }
  }
  ::unlinkat(fd_, temp.c_str(), 0);
  if (err != 0) return Status::FromErrno(err, "cannot write '{}/{}'", path_, name);
  return Status::OK();
}

Status OutputDir::Replace(const std::string& name, std::span<const unsigned char> data,
                          mode_t mode) {
  const size_t slash = name.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : name.substr(0, slash + 1);
  const std::string base = name.substr(folder.size());
  // The name the file has before the rename over `name`: unique to this host, process and
  // write, so that neither a leftover of a killed writer nor another host writing the same
  // folder can be in the way; should one be there after all, the next name is tried.
  constexpr int kTempNameAttempts = 8;
  std::string temp;
  // Written unnamed and named only once complete, as in WriteOnce: a worker killed while it
  // writes leaves nothing in the folder (on a file system without O_TMPFILE it may leave
  // its named temporary).
  bool named = false;
  int fd = -1;
  if (!tmpfile_refused_) {
    fd = ::openat(fd_, folder.empty() ? "." : folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC,
                  mode);
    if (fd < 0) {
      if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        return Status::FromErrno(errno, "cannot create a file in '{}/{}'", path_, folder);
      }
      tmpfile_refused_ = true;  // file system without O_TMPFILE (NFS): no use asking again
    }
  }
  if (fd < 0) {
    for (int attempt = 1; fd < 0; ++attempt) {
      temp = folder + UniqueTempName(base);
      fd = ::openat(fd_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      if (fd < 0 && (errno != EEXIST || attempt == kTempNameAttempts)) {
        return Status::FromErrno(errno, "cannot create '{}/{}'", path_, temp);
      }
    }
    named = true;
  }
  // The umask may have taken bits away, never added any; fchmod makes the mode exact.
  int err = ::fchmod(fd, mode) == 0 ? WriteAll(fd, data) : errno;
  for (int attempt = 1; err == 0 && !named; ++attempt) {
    temp = folder + UniqueTempName(base);
    if (LinkTempFile(fd, temp) == 0) {
      named = true;
    } else if (errno != EEXIST || attempt == kTempNameAttempts) {
      err = errno;
    }
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::renameat(fd_, temp.c_str(), fd_, name.c_str()) != 0) err = errno;
  if (err != 0) {
    if (named) ::unlinkat(fd_, temp.c_str(), 0);
    return Status::FromErrno(err, "cannot write '{}/{}'", path_, name);
  }
  return Status::OK();
}

bool OutputDir::Remove(const std::string& name) { return ::unlinkat(fd_, name.c_str(), 0) == 0; }

Status AtomicFileWriter::Create(const std::string& path,
                                std::unique_ptr<AtomicFileWriter>* writer) {
  const std::filesystem::path target(path);
  const std::string temp = (target.parent_path() / TempName(target.filename().string())).string();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "cannot create '{}'", temp);
  writer->reset(new AtomicFileWriter(fd, path, temp));
  return Status::OK();
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

Status AtomicFileWriter::Append(std::string_view data) {
  buffer_.append(data);
  if (buffer_.size() >= (1 << 16)) return Flush();
  return Status::OK();
}

Status AtomicFileWriter::Flush() {
  const int err =
      WriteAll(fd_, {reinterpret_cast<const unsigned char*>(buffer_.data()), buffer_.size()});
  buffer_.clear();
  if (err != 0) return Status::FromErrno(err, "cannot write '{}'", temp_path_);
  return Status::OK();
}

Status AtomicFileWriter::Commit() {
  if (Status status = Flush(); !status.ok()) return status;
  if (::fsync(fd_) != 0) return Status::FromErrno(errno, "cannot flush '{}' to disk", temp_path_);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) return Status::FromErrno(errno, "cannot write '{}'", temp_path_);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return Status::FromErrno(errno, "cannot rename '{}' to '{}'", temp_path_, path_);
  }
  committed_ = true;
  return Status::OK();
}

Status PrepareFolderFor(std::string_view what, const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec || ::access(folder.c_str(), W_OK) != 0) {
    return Status::Error(
        fmt::format("cannot write {} '{}': its folder '{}' {}", what, EscapePath(path),
                    EscapePath(folder.string()),
                    ec ? "cannot be created: " + ec.message() : "is not writable"));
  }
  return Status::OK();
}

}  // namespace thumbpipe
