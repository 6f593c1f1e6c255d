// PNG through libpng directly: every bit depth, colour type and interlacing; palettes and tRNS
// become alpha, 16-bit samples are scaled to 8 (rounded), grey stays grey. The header's size is
// checked against the pixel limit before any pixel memory is allocated. The file is read as a
// stream, and non-interlaced images are delivered as they are decoded, so memory stays a row
// and a chunk of the file; interlaced images need the whole image.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class PngDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe
