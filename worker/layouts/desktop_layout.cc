#include "worker/layouts/desktop_layout.h"

#include <string_view>

#include "common/clock.h"
#include "common/desktop_cache.h"
#include "common/file_uri.h"
#include "worker/encoders/png_encoder.h"

namespace thumbpipe {

Status DesktopThumbnailPng(const Thumbnail& thumbnail, int png_level, const std::string& uri,
                           const std::string& mtime, uint64_t source_bytes,
                           std::vector<uint8_t>* png) {
  if (thumbnail.png.empty()) {
    if (Status status = EncodePng(thumbnail.image, png_level, png); !status.ok()) return status;
  } else {
    *png = thumbnail.png;
  }
  std::vector<PngText> texts = {
      {"Thumb::URI", uri}, {"Thumb::MTime", mtime}, {"Thumb::Size", std::to_string(source_bytes)}};
  if (const std::string_view mime = DesktopMimeType(thumbnail.format); !mime.empty()) {
    texts.push_back({"Thumb::Mimetype", std::string(mime)});
  }
  texts.push_back({"Software", std::string(DesktopSoftware())});
  return AddPngText(texts, png);
}

void MakeDesktopThumbnails(const DesktopLayoutEnv& env, const std::string& path,
                           const FileStamp& stamp, const MakeThumbnails& make, Result* result,
                           DesktopLayoutTimes* times) {
  const std::string uri = FileUri(path);
  const std::string mtime = DesktopMTime(stamp.mtime_ns);
  std::vector<int> flavours;
  std::vector<Size> boxes;
  for (int i = 0; i < kDesktopFlavourCount; ++i) {
    if ((env.flavours & (1u << i)) == 0) continue;
    flavours.push_back(i);
    boxes.push_back({kDesktopFlavours[i].size, kDesktopFlavours[i].size});
  }
  std::vector<Thumbnail> thumbnails;
  if (Status status = make(boxes, &thumbnails); !status.ok()) {
    result->kind = ResultKind::kFailed;
    result->flags |= kResultTransient;
    result->reason = status.message();
    return;
  }
  const Thumbnail* refused = nullptr;
  for (const Thumbnail& thumbnail : thumbnails) {
    if (thumbnail.outcome != Thumbnail::Outcome::kThumbnail) refused = &thumbnail;
  }
  if (!thumbnails.empty()) result->format = static_cast<uint8_t>(thumbnails.front().format);
  if (refused != nullptr || thumbnails.size() != flavours.size()) {
    const bool not_image = refused != nullptr && refused->outcome == Thumbnail::Outcome::kNotImage;
    result->kind = not_image ? ResultKind::kNotImage : ResultKind::kFailed;
    result->reason = refused != nullptr ? refused->reason : "no thumbnail was made";
    if (not_image) return;  // not a file a desktop would make a thumbnail of either
    if (refused != nullptr && refused->transient) {
      // Not the file's lasting fault (this run's limits, a change while it was read, a decoder
      // not loaded): no marker, so a later run tries again.
      result->flags |= kResultTransient;
      return;
    }
    // Thumbnails of what the file was are stale now; the marker says not to try again.
    const int64_t write_start = MonotonicNanos();
    const Status status =
        RecordDesktopFailure(env.cache, env.flavours, path, stamp, result->reason);
    times->write_ns += MonotonicNanos() - write_start;
    if (!status.ok()) {
      result->reason += "; and its failure marker could not be written: " + status.message();
    }
    return;
  }
  std::vector<uint8_t> png;
  for (size_t i = 0; i < thumbnails.size(); ++i) {
    const int64_t encode_start = MonotonicNanos();
    Status status = DesktopThumbnailPng(thumbnails[i], env.png_level, uri, mtime, stamp.size, &png);
    const int64_t write_start = MonotonicNanos();
    times->encode_ns += write_start - encode_start;
    if (status.ok()) {
      status = env.cache->Replace(DesktopThumbnailName(flavours[i], uri), png, kDesktopFileMode);
    }
    times->write_ns += MonotonicNanos() - write_start;
    if (!status.ok()) {
      result->kind = ResultKind::kFailed;
      result->flags |= kResultTransient;
      result->reason = status.message();
      return;
    }
    result->thumbnail_bytes += png.size();
  }
  env.cache->Remove(DesktopFailMarkerName(uri));  // stale, or passed over by --retry-failed
  result->kind = ResultKind::kThumbnail;
  result->thumbnail = DesktopCacheName(uri);
  result->width = thumbnails.back().image.width;
  result->height = thumbnails.back().image.height;
}

}  // namespace thumbpipe
