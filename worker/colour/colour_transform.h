// Conversion of decoded rows to sRGB, with lcms2 (the only file that includes lcms2.h is
// colour_transform.cc). Every thumbnail is sRGB: rows whose file describes other colours (see
// colour_source.h) are converted as they are decoded, before they are shrunk.
//
// The rules:
// - An ICC profile is used when its colour space fits the pixels (RGB for RGB, grey for grey);
//   a profile that does not fit, or that lcms2 cannot read, is ignored and the rows are taken
//   as sRGB, as browsers do. Profiles larger than ColourSource::kMaxProfileBytes are ignored
//   unread (decoders do not even copy them).
// - Without a profile, PNG gAMA/cHRM and nclx are built into a profile. A gamma within 1% of
//   1/2.2 with sRGB's primaries (or none) is taken as sRGB, as the PNG specification allows
//   and Skia does: it is how most tools write "sRGB" in gAMA.
// - Rendering intent: perceptual (relative colorimetric for the matrix/shaper profiles that
//   have no perceptual table). Black point compensation is not asked for; lcms2 applies it by
//   itself at the perceptual intent, since the sRGB profile it makes is version 4 (it changes
//   nothing for a profile whose black is 0). Out-of-gamut colours are clipped.
// - Grey stays grey (converted to sRGB's tone curve), alpha is copied unchanged.
// - RGB through a matrix-shaper profile (no tables for the perceptual intent: Adobe RGB,
//   Display P3, ProPhoto, every profile made from gAMA/cHRM or nclx) is converted by
//   MatrixShaper (matrix_shaper.h), about 2.7 times faster than lcms2's own 8-bit transform and
//   closer to lcms2's exact pipeline, wherever it agrees with lcms2 within one level on a grid
//   spanning every level; otherwise by lcms2.
// - A transform that changes no colour by more than one level (an "sRGB" profile of another
//   vendor, a gamma of 2.2 with sRGB's primaries...) is not applied at all: such rows are
//   left untouched, at no cost.
// Transforms are built once per process for each distinct description and kept (a photo
// library has few: sRGB, Display P3, Adobe RGB). Worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "worker/colour/colour_source.h"

namespace thumbpipe {

class ColourTransform {
 public:
  // Colours are converted at no less than this many times the thumbnail's size on each side
  // (or at the size the image comes in, if smaller), so that converting costs the same for
  // every large image; see worker/shrinking_sink.h.
  static constexpr uint32_t kOversampling = 4;

  // For rows of `channels` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) described by `source`: the
  // transform to sRGB, or null when the rows are to be left as they are (sRGB already, as good
  // as sRGB, or a description that cannot be used).
  static std::shared_ptr<const ColourTransform> ToSrgb(const ColourSource& source,
                                                       uint32_t channels);

  // For CMYK rows (4 samples a pixel; `inverted`: 255 is no ink, as Adobe writes CMYK JPEGs)
  // to RGB: through `icc` when it is a usable CMYK profile, else through the default CMYK
  // profile (DefaultCmykProfilePath), else, if that file cannot be read, by the naive formula
  // R = (1 - C)(1 - K) and alike. Never null.
  static std::shared_ptr<const ColourTransform> CmykToSrgb(std::span<const uint8_t> icc,
                                                           bool inverted);

  // Where the default CMYK profile is read from (set at build time; see worker/CMakeLists.txt).
  static const char* DefaultCmykProfilePath();

  virtual ~ColourTransform() = default;
  // Samples per pixel in and out: equal, except CMYK's 4 in and 3 out.
  virtual uint32_t in_channels() const = 0;
  virtual uint32_t out_channels() const = 0;
  // Converts `width` pixels from `in` to `out`; the two must not overlap.
  virtual void Convert(const uint8_t* in, uint8_t* out, uint32_t width) const = 0;
};

}  // namespace thumbpipe
