#include "sink/sink.h"

#include <vector>

#include "common/escape.h"
#include "common/log.h"
#include "common/message.h"

namespace thumbpipe {

Status Sink::Run() {
  std::vector<char> buffer(kMaxResultMessageBytes);
  int ends = 0;
  while (ends < env_.workers) {
    size_t size = 0;
    if (Status status = ReceiveWaiting(env_.results, buffer, env_.give_up, &size); !status.ok()) {
      return status;
    }
    Result result;
    std::string err;
    if (!DecodeResult({buffer.data(), size}, &result, &err)) {
      return Status::Error("bad result: " + err);
    }
    if (result.kind == ResultKind::kEnd) {
      ++ends;
    } else {
      Record(result);
    }
  }
  return manifest_.WriteTo(env_.manifest_path).WithContext("cannot write the manifest");
}

void Sink::Record(Result& result) {
  RunCounters& counters = *env_.counters;
  counters.bytes_read.fetch_add(result.source_bytes, std::memory_order_relaxed);
  switch (result.kind) {
    case ResultKind::kThumbnail:
      manifest_.Add(std::move(result.thumbnail), std::move(result.path));
      counters.thumbnails.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kNotImage:
      LogVerbose("not an image: '{}' ({})", EscapePath(result.path), result.reason);
      counters.not_images.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kFailed:
      LogWarning("failed: '{}': {}", EscapePath(result.path), result.reason);
      counters.failed.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kEnd:
      break;
  }
}

}  // namespace thumbpipe
