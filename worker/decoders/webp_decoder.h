// WebP through libwebp directly. An opaque image is shrunk while decoding: libwebp's rescaler
// averages the source area of each output pixel, so the image comes out at the thumbnail's
// size without ever existing at full size (an image whose ICC profile calls for converting, at
// ColourTransform::kOversampling times that size, at most its own, where its colours are
// converted before the rest of the shrinking). An image with alpha is decoded whole, since that
// rescaler gets colours wrong next to transparency. Animated WebP gives its first frame.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class WebpDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe
