#include "worker/compositing.h"

#include <array>
#include <cstddef>

namespace thumbpipe {
namespace {

uint8_t Blend(uint32_t c, uint32_t a, uint32_t b) {
  return static_cast<uint8_t>((c * a + b * (255 - a) + 127) / 255);
}

}  // namespace

Image CompositeOn(Image image, uint32_t background) {
  if (!image.has_alpha()) return image;
  const std::array<uint32_t, 3> bg = {background >> 16 & 0xFF, background >> 8 & 0xFF,
                                      background & 0xFF};
  const bool grey_in = image.channels == 2;
  const bool grey_out = grey_in && bg[0] == bg[1] && bg[1] == bg[2];
  Image out;
  out.Allocate(image.width, image.height, grey_out ? 1 : 3);
  const size_t pixels = static_cast<size_t>(image.width) * image.height;
  const uint8_t* in = image.pixels.data();
  uint8_t* to = out.pixels.data();
  for (size_t i = 0; i < pixels; ++i) {
    if (grey_in) {
      const uint32_t alpha = in[1];
      if (grey_out) {
        *to++ = Blend(in[0], alpha, bg[0]);
      } else {
        for (uint32_t b : bg) *to++ = Blend(in[0], alpha, b);
      }
      in += 2;
    } else {
      const uint32_t alpha = in[3];
      for (int c = 0; c < 3; ++c) *to++ = Blend(in[c], alpha, bg[c]);
      in += 4;
    }
  }
  return out;
}

Image GreyToRgb(Image image) {
  if (image.channels != 1 && image.channels != 2) return image;
  const bool alpha = image.channels == 2;
  Image out;
  out.Allocate(image.width, image.height, alpha ? 4 : 3);
  const size_t pixels = static_cast<size_t>(image.width) * image.height;
  const uint8_t* in = image.pixels.data();
  uint8_t* to = out.pixels.data();
  for (size_t i = 0; i < pixels; ++i) {
    *to++ = in[0];
    *to++ = in[0];
    *to++ = in[0];
    if (alpha) *to++ = in[1];
    in += image.channels;
  }
  return out;
}

Image PrepareForFormat(Image image, OutputFormat format, uint32_t background) {
  switch (format) {
    case OutputFormat::kJpeg:
      return CompositeOn(std::move(image), background);
    case OutputFormat::kWebp:
      return GreyToRgb(std::move(image));
    case OutputFormat::kPng:
      break;
  }
  return image;
}

}  // namespace thumbpipe
