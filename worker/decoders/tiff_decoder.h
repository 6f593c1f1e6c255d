// TIFF through libtiff's RGBA interface: every photometric, compression and bit depth libtiff
// knows, first page only. The file's Orientation tag is not applied here (the thumbnailer
// applies it, as for every format); grey stays grey and alpha is kept. The ICC profile is
// handed to the sink; 8-bit CMYK in strips is read as stored and converted through its
// profile (other CMYK layouts by libtiff's formula).
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class TiffDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe
