#include "worker/decoders/decoder.h"

#include <algorithm>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

// " (what)", or nothing for an empty `what`.
std::string InParentheses(std::string_view what) {
  return what.empty() ? std::string() : fmt::format(" ({})", what);
}

}  // namespace

Status Truncated(Format format) {
  return Status::Error(
      fmt::format("{} data ends early (the file is truncated)", FormatName(format)));
}

Status CorruptHeader(Format format, std::string_view what) {
  return Status::Error(
      fmt::format("{} header is damaged{}", FormatName(format), InParentheses(what)));
}

Status Corrupt(Format format, std::string_view what) {
  return Status::Error(
      fmt::format("{} data is damaged{}", FormatName(format), InParentheses(what)));
}

Status Unsupported(Format format, std::string_view what) {
  return Status::Error(
      fmt::format("{} file uses {}, which thumbpipe does not support", FormatName(format), what));
}

Status DamagedOrUnsupported(Format format) {
  return Status::Error(fmt::format("{} file is damaged or of a kind thumbpipe does not support",
                                   FormatName(format)));
}

Status TooManyPixels(Format format, Size size, uint64_t max_pixels) {
  const double limit = static_cast<double>(max_pixels) / 1e6;
  if (size.width == 0 || size.height == 0) {
    return Status::OverLimit(
        fmt::format("{} image has more pixels than the limit of {:.1f} megapixels (--max-pixels)",
                    FormatName(format), limit));
  }
  return Status::OverLimit(fmt::format(
      "{} image is {}x{} ({:.1f} megapixels), more than the limit of {:.1f} (--max-pixels)",
      FormatName(format), size.width, size.height,
      static_cast<double>(size.width) * size.height / 1e6, limit));
}

Status HandOverWhole(Format format, Size size, uint32_t channels, const uint8_t* pixels,
                     uint64_t max_pixels, RowSink* sink) {
  if (!WithinPixelLimit(size, max_pixels)) return TooManyPixels(format, size, max_pixels);
  Status status = sink->Begin(size, size, channels, 1);
  const size_t stride = static_cast<size_t>(size.width) * channels;
  for (uint32_t y = 0; status.ok() && y < size.height; ++y) sink->Row(pixels + y * stride);
  return status;
}

bool WithinPixelLimit(Size size, uint64_t max_pixels) {
  return max_pixels == 0 || uint64_t{size.width} * size.height <= max_pixels;
}

Status OutOfMemory(Format format, Size size) {
  if (size.width == 0 || size.height == 0) {
    return Status::OverLimit(fmt::format(
        "{} image needs more memory than a worker may use (--max-memory)", FormatName(format)));
  }
  return Status::OverLimit(
      fmt::format("{} image of {}x{} pixels needs more memory than a worker may use (--max-memory)",
                  FormatName(format), size.width, size.height));
}

bool Mentions(std::string_view text, std::string_view part) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::search(text.begin(), text.end(), part.begin(), part.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != text.end();
}

}  // namespace thumbpipe
