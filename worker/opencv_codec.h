// The OpenCV adapter: decoding of the formats without a direct decoder (PNG, WebP, TIFF, BMP,
// PNM) and area resizing. The only files that include OpenCV are opencv_codec.cc and tests.
#pragma once

#include "worker/codec.h"

namespace thumbpipe {

class OpenCvDecoder : public Decoder {
 public:
  explicit OpenCvDecoder(Format format) : format_(format) {}
  Status Decode(std::span<const uint8_t> file, const DecodeRequest& request,
                Decoded* decoded) const override;

 private:
  Format format_;
};

// Shrinks `image` to `size` by area averaging (INTER_AREA). Colour is averaged weighted by
// alpha, so fully transparent pixels do not bleed into their neighbours; `image` is
// premultiplied in place for that (it is scratch afterwards).
Status ResizeArea(Image* image, Size size, Image* out);

}  // namespace thumbpipe
