// Picks the encoder of the run's output format (--format): png_encoder.h, jpeg_encoder.h or
// webp_encoder.h. The image must already be what the format can hold (worker/compositing.h).
// Worker only.
#pragma once

#include <cstdint>
#include <vector>

#include "common/output_format.h"
#include "common/status.h"
#include "worker/image.h"

namespace thumbpipe {

// Replaces *out with `image` in `format` at `quality` (see common/output_format.h).
Status EncodeThumbnail(const Image& image, OutputFormat format, int quality,
                       std::vector<uint8_t>* out);

}  // namespace thumbpipe
