// WebP encoding of thumbnails through libwebp: lossy (VP8) at the given quality, RGB or RGBA;
// alpha is kept, compressed losslessly. The file holds the image and nothing else: no EXIF,
// XMP or ICCP chunk (a WebP without ICCP is sRGB by convention, and every thumbnail is sRGB).
// WebP has no grey mode: grey images are made RGB before (worker/compositing.h). Worker only.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "worker/image.h"

namespace thumbpipe {

// Replaces *webp with `image` (RGB or RGBA) encoded at `quality` (1-100, libwebp's scale).
// Fails on an empty image, a grey one, or an error inside libwebp.
Status EncodeWebp(const Image& image, int quality, std::vector<uint8_t>* webp);

}  // namespace thumbpipe
