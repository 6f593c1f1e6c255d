// Reads the EXIF orientation (1..8) of an image: from a JPEG APP1 segment, a PNG eXIf chunk or
// ImageMagick's "Raw profile type exif" text chunk, a WebP EXIF chunk, or a TIFF's first IFD.
// Returns 1 (upright) when there is none or it is malformed. Worker only.
#pragma once

#include <cstdint>
#include <span>

#include "worker/sniff.h"

namespace thumbpipe {

int ReadOrientation(std::span<const uint8_t> file, Format format);

// The orientation tag of a TIFF-structured block ("II*\0..." or "MM\0*..."), or 1.
int OrientationFromTiff(std::span<const uint8_t> tiff);

}  // namespace thumbpipe
