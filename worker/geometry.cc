#include "worker/geometry.h"

#include <cstring>

namespace thumbpipe {
namespace {

// round(a * b / c) for c > 0, halves up, without overflow for 32-bit inputs.
uint32_t MulDivRound(uint64_t a, uint64_t b, uint64_t c) {
  return static_cast<uint32_t>((2 * a * b + c) / (2 * c));
}

}  // namespace

Size FitInBox(Size image, Size box) {
  if (image.width == 0 || image.height == 0) return {0, 0};
  if (image.width <= box.width && image.height <= box.height) return image;
  Size out;
  // Compare aspect ratios exactly: w/h >= bw/bh  <=>  w*bh >= bw*h.
  if (static_cast<uint64_t>(image.width) * box.height >=
      static_cast<uint64_t>(box.width) * image.height) {
    out.width = box.width;
    out.height = MulDivRound(image.height, box.width, image.width);
  } else {
    out.height = box.height;
    out.width = MulDivRound(image.width, box.height, image.height);
  }
  if (out.width == 0) out.width = 1;
  if (out.height == 0) out.height = 1;
  return out;
}

Image ApplyOrientation(Image image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const uint32_t w = image.width, h = image.height, c = image.channels;
  Image out;
  const bool swap = OrientationSwapsAxes(orientation);
  out.Allocate(swap ? h : w, swap ? w : h, c);
  // For every output pixel (x, y), the source pixel it shows.
  for (uint32_t y = 0; y < out.height; ++y) {
    uint8_t* dst = out.row(y);
    for (uint32_t x = 0; x < out.width; ++x, dst += c) {
      uint32_t sx = 0, sy = 0;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          sy = y;
          break;  // mirrored
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;  // turned 180
        case 4:
          sx = x;
          sy = h - 1 - y;
          break;  // mirrored vertically
        case 5:
          sx = y;
          sy = x;
          break;  // transposed
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;  // stored turned 90 ccw: turn cw
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;  // transversed
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;  // stored turned 90 cw: turn ccw
      }
      std::memcpy(dst, image.row(sy) + static_cast<size_t>(sx) * c, c);
    }
  }
  return out;
}

}  // namespace thumbpipe
