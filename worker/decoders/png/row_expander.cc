#include "worker/decoders/png/row_expander.h"

#include <algorithm>

namespace thumbpipe {
namespace {

// Samples a stored pixel has, by colour type (0 where the type is invalid).
constexpr uint32_t kStoredSamples[7] = {1, 0, 3, 1, 2, 0, 4};

// A 16-bit sample rounded to 8 bits: round(v * 255 / 65535), as png_set_scale_16 does, in a
// form without division (equal for every v) that the compiler vectorizes.
inline uint8_t Scale16(const uint8_t* p) {
  const uint32_t v = uint32_t{p[0]} << 8 | p[1];
  return static_cast<uint8_t>((v * 255 + 32895) >> 16);
}

// The `x`-th sample of `depth` bits (1, 2, 4 or 8) of a packed row, most significant first.
inline uint32_t Packed(const uint8_t* row, uint32_t x, uint32_t depth) {
  if (depth == 8) return row[x];
  const uint32_t per_byte = 8 / depth;
  const uint32_t shift = 8 - depth * (x % per_byte + 1);
  return (row[x / per_byte] >> shift) & ((1u << depth) - 1);
}

}  // namespace

bool RowExpander::Init(const PngLayout& layout) {
  layout_ = layout;
  const uint32_t type = layout.colour_type, depth = layout.bit_depth;
  if (type > 6 || kStoredSamples[type] == 0 || layout.width == 0) return false;
  const bool low = depth == 1 || depth == 2 || depth == 4;
  const bool valid = type == 0   ? low || depth == 8 || depth == 16
                     : type == 3 ? low || depth == 8
                                 : depth == 8 || depth == 16;
  if (!valid || (layout.has_key && type != 0 && type != 2)) return false;
  if (type == 3 && (layout.palette.empty() || layout.palette.size() % 3 != 0 ||
                    layout.palette.size() > 256 * 3 || layout.palette_alpha.size() > 256)) {
    return false;
  }
  const uint64_t bits = uint64_t{layout.width} * kStoredSamples[type] * depth;
  stored_stride_ = static_cast<size_t>((bits + 7) / 8);
  filter_step_ = std::max<size_t>(1, kStoredSamples[type] * depth / 8);
  switch (type) {
    case 0:
      channels_ = layout.has_key ? 2 : 1;
      break;
    case 2:
      channels_ = layout.has_key ? 4 : 3;
      break;
    case 3:
      channels_ = layout.palette_alpha.empty() ? 3 : 4;
      break;
    case 4:
      channels_ = 2;
      break;
    default:
      channels_ = 4;
  }
  if (type == 3) {
    // As libpng: entries past the palette are black, past tRNS opaque.
    colours_.fill(0);
    for (size_t i = 0; i < 256; ++i) colours_[4 * i + 3] = 255;
    for (size_t i = 0; i < layout.palette.size() / 3; ++i)
      std::copy_n(&layout.palette[3 * i], 3, &colours_[4 * i]);
    for (size_t i = 0; i < layout.palette_alpha.size(); ++i)
      colours_[4 * i + 3] = layout.palette_alpha[i];
  }
  return true;
}

const uint8_t* RowExpander::Expand(const uint8_t* stored, uint8_t* out) const {
  const uint32_t width = layout_.width, depth = layout_.bit_depth;
  const uint32_t type = layout_.colour_type;
  if (type == 3) {
    for (uint32_t x = 0; x < width; ++x) {
      const uint8_t* colour = &colours_[4 * Packed(stored, x, depth)];
      std::copy_n(colour, channels_, out + size_t{x} * channels_);
    }
    return out;
  }
  const uint32_t samples = kStoredSamples[type];
  if (!layout_.has_key) {
    if (depth == 8) return stored;
    if (depth == 16) {
      const size_t count = size_t{width} * samples;
      for (size_t i = 0; i < count; ++i) out[i] = Scale16(stored + 2 * i);
      return out;
    }
    // Grey below 8 bits: each value spread over 0 to 255 (1 bit x255, 2 bits x85, 4 bits x17).
    const uint32_t scale = 255 / ((1u << depth) - 1);
    for (uint32_t x = 0; x < width; ++x)
      out[x] = static_cast<uint8_t>(Packed(stored, x, depth) * scale);
    return out;
  }
  // Grey or RGB with a transparent colour key: alpha 0 where a pixel is that colour. As in
  // libpng, 16-bit samples are compared whole, others with the key's low bits.
  if (depth == 16) {
    for (uint32_t x = 0; x < width; ++x) {
      const uint8_t* in = stored + size_t{x} * samples * 2;
      uint8_t* o = out + size_t{x} * channels_;
      bool keyed = true;
      for (uint32_t s = 0; s < samples; ++s) {
        keyed = keyed && (uint32_t{in[2 * s]} << 8 | in[2 * s + 1]) == layout_.key[s];
        o[s] = Scale16(in + 2 * s);
      }
      o[samples] = keyed ? 0 : 255;
    }
    return out;
  }
  const uint32_t mask = depth == 8 ? 0xFF : (1u << depth) - 1;
  const uint32_t scale = 255 / mask;
  for (uint32_t x = 0; x < width; ++x) {
    uint8_t* o = out + size_t{x} * channels_;
    bool keyed = true;
    for (uint32_t s = 0; s < samples; ++s) {
      const uint32_t value = Packed(stored, x * samples + s, depth);
      keyed = keyed && value == (layout_.key[s] & mask);
      o[s] = static_cast<uint8_t>(value * scale);
    }
    o[samples] = keyed ? 0 : 255;
  }
  return out;
}

}  // namespace thumbpipe
