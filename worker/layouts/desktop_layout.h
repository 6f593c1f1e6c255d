// --layout freedesktop, worker side: turns one source file into its thumbnails in the desktop's
// cache (common/desktop_cache.h), one per flavour of the run, each a PNG that carries Thumb::URI,
// Thumb::MTime, Thumb::Size, Thumb::Mimetype and Software, written mode 0600 to a temporary
// name in its folder and renamed over what was there. A file that cannot be thumbnailed gets a
// failure marker instead (a 1x1 PNG with the same Thumb::URI and Thumb::MTime, and the reason),
// unless the failure was transient (Thumbnail::transient: the run's own limits, a change while
// it was read, a plug-in not loaded); a success removes a stale one.
// Whether the work was needed at all was decided before, by the producer
// (producer/desktop_check.h). Worker only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/message.h"
#include "common/status.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {

// Makes a thumbnail of the source in each of `boxes` (in that order) into *thumbnails. An
// error means the source could not be opened or read (a failure that says nothing about the
// file); the outcome of decoding is in each Thumbnail.
using MakeThumbnails =
    std::function<Status(std::span<const Size> boxes, std::vector<Thumbnail>* thumbnails)>;

struct DesktopLayoutEnv {
  OutputDir* cache = nullptr;  // the thumbnails folder, "<cache home>/thumbnails"
  uint32_t flavours = 0;       // bits of kDesktopFlavours
  int png_level = 1;           // zlib level (--quality)
};

// Time spent encoding and writing, for the run's statistics.
struct DesktopLayoutTimes {
  int64_t encode_ns = 0;
  int64_t write_ns = 0;
};

// Makes and writes the thumbnails of the file at `path` (absolute), stamped `stamp` as the
// producer found it (its mtime goes into Thumb::MTime, so a file changed since reads as stale
// next time), and fills in *result: kThumbnail named "<md5>.png" (the same name in every
// flavour's folder), kNotImage, or kFailed with the reason.
void MakeDesktopThumbnails(const DesktopLayoutEnv& env, const std::string& path,
                           const FileStamp& stamp, const MakeThumbnails& make, Result* result,
                           DesktopLayoutTimes* times);

// The PNG of `thumbnail` (encoded, or its reused PNG) with the standard's text chunks for a
// source at `uri` with mtime `mtime` (DesktopMTime), `source_bytes` long. For tests too.
Status DesktopThumbnailPng(const Thumbnail& thumbnail, int png_level, const std::string& uri,
                           const std::string& mtime, uint64_t source_bytes,
                           std::vector<uint8_t>* png);

}  // namespace thumbpipe
