// The fast path for a PNG that is its own thumbnail: already within the box, 8-bit grey,
// grey+alpha, RGB or RGBA, not interlaced, without palette or tRNS, all in memory. It is
// decoded here with one inflate (no libpng), and its compressed image data is reused as the
// thumbnail's instead of being encoded again, with every ancillary chunk left out. Small
// images (icons, crops) are common, and for them encoding is most of the work. Worker only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "worker/image.h"

namespace thumbpipe {

// When `file` is such a PNG, fitting `box` and `max_pixels` (0: no limit), with intact chunks
// and one complete zlib stream of
// exactly its rows: fills *image with its pixels (as libpng would give them), *png with
// signature, IHDR, its IDAT chunks and IEND, and returns true. Otherwise returns false and the
// file takes the normal path.
bool DecodeSmallPng(std::span<const uint8_t> file, Size box, uint64_t max_pixels, Image* image,
                    std::vector<uint8_t>* png);

}  // namespace thumbpipe
