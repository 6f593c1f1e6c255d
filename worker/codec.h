// Decoders, chosen by sniffed format. A decoder is told how small the image may come out
// (so JPEG can shrink on load) and how many pixels the header may claim at most. Every
// third-party error or exception becomes a Status; decoders never throw. Worker only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "common/status.h"
#include "worker/image.h"
#include "worker/sniff.h"

namespace thumbpipe {

struct DecodeRequest {
  // Given the image's full size (as stored), the smallest size the decoder may return.
  std::function<Size(Size full)> needed_size;
  uint64_t max_pixels = 0;  // 0: no limit
};

struct Decoded {
  Image image;     // 8-bit, as stored (EXIF orientation not applied), at least needed_size
  Size full_size;  // as stored, before any shrink-on-load
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual Status Decode(std::span<const uint8_t> file, const DecodeRequest& request,
                        Decoded* decoded) const = 0;
};

// The decoder for a format FormatIsDecodable() accepts; never null for those.
const Decoder* DecoderFor(Format format);

// The message for an image whose header claims more than max_pixels.
Status TooManyPixels(Size size, uint64_t max_pixels);
// The message for an image whose pixels do not fit in the worker's memory.
Status OutOfMemory(Size size);

// Process-wide codec set-up, once, before the first decode: single-threaded, quiet, limits.
void ConfigureCodecs(uint64_t max_pixels);

}  // namespace thumbpipe
