// PNG encoding of thumbnails through libpng: 8-bit grey, grey+alpha, RGB or RGBA as given.
// Worker only.
#pragma once

#include <vector>

#include "common/status.h"
#include "worker/image.h"

namespace thumbpipe {

Status EncodePng(const Image& image, std::vector<uint8_t>* png);

}  // namespace thumbpipe
