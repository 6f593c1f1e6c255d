// What the catalog remembers of one source file, and the rule that decides whether the last
// outcome still holds. Read by the producer (to skip unchanged files) and written by the sink.
#pragma once

#include <cstdint>
#include <string>

#include "common/message.h"
#include "common/options.h"

namespace thumbpipe {

// Bumped whenever a change to decoding or resizing changes the pixels of a thumbnail: every
// entry made before then is done again.
inline constexpr int kPixelsVersion = 2;  // 2: colours converted to sRGB

// The options that shape a thumbnail's pixels, as one string: entries made under other
// settings are done again. "box=200x200 pixels=2" ("box=128x128,512x512" with several boxes:
// another list of boxes redoes every file), with " format=jpeg quality=85
// background=#ffffff" after it unless the format is PNG at its default level.
std::string ThumbnailSettings(const RunOptions& options);

struct CatalogEntry {
  std::string path;  // absolute source path, bytes as found
  FileStamp stamp;   // of the file the outcome was made from
  // Wall-clock time when that stamp was taken. A file whose mtime was this close to it may
  // have been written again within the same clock tick, unseen: see IsReusable.
  int64_t found_ns = 0;
  std::string settings;
  ResultKind outcome = ResultKind::kThumbnail;  // kThumbnail, kNotImage or kFailed
  // For kThumbnail: "<sha256>.<ext>", or with several boxes their list (common/boxes.h).
  std::string thumbnail;
  std::string reason;  // for kNotImage and kFailed
};

// A file's modification time is only trusted when it was older than the moment it was found
// by more than the clock that dated it can tell apart: the kernel stamps times from a coarse
// clock (one tick, 1 to 10 ms), so a file written again within the tick of its mtime keeps
// its size and mtime; later writes fall in a later tick and change the mtime. File systems
// with whole-second or two-second times (FAT, some network file systems) give mtimes with no
// fraction of a second: for those the window is two seconds.
inline constexpr int64_t kRacyWindowNs = 20'000'000;
inline constexpr int64_t kCoarseRacyWindowNs = 2'000'000'000;
// The window for a file of modification time `mtime_ns`.
int64_t RacyWindowNs(int64_t mtime_ns);

// Whether `entry` still describes the file now stamped `stamp`, under `settings`: same size,
// mtime, inode and device, same settings, and not racily recent.
bool IsReusable(const CatalogEntry& entry, const FileStamp& stamp, const std::string& settings);

}  // namespace thumbpipe
