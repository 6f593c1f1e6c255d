// Decoding through OpenCV's image codecs, for the formats without a direct decoder. OpenCV
// lives in the plug-in thumbpipe-opencv.so (see opencv_plugin.h), loaded next to the running
// program on first use.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class OpenCvDecoder : public Decoder {
 public:
  // `format`: what the files it is given were sniffed as, for its failure reasons.
  explicit OpenCvDecoder(Format format) : format_(format) {}
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;

 private:
  Format format_;
};

}  // namespace thumbpipe
