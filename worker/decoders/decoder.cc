#include "worker/decoders/decoder.h"

#include <fmt/format.h>

namespace thumbpipe {

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
