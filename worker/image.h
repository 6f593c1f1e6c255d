// An 8-bit image in memory as the worker passes it between decoding, resizing and encoding:
// rows packed top to bottom, channels in R,G,B[,A] or grey[,alpha] order. Worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace thumbpipe {

struct Size {
  uint32_t width = 0;
  uint32_t height = 0;
  bool operator==(const Size&) const = default;
};

struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t channels = 0;  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
  std::vector<uint8_t> pixels;

  void Allocate(uint32_t w, uint32_t h, uint32_t c) {
    width = w;
    height = h;
    channels = c;
    pixels.assign(static_cast<size_t>(w) * h * c, 0);
  }
  // Allocate() that reports running out of memory (under --max-memory) instead of throwing.
  bool TryAllocate(uint32_t w, uint32_t h, uint32_t c) {
    try {
      Allocate(w, h, c);
      return true;
    } catch (const std::bad_alloc&) {
      *this = Image();
      return false;
    }
  }
  size_t stride() const { return static_cast<size_t>(width) * channels; }
  uint8_t* row(uint32_t y) { return pixels.data() + y * stride(); }
  const uint8_t* row(uint32_t y) const { return pixels.data() + y * stride(); }
  bool has_alpha() const { return channels == 2 || channels == 4; }
  Size size() const { return {width, height}; }
};

}  // namespace thumbpipe
