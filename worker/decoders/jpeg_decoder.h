// JPEG through libjpeg-turbo directly: DCT-domain shrink-on-load (1/2, 1/4, 1/8), grey kept,
// CMYK converted to RGB, errors told by libjpeg's message codes (decoder.h's reasons). Rows are
// delivered as they are decoded. A progressive file decoded at 1/8 is read only up to the last
// scan its pixels depend on, when its scan script shows that the scans after it cannot change
// them (see jpeg_scan_script.h). Worker only.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class JpegDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

// The largest DCT scale denominator (1, 2, 4 or 8) whose output still covers `needed`.
int ChooseJpegScaleDenominator(Size full, Size needed);

// JpegDecoder::Decode with the early stop for progressive files allowed or not. Stores in
// `*scans_read` (when not null and the decode succeeds) how many scans libjpeg had read when
// the rows came out: all of them, unless the decode stopped early. Both ways give the same
// rows and the same errors; the switch and the count are there for tests and benchmarks.
Status DecodeJpeg(std::span<const uint8_t> file, const DecodeRequest& request, RowSink* sink,
                  bool allow_early_stop, int* scans_read = nullptr);

}  // namespace thumbpipe
