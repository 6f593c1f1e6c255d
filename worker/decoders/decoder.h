// Decoders, chosen by sniffed format. A decoder is told how small the image may come out (so
// JPEG and WebP can shrink while decoding) and how many pixels its header may claim, and hands
// the pixels over row by row, so a caller can shrink them as they come and never hold the
// whole image. Every third-party error or exception becomes a Status; decoders never throw.
// Worker only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "common/image_format.h"
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

// Failure reasons. Every error a decoder returns is one sentence a user can act on: it starts
// with the format's name and says what is wrong in words of ours. A library's own message is
// read by the decoder's adapter (by its code where the library has codes, else by known text)
// and turned into one of these; it never reaches the user as it is. Errors of Input (reading
// the file) are passed on unchanged, and the thumbnailer puts the format's name in front of
// them. `what`, where taken, is a short plain phrase without a final period; left empty, the
// parenthesis is left out.
//
//   Truncated(kPng)               PNG data ends early (the file is truncated)
//   CorruptHeader(kBmp, what)     BMP header is damaged (the palette size is out of range)
//   Corrupt(kPng, what)           PNG data is damaged (a chunk's checksum is wrong)
//   Unsupported(kJpeg, what)      JPEG file uses 12-bit samples, which thumbpipe does not support
//   DamagedOrUnsupported(kBmp)    BMP file is damaged or of a kind thumbpipe does not support
//   TooManyPixels(kPng, ...)      PNG image is 100000x100000 (10000.0 megapixels), more than the
//                                 limit of 200.0 (--max-pixels)
//   OutOfMemory(kPng, size)       PNG image of 14000x14000 pixels needs more memory than a
//                                 worker may use (--max-memory)
//
// TooManyPixels and OutOfMemory are the run's limits speaking, not the file: their Status is
// OverLimit (common/status.h), so the file is not remembered as failed.
Status Truncated(Format format);
Status CorruptHeader(Format format, std::string_view what = {});
Status Corrupt(Format format, std::string_view what = {});
// `what` names the variant: "12-bit samples", "arithmetic coding", "JBIG compression".
Status Unsupported(Format format, std::string_view what);
// For a library that says only that it failed, not whether the file is damaged or of a kind
// it does not read.
Status DamagedOrUnsupported(Format format);
// An image whose header claims more than max_pixels; `size` empty: its size is not known.
Status TooManyPixels(Format format, Size size, uint64_t max_pixels);
// True when `size` is within max_pixels (0: no limit).
bool WithinPixelLimit(Size size, uint64_t max_pixels);
// Hands an image decoded whole (8-bit rows packed, `channels` samples a pixel) to `sink`, or
// refuses it with TooManyPixels when it is larger than max_pixels: for the plug-ins, whose
// libraries say an image's size only once it is decoded.
Status HandOverWhole(Format format, Size size, uint32_t channels, const uint8_t* pixels,
                     uint64_t max_pixels, RowSink* sink);
// An image whose pixels do not fit in the worker's memory; `size` empty: not known.
Status OutOfMemory(Format format, Size size = {});

// For adapters that read a library's message text: whether `text` holds `part`, ignoring
// ASCII case.
bool Mentions(std::string_view text, std::string_view part);

}  // namespace thumbpipe
