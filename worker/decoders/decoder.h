// Decoders, chosen by sniffed format. A decoder is told how small the image may come out (so
// JPEG and WebP can shrink while decoding) and how many pixels its header may claim, and hands
// the pixels over row by row, so a caller can shrink them as they come and never hold the
// whole image. Every third-party error or exception becomes a Status; decoders never throw.
// Worker only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "common/status.h"
#include "worker/colour/colour_source.h"
#include "worker/image.h"
#include "worker/input.h"
#include "worker/sniff.h"

namespace thumbpipe {

struct DecodeRequest {
  // Given the image's full size (as stored), the smallest size the decoder may deliver.
  std::function<Size(Size full)> needed_size;
  uint64_t max_pixels = 0;  // 0: no limit
};

// Receives a decoded image: Begin once, then its rows top to bottom, as stored (EXIF
// orientation not applied; HEIF's own irot/imir and JPEG XL's codestream orientation are, see
// heif_decoder.h and jxl_decoder.h), 8 bits per sample, grey / grey+alpha / RGB / RGBA.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Called before Begin when the file describes its colours (see colour_source.h); rows then
  // come as stored, and the sink converts them to sRGB. Not called: the rows are sRGB. CMYK
  // is never handed over: a decoder turns it into RGB with ColourTransform itself.
  virtual void SetColour(ColourSource source) { (void)source; }
  // `full` is the image's size as stored; `rows` the size of what follows (at least the
  // needed size, or the full size). `block` > 1: each delivered pixel stands for block x block
  // pixels of the full image, the last column and row for what remains (a JPEG decoded at
  // 1/block); 1: the rows are the image, or already resampled by the decoder. An error stops
  // the decoder, which returns it.
  virtual Status Begin(Size full, Size rows, uint32_t channels, uint32_t block) = 0;
  virtual void Row(const uint8_t* row) = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decodes `input` into `sink`. Returns an error if the data is damaged, cannot be read, or
  // the sink refused; the sink then may have seen only some rows.
  virtual Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const = 0;
};

// The decoder for `format` (decoder_table.cc), or null when the format is recognised but not
// decoded. The decoders live as long as the process.
const Decoder* DecoderFor(Format format);

// The message for an image whose header claims more than max_pixels.
Status TooManyPixels(Size size, uint64_t max_pixels);
// True when `size` is within max_pixels (0: no limit).
bool WithinPixelLimit(Size size, uint64_t max_pixels);
// The message for an image whose pixels do not fit in the worker's memory.
Status OutOfMemory(Size size);

}  // namespace thumbpipe
