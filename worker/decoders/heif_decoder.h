// HEIF/HEIC and AVIF through libheif: the primary image, upright. libheif applies the file's
// own rotation, mirroring and crop (irot/imir/clap), so rows come out as the image is shown and
// the caller must not apply EXIF orientation on top (the HEIF specification says to ignore it).
// When the file holds a thumbnail item at least as large as the request needs, that is decoded
// instead of the primary image (--verbose says which). --max-pixels applies to the primary
// image's size before anything is decoded. Rows are 8-bit RGB, or RGBA when the image has
// alpha. The file is read whole and the decoded image held whole; libheif decodes a tiled
// image's tiles on the calling thread (its codecs may still start threads of their own).
// Every libheif error becomes a Status. Built into the plug-in thumbpipe-heif.so, which a worker
// loads only when it meets such a file (plugin_decoder.h). The only file that includes
// libheif/heif.h. Worker only.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class HeifDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe

// The plug-in and its entry point: the decoder, which lives as long as the process.
#define THUMBPIPE_HEIF_PLUGIN "thumbpipe-heif.so"
extern "C" const thumbpipe::Decoder* thumbpipe_heif_decoder();
