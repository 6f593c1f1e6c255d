#include "worker/worker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/clock.h"
#include "common/escape.h"
#include "common/log.h"
#include "worker/png_encoder.h"

namespace thumbpipe {
namespace {

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Largest file we read into memory: no image we can decode within the pixel limit needs more.
constexpr uint64_t kMaxFileBytes = uint64_t{2} << 30;

}  // namespace

Status Worker::Run() {
  std::vector<char> in(kMaxWorkMessageBytes), out(kMaxResultMessageBytes);
  SlotSetState(env_.slot, SlotState::kIdle);
  for (;;) {
    size_t size = 0;
    if (Status status = ReceiveWaiting(env_.work, in, env_.give_up, &size); !status.ok()) {
      return status;
    }
    WorkItem item;
    std::string err;
    if (!DecodeWorkItem({in.data(), size}, &item, &err)) {
      return Status::Error("bad work item: " + err);
    }
    Result result;
    result.worker = env_.index;
    if (item.kind == WorkKind::kEnd) {
      // From here the launcher knows our sentinel is taken: if we die now, it passes one on.
      SlotSetState(env_.slot, SlotState::kEnding);
      if (env_.before_item) env_.before_item("");
      result.kind = ResultKind::kEnd;
    } else if (env_.stop_requested && env_.stop_requested()) {
      continue;  // stopping: files not yet started stay undone
    } else {
      LogVerbose("Processing file {}", EscapePath(BaseName(item.path)));
      result.item = SlotBeginItem(env_.slot, item.path, MonotonicNanos());
      if (env_.before_item) env_.before_item(item.path);
      Process(item.path, &result);
    }
    const size_t out_size = EncodeResult(result, out);
    if (Status status = SendWaiting(env_.results, {out.data(), out_size}, env_.give_up);
        !status.ok()) {
      return status;
    }
    if (item.kind == WorkKind::kEnd) {
      SlotSetState(env_.slot, SlotState::kFinished);
      return Status::OK();
    }
    // After the result is out: dying between the two leaves a second report of this item,
    // which the sink recognises by its number; the other order could lose the item.
    SlotEndItem(env_.slot);
  }
}

void Worker::Process(const std::string& path, Result* result) {
  result->path = path;
  if (Status status = ReadFile(path, &result->source_bytes); !status.ok()) {
    result->kind = ResultKind::kFailed;
    result->reason = status.message();
    return;
  }
  Thumbnail thumbnail;
  MakeThumbnail(file_, env_.request, &thumbnail);
  switch (thumbnail.outcome) {
    case Thumbnail::Outcome::kNotImage:
      result->kind = ResultKind::kNotImage;
      result->reason = thumbnail.reason;
      return;
    case Thumbnail::Outcome::kFailed:
      result->kind = ResultKind::kFailed;
      result->reason = thumbnail.reason;
      return;
    case Thumbnail::Outcome::kThumbnail:
      break;
  }
  // Equal pixels give equal names: a thumbnail that exists is already right.
  if (!env_.output->Exists(thumbnail.name)) {
    Status status = EncodePng(thumbnail.image, &png_);
    bool existed = false;
    if (status.ok()) status = env_.output->WriteOnce(thumbnail.name, png_, &existed);
    if (!status.ok()) {
      result->kind = ResultKind::kFailed;
      result->reason = status.message();
      return;
    }
  }
  result->kind = ResultKind::kThumbnail;
  result->thumbnail = thumbnail.name;
  result->width = thumbnail.image.width;
  result->height = thumbnail.image.height;
}

Status Worker::ReadFile(const std::string& path, uint64_t* size) {
  // O_NONBLOCK: a FIFO swapped in after the walk must not block us.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::FromErrno(errno, "cannot open");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "cannot stat");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error("not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    ::close(fd);
    return Status::Error(fmt::format("file of {} bytes is too large to be an image thumbpipe can decode",
                                     st.st_size));
  }
  // Read to the end rather than trusting st_size: the file may be growing or shrinking.
  file_.resize(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (used == file_.size()) {
      if (file_.size() > kMaxFileBytes) break;
      file_.resize(file_.size() * 2);
    }
    const ssize_t n = ::read(fd, file_.data() + used, file_.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::FromErrno(err, "cannot read");
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  file_.resize(used);
  *size = used;
  return Status::OK();
}

}  // namespace thumbpipe
