#include "common/output_format.h"

#include <fmt/format.h>

namespace thumbpipe {

std::string_view OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kPng:
      return "png";
    case OutputFormat::kJpeg:
      return "jpeg";
    case OutputFormat::kWebp:
      return "webp";
  }
  return "png";
}

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  for (OutputFormat format : kOutputFormats) {
    if (name == OutputFormatName(format)) return format;
  }
  return std::nullopt;
}

std::string_view OutputExtension(OutputFormat format) {
  switch (format) {
    case OutputFormat::kPng:
      return ".png";
    case OutputFormat::kJpeg:
      return ".jpg";
    case OutputFormat::kWebp:
      return ".webp";
  }
  return ".png";
}

int MinQuality(OutputFormat format) { return format == OutputFormat::kPng ? 0 : 1; }

int MaxQuality(OutputFormat format) { return format == OutputFormat::kPng ? 9 : 100; }

int DefaultQuality(OutputFormat format) { return format == OutputFormat::kPng ? 1 : 85; }

uint32_t MaxSide(OutputFormat format) {
  switch (format) {
    case OutputFormat::kJpeg:
      return 65500;
    case OutputFormat::kWebp:
      return 16383;
    case OutputFormat::kPng:
      break;
  }
  return 65535;
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<uint32_t> ParseColour(std::string_view text) {
  if (text == "white") return kWhite;
  if (text == "black") return kBlack;
  if (text.size() != 7 || text[0] != '#') return std::nullopt;
  uint32_t rgb = 0;
  for (char c : text.substr(1)) {
    const int digit = HexDigit(c);
    if (digit < 0) return std::nullopt;
    rgb = rgb << 4 | static_cast<uint32_t>(digit);
  }
  return rgb;
}

std::string ColourName(uint32_t rgb) { return fmt::format("#{:06x}", rgb & 0xFFFFFF); }

}  // namespace thumbpipe
