// Files of the long-tail formats (read through the ImageMagick plug-in) for tests, written by
// encoders other than ImageMagick's own: Pillow (python3-pil, run as a program) for TGA, ICO,
// PCX, SGI and XBM; code here for PSD and XPM, whose layouts are simple enough to write by
// hand. So the decoder is never checked only against its own writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace thumbpipe::testing {

// 8-bit pixels, rows packed, channels grey / grey+alpha / R,G,B / R,G,B,A.
struct Pixels {
  uint32_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> data;
  const uint8_t* at(uint32_t x, uint32_t y) const {
    return data.data() + (size_t{y} * width + x) * channels;
  }
};

// A w x h pattern in which neighbouring pixels differ and, with 3 or 4 channels, colours are
// not grey; alpha, when asked for, runs through 1..255, so colours stay defined.
Pixels Pattern(uint32_t width, uint32_t height, uint32_t channels);

// Saves `pixels` with Pillow as `format` ("TGA", "ICO", ...) into `path`, with `options` as
// Python keyword arguments of Image.save ("compression='tga_rle'"). `mode` converts the image
// first ("1": bilevel, "P": an adaptive palette, exact up to 256 colours); empty: as the
// channels say. Returns "" on success, else
// why not (python3 or Pillow missing, naming the package to install; what Pillow said).
std::string WriteWithPillow(const Pixels& pixels, const std::string& path,
                            const std::string& format, const std::string& options = "",
                            const std::string& mode = "");

// A Photoshop file (version 1, 8 bits a sample) whose composite image is `pixels` (grey or RGB,
// the last channel alpha when there are 2 or 4), raw or PackBits-compressed, with `icc` as its
// ICC profile resource when not empty. It has one layer, whose pixels are the composite's
// inverted, so a reader that shows the layer instead of the composite is caught; with alpha,
// the layer count is negative, which is how the format says the composite has alpha, and the
// composite's colours are matted against white, as Photoshop writes them (so they come back
// exact only where alpha is 255).
std::string Psd(const Pixels& pixels, bool packbits, const std::vector<uint8_t>& icc = {});

// An XPM of `pixels` (RGB, or RGBA whose alpha is 0 or 255: alpha 0 is the colour None).
std::string Xpm(const Pixels& pixels);

}  // namespace thumbpipe::testing
