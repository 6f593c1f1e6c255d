// Decoding through ImageMagick, for the long tail of formats: TGA, ICO/CUR, PSD (the composite
// image), PCX, SGI, XPM and XBM. ImageMagick lives in the plug-in thumbpipe-magick.so (see
// magick_plugin.h: why this library, and how it is confined), loaded next to the running
// program the first time such a file comes, so a worker that meets none never loads it. The
// coder is named from the sniffed format, never guessed by ImageMagick. The file is read whole
// and the image held whole (no shrinking while decoding: none of these formats allows it).
// Worker only.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class MagickDecoder : public Decoder {
 public:
  // `format` is one of the formats above; its coder is chosen from it (and, for ICO/CUR and
  // PSD/PSB, from the file's header).
  explicit MagickDecoder(Format format) : format_(format) {}
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;

 private:
  Format format_;
};

}  // namespace thumbpipe
