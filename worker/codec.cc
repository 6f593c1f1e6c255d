#include "worker/codec.h"

#include "worker/jpeg_decoder.h"
#include "worker/opencv_codec.h"
#include "worker/png_decoder.h"
#include "worker/tiff_decoder.h"
#include "worker/webp_decoder.h"

namespace thumbpipe {

const Decoder* DecoderFor(Format format) {
  static const JpegDecoder jpeg;
  static const PngDecoder png;
  static const WebpDecoder webp;
  static const TiffDecoder tiff;
  static const OpenCvDecoder opencv;
  switch (format) {
    case Format::kJpeg:
      return &jpeg;
    case Format::kPng:
      return &png;
    case Format::kWebp:
      return &webp;
    case Format::kTiff:
      return &tiff;
    case Format::kBmp:
    case Format::kPnm:
      return &opencv;
    default:
      return nullptr;
  }
}

Status TooManyPixels(Size size, uint64_t max_pixels) {
  return Status::Error(fmt::format(
      "image is {}x{} ({:.1f} megapixels), more than the limit of {:.1f} (--max-pixels)",
      size.width, size.height, static_cast<double>(size.width) * size.height / 1e6,
      static_cast<double>(max_pixels) / 1e6));
}

bool WithinPixelLimit(Size size, uint64_t max_pixels) {
  return max_pixels == 0 || uint64_t{size.width} * size.height <= max_pixels;
}

Status OutOfMemory(Size size) {
  return Status::Error(
      fmt::format("not enough memory for a {}x{} image (--max-memory)", size.width, size.height));
}

}  // namespace thumbpipe
