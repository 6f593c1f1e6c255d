#include "catalog/entry.h"

#include <fmt/format.h>

namespace thumbpipe {

std::string ThumbnailSettings(const RunOptions& options) {
  std::string settings =
      fmt::format("box={} pixels={}", BoxListName(RunBoxes(options)), kPixelsVersion);
  // PNG at its default level says nothing more, so catalogs made before there was a choice of
  // format stay valid.
  if (options.format != OutputFormat::kPng || options.quality != DefaultQuality(options.format)) {
    settings +=
        fmt::format(" format={} quality={}", OutputFormatName(options.format), options.quality);
  }
  // The background changes a JPEG's pixels only.
  if (options.format == OutputFormat::kJpeg) {
    settings += fmt::format(" background={}", ColourName(options.background));
  }
  return settings;
}

int64_t RacyWindowNs(int64_t mtime_ns) {
  return mtime_ns % 1'000'000'000 == 0 ? kCoarseRacyWindowNs : kRacyWindowNs;
}

bool IsReusable(const CatalogEntry& entry, const FileStamp& stamp, const std::string& settings) {
  return stamp.inode != 0 && entry.stamp == stamp && entry.settings == settings &&
         entry.found_ns - stamp.mtime_ns >= RacyWindowNs(stamp.mtime_ns);
}

}  // namespace thumbpipe
