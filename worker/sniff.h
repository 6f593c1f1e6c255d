// Recognises an image format from a file's first bytes; the extension is never consulted.
// Worker only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace thumbpipe {

enum class Format {
  kUnknown,  // not an image we know of
  kJpeg,
  kPng,
  kWebp,
  kTiff,
  kBmp,
  kPnm,
  // Recognised as images, but no decoder is built in: reported as failed, not as "not an image".
  kGif,
  kHeif,
  kJpegXl,
  kJpeg2000,
};

Format SniffFormat(std::span<const uint8_t> head);
std::string_view FormatName(Format format);
bool FormatIsDecodable(Format format);

}  // namespace thumbpipe
