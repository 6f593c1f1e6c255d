// How a decoded image's colours are to be read, as its file describes them: an embedded ICC
// profile, or a description without one (PNG gAMA/cHRM, HEIF/AVIF nclx). A decoder that finds
// one hands it to its RowSink (SetColour) before Begin; an image whose file says nothing is
// sRGB. Converting to sRGB is worker/colour/colour_transform.h's job; this file is plain data,
// so decoders need no colour library. Worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace thumbpipe {

// CIE xy chromaticities of a white point and three primaries.
struct Chromaticities {
  double white_x = 0, white_y = 0;
  double red_x = 0, red_y = 0;
  double green_x = 0, green_y = 0;
  double blue_x = 0, blue_y = 0;
};

struct ColourSource {
  // A profile larger than this is ignored, and decoders do not copy it: real ones are a few
  // kilobytes (a CMYK one up to a megabyte or two).
  static constexpr size_t kMaxProfileBytes = 4 << 20;

  // The file's ICC profile, as embedded. When present, everything below is ignored.
  std::vector<uint8_t> icc;

  // Without a profile. Primaries: PNG cHRM, or nclx colour_primaries mapped to their values;
  // none: sRGB's (BT.709).
  std::optional<Chromaticities> primaries;
  // Transfer: a pure power law, as PNG gAMA gives it (the file's gamma, e.g. 0.45455, so that
  // linear = sample ^ (1 / file_gamma)); or an ITU-T H.273 transfer_characteristics code from
  // nclx (1 BT.709, 4 gamma 2.2, 5 gamma 2.8, 8 linear, 13 sRGB, ...); neither: sRGB's curve.
  std::optional<double> file_gamma;
  uint16_t cicp_transfer = 0;

  static ColourSource FromIcc(std::vector<uint8_t> profile) {
    ColourSource source;
    source.icc = std::move(profile);
    return source;
  }

  // The file said it is sRGB (PNG sRGB chunk, nclx 1/13): nothing to do.
  bool IsSrgbByDeclaration() const {
    return icc.empty() && !primaries && !file_gamma && (cicp_transfer == 0 || cicp_transfer == 13);
  }
};

}  // namespace thumbpipe
