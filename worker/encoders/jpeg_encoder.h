// JPEG encoding of thumbnails through libjpeg-turbo: 8-bit grey (one component) or RGB (YCbCr,
// 4:2:0, optimised Huffman tables), baseline, with a JFIF header and nothing else: no EXIF, no
// comment, no ICC profile (a JPEG without one is sRGB by convention, and every thumbnail is
// sRGB). JPEG has no alpha: images with alpha are composited before (worker/compositing.h).
// Worker only.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "worker/image.h"

namespace thumbpipe {

// Replaces *jpeg with `image` (grey or RGB) encoded at `quality` (1-100, libjpeg's scale).
// Fails on an empty image, one with alpha, or an error inside libjpeg.
Status EncodeJpeg(const Image& image, int quality, std::vector<uint8_t>* jpeg);

}  // namespace thumbpipe
