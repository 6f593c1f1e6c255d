#include "worker/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "common/clock.h"

namespace thumbpipe {
namespace {

// Largest file read whole: no image within the pixel limit needs more.
constexpr uint64_t kMaxWholeBytes = uint64_t{2} << 30;

}  // namespace

Status MemoryInput::Whole(std::span<const uint8_t>* all) {
  *all = data_;
  return Status::OK();
}

Status MemoryInput::Read(uint8_t* out, size_t size, size_t* got) {
  *got = std::min(size, data_.size() - position_);
  std::memcpy(out, data_.data() + position_, *got);
  position_ += *got;
  return Status::OK();
}

Status MemoryInput::Rewind() {
  position_ = 0;
  return Status::OK();
}

Status FileInput::Open(const SourceOpener& sources, const std::string& path,
                       std::vector<uint8_t>* buffer, std::unique_ptr<FileInput>* input) {
  const int64_t start = MonotonicNanos();
  int fd = -1;
  if (Status status = sources.Open(path, &fd); !status.ok()) return status;
  std::unique_ptr<FileInput> file(new FileInput(fd, buffer));
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno(errno, "cannot stat");
  if (!S_ISREG(st.st_mode)) return Status::Error("not a regular file");
  file->size_at_open_ = static_cast<uint64_t>(st.st_size);
  file->mtime_at_open_ = st.st_mtim;
  file->ctime_at_open_ = st.st_ctim;
  file->read_ns_ = MonotonicNanos() - start;
  if (buffer->size() < kHeadBytes) buffer->resize(kHeadBytes);
  size_t got = 0;
  if (Status status = file->ReadMore(kHeadBytes, &got); !status.ok()) return status;
  file->head_size_ = file->used_;
  // Larger files are read on in order: the kernel may read ahead further.
  if (!file->at_end_) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  *input = std::move(file);
  return Status::OK();
}

FileInput::~FileInput() { ::close(fd_); }

// Appends up to `want` bytes from the descriptor to buffer_ (which must have room).
Status FileInput::ReadMore(size_t want, size_t* got) {
  *got = 0;
  while (*got < want && !at_end_) {
    const int64_t start = MonotonicNanos();
    const ssize_t n = ::read(fd_, buffer_->data() + used_, want - *got);
    read_ns_ += MonotonicNanos() - start;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "cannot read");
    // A short read that reaches the size the file had when opened is its end: no second read
    // to see it (network file systems may read short elsewhere, so the size must agree).
    if (n == 0 ||
        (static_cast<size_t>(n) < want - *got && used_ + static_cast<size_t>(n) >= size_at_open_)) {
      at_end_ = true;
      buffer_at_end_ = true;
    }
    used_ += static_cast<size_t>(n);
    *got += static_cast<size_t>(n);
    bytes_read_ += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Status FileInput::Whole(std::span<const uint8_t>* all) {
  // Read to the end rather than trusting the size: the file may be growing or shrinking.
  while (!at_end_) {
    if (used_ == buffer_->size()) {
      if (buffer_->size() >= kMaxWholeBytes) {
        return Status::Error(
            fmt::format("file of more than {} bytes is too large to be an image "
                        "thumbpipe can decode",
                        kMaxWholeBytes));
      }
      try {
        buffer_->resize(buffer_->size() * 2);
      } catch (const std::bad_alloc&) {
        return Status::OverLimit("not enough memory to read the file (--max-memory)");
      }
    }
    size_t got = 0;
    if (Status status = ReadMore(buffer_->size() - used_, &got); !status.ok()) return status;
  }
  *all = {buffer_->data(), used_};
  return Status::OK();
}

Status FileInput::Read(uint8_t* out, size_t size, size_t* got) {
  *got = 0;
  // First what the head holds, then straight from the descriptor.
  if (position_ < used_) {
    *got = std::min(size, used_ - position_);
    std::memcpy(out, buffer_->data() + position_, *got);
    position_ += *got;
    return Status::OK();
  }
  while (!at_end_) {
    const int64_t start = MonotonicNanos();
    const ssize_t n = ::read(fd_, out, size);
    read_ns_ += MonotonicNanos() - start;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "cannot read");
    if (n == 0) {
      at_end_ = true;
      break;
    }
    *got = static_cast<size_t>(n);
    position_ += *got;
    bytes_read_ += *got;
    break;
  }
  return Status::OK();
}

bool FileInput::Changed() const {
  const auto same = [](const timespec& a, const timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
  };
  if (buffer_at_end_) return false;  // read again from the buffer alone
  struct stat st;
  if (::fstat(fd_, &st) != 0) return true;  // nothing to vouch for it
  return static_cast<uint64_t>(st.st_size) != size_at_open_ || !same(st.st_mtim, mtime_at_open_) ||
         !same(st.st_ctim, ctime_at_open_);
}

Status FileInput::Rewind() {
  // The buffer's bytes come first again; the rest is read from the descriptor once more.
  position_ = 0;
  at_end_ = buffer_at_end_;
  if (!at_end_ && ::lseek(fd_, static_cast<off_t>(used_), SEEK_SET) < 0)
    return Status::FromErrno(errno, "cannot read");
  return Status::OK();
}

}  // namespace thumbpipe
