#include "worker/encoders/encoder.h"

#include "worker/encoders/jpeg_encoder.h"
#include "worker/encoders/png_encoder.h"
#include "worker/encoders/webp_encoder.h"

namespace thumbpipe {

Status EncodeThumbnail(const Image& image, OutputFormat format, int quality,
                       std::vector<uint8_t>* out) {
  switch (format) {
    case OutputFormat::kJpeg:
      return EncodeJpeg(image, quality, out);
    case OutputFormat::kWebp:
      return EncodeWebp(image, quality, out);
    case OutputFormat::kPng:
      break;
  }
  return EncodePng(image, quality, out);
}

}  // namespace thumbpipe
