// The image formats thumbpipe recognises, by name. The worker finds a file's format (see
// worker/sniff.h) and sends it as a number in its result; the sink counts results by format.
#pragma once

#include <cstdint>
#include <string_view>

namespace thumbpipe {

// The numbers travel in results (Result::format): append, never renumber.
enum class Format : uint8_t {
  kUnknown = 0,  // not an image we know of
  kJpeg = 1,
  kPng = 2,
  kWebp = 3,
  kTiff = 4,
  kBmp = 5,
  kPnm = 6,
  kGif = 7,
  kHeif = 8,  // HEIC and AVIF alike
  kJpegXl = 9,
  kJpeg2000 = 10,  // JP2 files and bare codestreams
  // Read through ImageMagick, in a plug-in (worker/decoders/magick_codec.h).
  kTga = 11,
  kIco = 12,  // ICO and CUR alike
  kPsd = 13,  // PSD and PSB: the composite image
  kPcx = 14,
  kSgi = 15,
  kXpm = 16,
  kXbm = 17,
  // Camera RAW files whose container is told apart safely (see worker/sniff.cc): recognised,
  // not decoded. TIFF-based RAWs without a mark of their own stay TIFF.
  kCameraRaw = 18,
};

// For people: "JPEG", "HEIF/AVIF", "JPEG XL" ...
std::string_view FormatName(Format format);
// For programs (the statistics' keys): "jpeg", "heif", "jxl" ...; "unknown" for any number
// that is not a format.
std::string_view FormatKey(Format format);

}  // namespace thumbpipe
