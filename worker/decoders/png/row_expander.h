// The samples of a PNG row, as stored (unfiltered), turned into 8-bit grey, grey+alpha, RGB or
// RGBA exactly as libpng turns them with png_set_expand and png_set_scale_16: palettes looked
// up (an index past the palette is black, as in libpng), tRNS made into alpha, grey below
// 8 bits scaled up, 16-bit samples rounded to 8. The fast path of png_decoder.cc uses it.
// Worker only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace thumbpipe {

// A PNG's pixel layout and what its PLTE and tRNS chunks hold, as libpng kept them.
struct PngLayout {
  uint32_t width = 0;
  uint8_t bit_depth = 0;                   // 1, 2, 4, 8 or 16
  uint8_t colour_type = 0;                 // 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
  std::span<const uint8_t> palette;        // PLTE: R,G,B per entry
  std::span<const uint8_t> palette_alpha;  // tRNS of a palette image: alpha per entry
  bool has_key = false;  // tRNS of a grey or RGB image: this colour is transparent
  uint16_t key[3] = {};  // grey, or R,G,B, as stored
};

class RowExpander {
 public:
  // False for a layout PNG does not allow.
  bool Init(const PngLayout& layout);
  // Bytes of a stored row (without its filter byte), and of a stored pixel rounded up (the
  // filters' step).
  size_t stored_stride() const { return stored_stride_; }
  size_t filter_step() const { return filter_step_; }
  // Samples of an output pixel: 1 to 4; bytes of an output row.
  uint32_t channels() const { return channels_; }
  size_t output_stride() const { return size_t{layout_.width} * channels_; }
  // The 8-bit row for the stored row `stored`: `stored` itself when nothing changes, else
  // `out`, which has room for width x channels() bytes.
  const uint8_t* Expand(const uint8_t* stored, uint8_t* out) const;

 private:
  PngLayout layout_;
  size_t stored_stride_ = 0;
  size_t filter_step_ = 0;
  uint32_t channels_ = 0;
  std::array<uint8_t, 256 * 4> colours_{};  // palette images: R,G,B,A per index
};

}  // namespace thumbpipe
