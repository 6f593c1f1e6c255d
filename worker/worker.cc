#include "worker/worker.h"

#include <sys/stat.h>

#include <memory>

#include "common/boxes.h"
#include "common/clock.h"
#include "common/escape.h"
#include "common/file_stamp.h"
#include "common/log.h"
#include "worker/encoders/encoder.h"
#include "worker/input.h"
#include "worker/layouts/desktop_layout.h"

namespace thumbpipe {
namespace {

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Files are read into one buffer, reused; past this size it is given back after the file.
constexpr size_t kKeptBufferBytes = 16 << 20;

}  // namespace

Status Worker::Run() {
  std::vector<char> in(kMaxWorkMessageBytes), out(kMaxResultMessageBytes);
  SlotSetState(env_.slot, SlotState::kIdle);
  for (;;) {
    // Taken before the item, so that items wait in the queue, where any worker may take them,
    // rather than in a worker waiting for its turn; given back before the result goes out.
    DecodeTurn turn(env_.decode_slots, env_.index);
    if (Status status = turn.Take(env_.give_up); !status.ok()) return status;
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
      if (LogVerbosity() >= Verbosity::kVerbose) {
        LogVerbose("Processing file {}", EscapePath(BaseName(item.path)));
      }
      result.item = SlotBeginItem(env_.slot, item, MonotonicNanos());
      if (env_.before_item) env_.before_item(item.path);
      Process(item.path, &result, item.stamp);
      result.stamp = item.stamp;
      result.found_ns = item.found_ns;
    }
    // Before the result goes out (a full result queue must not hold a slot); a worker going on
    // to its next item takes it straight back, one that ends wakes a waiter.
    if (item.kind == WorkKind::kEnd) {
      turn.Release();
    } else {
      turn.ReleaseWithoutWaking();
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

void Worker::AddTime(std::atomic<uint64_t> RunCounters::*stage, int64_t ns) {
  if (env_.counters != nullptr && ns > 0) {
    (env_.counters->*stage).fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  }
}

bool Worker::Open(const std::string& path, std::unique_ptr<FileInput>* input, Result* result) {
  static const SourceOpener kFollowAll;
  const int64_t start = MonotonicNanos();
  Status status = FileInput::Open(env_.sources ? *env_.sources : kFollowAll, path, &file_, input);
  if (status.ok()) return true;
  AddTime(&RunCounters::read_ns, MonotonicNanos() - start);
  result->kind = ResultKind::kFailed;
  result->flags |= kResultTransient;
  result->reason = status.message();
  return false;
}

void Worker::ProcessForDesktop(const std::string& path, const FileStamp& given, Result* result) {
  FileStamp stamp = given;
  struct stat st;
  if (stamp == FileStamp() && ::stat(path.c_str(), &st) == 0) stamp = StampOf(st);
  // Every flavour from one decode, at the scale the largest needs (thumbnailer.h).
  const MakeThumbnails make = [&](std::span<const Size> boxes, std::vector<Thumbnail>* out) {
    out->clear();
    if (boxes.empty()) return Status::OK();
    const int64_t start = MonotonicNanos();
    std::unique_ptr<FileInput> input;
    Result failed;
    if (!Open(path, &input, &failed)) return Status::Error(failed.reason);
    ThumbnailRequest request = env_.request;
    request.box = boxes.front();
    request.more_boxes.assign(boxes.begin() + 1, boxes.end());
    request.format = OutputFormat::kPng;
    Thumbnail& first = out->emplace_back();
    MakeThumbnail(*input, request, &first);
    result->source_bytes = input->bytes_read();
    AddTime(&RunCounters::read_ns, input->read_ns());
    AddTime(&RunCounters::decode_ns, MonotonicNanos() - start - input->read_ns());
    std::vector<BoxThumbnail> more = std::move(first.more);
    for (BoxThumbnail& box : more) {
      Thumbnail& next = out->emplace_back();
      next.outcome = out->front().outcome;
      next.format = out->front().format;
      next.image = std::move(box.image);
      next.name = std::move(box.name);
      next.png = std::move(box.png);
    }
    return Status::OK();
  };
  DesktopLayoutEnv env{env_.output, env_.desktop_flavours, env_.quality};
  DesktopLayoutTimes times;
  MakeDesktopThumbnails(env, path, stamp, make, result, &times);
  AddTime(&RunCounters::encode_ns, times.encode_ns);
  AddTime(&RunCounters::write_ns, times.write_ns);
  if (file_.capacity() > kKeptBufferBytes) std::vector<uint8_t>().swap(file_);
}

void Worker::Process(const std::string& path, Result* result, const FileStamp& stamp) {
  result->path = path;
  if (env_.layout == OutputLayout::kFreedesktop) return ProcessForDesktop(path, stamp, result);
  Thumbnail thumbnail;
  const int64_t start = MonotonicNanos();
  {
    std::unique_ptr<FileInput> input;
    if (!Open(path, &input, result)) return;
    MakeThumbnail(*input, env_.request, &thumbnail);
    result->source_bytes = input->bytes_read();
    // Decoders read as they go: what was not spent reading was spent decoding.
    AddTime(&RunCounters::read_ns, input->read_ns());
    AddTime(&RunCounters::decode_ns, MonotonicNanos() - start - input->read_ns());
  }
  result->format = static_cast<uint8_t>(thumbnail.format);
  // A file read whole once should not keep its buffer for the rest of the run.
  if (file_.capacity() > kKeptBufferBytes) std::vector<uint8_t>().swap(file_);
  switch (thumbnail.outcome) {
    case Thumbnail::Outcome::kNotImage:
      result->kind = ResultKind::kNotImage;
      result->reason = thumbnail.reason;
      return;
    case Thumbnail::Outcome::kFailed:
      result->kind = ResultKind::kFailed;
      if (thumbnail.transient) result->flags |= kResultTransient;
      result->reason = thumbnail.reason;
      return;
    case Thumbnail::Outcome::kThumbnail:
      break;
  }
  const int64_t write_start = MonotonicNanos();
  const int64_t encode_before = encode_ns_;
  const auto written = [&] {
    AddTime(&RunCounters::write_ns, MonotonicNanos() - write_start - (encode_ns_ - encode_before));
  };
  Status status;
  uint64_t bytes = 0;
  if (env_.request.more_boxes.empty()) {
    status = Write(env_.output, thumbnail.image, thumbnail.name, thumbnail.png, &bytes);
    result->thumbnail = thumbnail.name;
  } else {
    std::vector<Size> boxes = {env_.request.box};
    boxes.insert(boxes.end(), env_.request.more_boxes.begin(), env_.request.more_boxes.end());
    std::vector<std::string> entries;
    for (size_t i = 0; i < boxes.size() && status.ok(); ++i) {
      const BoxThumbnail* more = i == 0 ? nullptr : &thumbnail.more[i - 1];
      const std::string& name = more ? more->name : thumbnail.name;
      status = Write(env_.box_outputs[i], more ? more->image : thumbnail.image, name,
                     more ? more->png : thumbnail.png, &bytes);
      entries.push_back(ThumbnailEntry({boxes[i].width, boxes[i].height}, boxes.size(), name));
    }
    result->thumbnail = JoinThumbnails(entries);
  }
  written();
  if (!status.ok()) {
    result->kind = ResultKind::kFailed;
    result->flags |= kResultTransient;
    result->thumbnail.clear();
    result->reason = status.message();
    return;
  }
  result->thumbnail_bytes = bytes;
  result->kind = ResultKind::kThumbnail;
  result->width = thumbnail.image.width;
  result->height = thumbnail.image.height;
}

// Equal pixels give equal names: a thumbnail that exists is already right.
Status Worker::Write(OutputDir* dir, const Image& image, const std::string& name,
                     const std::vector<uint8_t>& png, uint64_t* bytes) {
  if (dir->Exists(name)) return Status::OK();
  Status status;
  if (png.empty()) {
    const int64_t encode_start = MonotonicNanos();
    status = EncodeThumbnail(image, env_.request.format, env_.quality, &encoded_);
    const int64_t ns = MonotonicNanos() - encode_start;
    encode_ns_ += ns;
    AddTime(&RunCounters::encode_ns, ns);
  }
  const std::vector<uint8_t>& file = png.empty() ? encoded_ : png;
  bool existed = false;
  if (status.ok()) status = dir->WriteOnce(name, file, &existed);
  if (status.ok() && !existed) *bytes += file.size();
  return status;
}

}  // namespace thumbpipe
