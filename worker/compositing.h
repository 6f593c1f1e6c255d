// Makes a thumbnail's pixels what its output format can hold, before they are named, so that
// the name hashes the pixels the file is meant to show: JPEG has no alpha, so transparency is
// composited on the run's --background; WebP has no grey, so grey becomes RGB. PNG holds
// everything as it is. Worker only.
#pragma once

#include <cstdint>

#include "common/output_format.h"
#include "worker/image.h"

namespace thumbpipe {

// Composites `image` (grey+alpha or RGBA) on the opaque colour `background` (0xRRGGBB):
// each sample becomes (c * a + b * (255 - a)) / 255, rounded to nearest, in sRGB's encoded
// values as browsers blend. Grey+alpha stays grey on a grey background (white, black,
// #808080...), else becomes RGB. An image without alpha is returned unchanged.
Image CompositeOn(Image image, uint32_t background);

// Grey becomes RGB and grey+alpha RGBA (each sample copied to all three); others unchanged.
Image GreyToRgb(Image image);

// What `format` needs: CompositeOn for JPEG, GreyToRgb for WebP, nothing for PNG.
Image PrepareForFormat(Image image, OutputFormat format, uint32_t background);

}  // namespace thumbpipe
