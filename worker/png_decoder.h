// PNG through libpng directly: every bit depth, colour type and interlacing; palettes and tRNS
// become alpha, 16-bit samples are scaled to 8 (rounded), grey stays grey. The header's size is
// checked against the pixel limit before any pixel memory is allocated. Non-interlaced images
// are delivered as they are decoded, one row in memory; interlaced ones need the whole image.
#pragma once

#include "worker/codec.h"

namespace thumbpipe {

class PngDecoder : public Decoder {
 public:
  Status Decode(std::span<const uint8_t> file, const DecodeRequest& request,
                RowSink* sink) const override;
};

}  // namespace thumbpipe
