// JPEG through libjpeg-turbo directly: DCT-domain shrink-on-load (1/2, 1/4, 1/8), grey kept,
// CMYK converted to RGB, errors and truncation reported with libjpeg's own words. Rows are
// delivered as they are decoded.
#pragma once

#include "worker/codec.h"

namespace thumbpipe {

class JpegDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

// The largest DCT scale denominator (1, 2, 4 or 8) whose output still covers `needed`.
int ChooseJpegScaleDenominator(Size full, Size needed);

}  // namespace thumbpipe
