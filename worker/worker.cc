#include "worker/worker.h"

#include <memory>

#include "common/boxes.h"
#include "common/clock.h"
#include "common/escape.h"
#include "common/log.h"
#include "worker/encoders/encoder.h"
#include "worker/input.h"

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
      Process(item.path, &result);
      result.stamp = item.stamp;
      result.found_ns = item.found_ns;
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

void Worker::Process(const std::string& path, Result* result) {
  result->path = path;
  Thumbnail thumbnail;
  const int64_t start = MonotonicNanos();
  {
    static const SourceOpener kFollowAll;
    std::unique_ptr<FileInput> input;
    if (Status status =
            FileInput::Open(env_.sources ? *env_.sources : kFollowAll, path, &file_, &input);
        !status.ok()) {
      AddTime(&RunCounters::read_ns, MonotonicNanos() - start);
      result->kind = ResultKind::kFailed;
      result->flags |= kResultTransient;
      result->reason = status.message();
      return;
    }
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
