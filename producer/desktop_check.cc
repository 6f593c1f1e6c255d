#include "producer/desktop_check.h"

#include <vector>

#include "common/desktop_cache.h"
#include "common/file_uri.h"
#include "common/png_text.h"

namespace thumbpipe {

bool DesktopCheck::Current(const std::string& path, const FileStamp& stamp, Result* result) const {
  if (force_) return false;
  const DesktopSource source{FileUri(path), DesktopMTime(stamp.mtime_ns)};
  bool all_current = true;
  for (int i = 0; i < kDesktopFlavourCount && all_current; ++i) {
    if ((flavours_ & (1u << i)) == 0) continue;
    all_current =
        IsCurrentDesktopThumbnail(thumbnails_fd_, DesktopThumbnailName(i, source.uri), source);
  }
  if (all_current) {
    result->kind = ResultKind::kThumbnail;
  } else {
    if (retry_failed_) return false;
    std::vector<PngText> texts;
    const std::string marker = DesktopFailMarkerName(source.uri);
    if (!ReadDesktopThumbnailText(thumbnails_fd_, marker, &texts).ok()) return false;
    const std::string* uri = FindPngText(texts, "Thumb::URI");
    const std::string* mtime = FindPngText(texts, "Thumb::MTime");
    if (uri == nullptr || mtime == nullptr || *uri != source.uri || *mtime != source.mtime) {
      return false;
    }
    const std::string* reason = FindPngText(texts, kDesktopReasonKey);
    result->kind = ResultKind::kFailed;
    result->reason = reason != nullptr ? *reason : "failed before";
  }
  result->flags = kResultUnchanged;
  result->worker = kProducerId;
  result->item = 0;
  result->path = path;
  result->thumbnail = result->kind == ResultKind::kThumbnail ? DesktopCacheName(source.uri) : "";
  result->stamp = stamp;
  return true;
}

}  // namespace thumbpipe
