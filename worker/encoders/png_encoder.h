// PNG encoding of thumbnails through libpng: 8-bit grey, grey+alpha, RGB or RGBA as given,
// lossless, with an sRGB chunk (every thumbnail is sRGB, see worker/colour/colour_transform.h)
// and no other ancillary chunk. Worker only.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "worker/image.h"

namespace thumbpipe {

// The sRGB chunk every thumbnail carries, whole (length, type, perceptual intent, CRC).
inline constexpr std::array<uint8_t, 13> kSrgbChunk = {0,   0, 0,    1,    's',  'R', 'G',
                                                       'B', 0, 0xAE, 0xCE, 0x1C, 0xE9};

// Replaces *png with `image` encoded at zlib level `level` (0-9). Fails only on an empty image
// or an error inside libpng.
Status EncodePng(const Image& image, int level, std::vector<uint8_t>* png);

}  // namespace thumbpipe
