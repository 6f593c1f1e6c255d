#include "catalog/entry.h"

#include <fmt/format.h>

namespace thumbpipe {

std::string ThumbnailSettings(const RunOptions& options) {
  return fmt::format("box={}x{} pixels={}", options.box_width, options.box_height, kPixelsVersion);
}

int64_t RacyWindowNs(int64_t mtime_ns) {
  return mtime_ns % 1'000'000'000 == 0 ? kCoarseRacyWindowNs : kRacyWindowNs;
}

bool IsReusable(const CatalogEntry& entry, const FileStamp& stamp, const std::string& settings) {
  return stamp.inode != 0 && entry.stamp == stamp && entry.settings == settings &&
         entry.found_ns - stamp.mtime_ns >= RacyWindowNs(stamp.mtime_ns);
}

}  // namespace thumbpipe
