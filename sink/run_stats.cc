#include "sink/run_stats.h"

namespace thumbpipe {

void RunStats::Record(const Result& result) {
  const Format format = FormatKey(static_cast<Format>(result.format)) == "unknown"
                            ? Format::kUnknown
                            : static_cast<Format>(result.format);
  switch (result.kind) {
    case ResultKind::kThumbnail:
      ++by_format_[format].thumbnails;
      return;
    case ResultKind::kNotImage:
      ++by_format_[format].not_images;
      return;
    case ResultKind::kFailed:
      ++by_format_[format].failed;
      failures_.push_back({result.path, result.reason});
      return;
    case ResultKind::kEnd:
    case ResultKind::kRemoved:
      return;
  }
}

}  // namespace thumbpipe
