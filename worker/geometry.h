// Thumbnail geometry: fitting an image in the box, and EXIF orientation. Worker only.
#pragma once

#include "worker/image.h"

namespace thumbpipe {

// The size of the thumbnail of an image of `image` size in `box`: aspect kept, the long side
// (relative to the box) equal to the box's, the other rounded to nearest and at least 1;
// never larger than the image.
Size FitInBox(Size image, Size box);

// EXIF orientation 1..8. 5..8 swap width and height.
inline bool OrientationSwapsAxes(int orientation) { return orientation >= 5 && orientation <= 8; }
inline Size Oriented(Size size, int orientation) {
  return OrientationSwapsAxes(orientation) ? Size{size.height, size.width} : size;
}

// Returns `image` turned upright for EXIF `orientation` (1 or an unknown value: unchanged).
Image ApplyOrientation(Image image, int orientation);

}  // namespace thumbpipe
