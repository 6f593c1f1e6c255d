// JPEG through libjpeg-turbo directly: DCT-domain shrink-on-load (1/2, 1/4, 1/8), grey kept,
// CMYK converted to RGB, errors told by libjpeg's message codes (decoder.h's reasons). Rows are
// delivered as they are decoded. A progressive file decoded at 1/8 is read only up to the last
// scan its pixels depend on, when its scan script shows that the scans after it cannot change
// them (see jpeg_scan_script.h). The coefficients a progressive file keeps for the whole image
// are held compact (see jpeg_coefficient_store.h). Worker only.
#pragma once

#include <cstddef>

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class JpegDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

// The largest DCT scale denominator (1, 2, 4 or 8) whose output still covers `needed`.
int ChooseJpegScaleDenominator(Size full, Size needed);

// How DecodeJpeg works; every way gives the same rows and the same errors. The switches are
// there for tests and benchmarks: JpegDecoder uses the defaults.
struct JpegDecodeOptions {
  bool early_stop = true;            // read a progressive file only as far as its rows need
  bool compact_coefficients = true;  // JpegCoefficientStore, not libjpeg's own arrays
};

// What a decode did, for tests and benchmarks (filled when the decode succeeds).
struct JpegDecodeReport {
  int scans_read = 0;            // scans libjpeg had read when the rows came out
  size_t coefficient_bytes = 0;  // the most the whole-image coefficients took (0: none kept)
};

// JpegDecoder::Decode on a file in memory.
Status DecodeJpeg(std::span<const uint8_t> file, const DecodeRequest& request, RowSink* sink,
                  const JpegDecodeOptions& options, JpegDecodeReport* report = nullptr);

}  // namespace thumbpipe
