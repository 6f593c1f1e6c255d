// PNG through libpng directly: every bit depth, colour type and interlacing; palettes and tRNS
// become alpha, 16-bit samples are scaled to 8 (rounded), grey stays grey. The header's size is
// checked against the pixel limit before any pixel memory is allocated. The file is read as a
// stream, and non-interlaced images are delivered as they are decoded, so memory stays a row
// and a chunk of the file; interlaced images need the whole image.
//
// libpng reads the header and every chunk before the image data. For a non-interlaced image
// the image data then takes a fast path of the project's own (idat_decoder.h: ISA-L's inflate,
// unfiltering and expanding rows itself, at about half of libpng's CPU time) which gives the
// same rows libpng would; whatever it does not take, damage included, libpng decodes from the
// start of the file, and its verdict and reason stand.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class PngDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

// Which way a PNG was decoded.
enum class PngRoute {
  kLibpng,      // libpng alone: interlaced, not allowed the fast path, or failed before it
  kFast,        // the fast path
  kFastGaveUp,  // the fast path gave up after reading image data; libpng decoded it again
};

// PngDecoder::Decode, saying in *route which way it went; with `allow_fast` false, libpng alone
// decodes everything (the reference that tests hold the fast path to).
Status DecodePng(Input& input, const DecodeRequest& request, RowSink* sink, bool allow_fast,
                 PngRoute* route);

}  // namespace thumbpipe
