// JPEG 2000 through OpenJPEG: JP2 files (the 'jP  ' signature box) and raw J2K codestreams
// (FF 4F FF 51). The image is decoded at a lower resolution level when the thumbnail allows
// (opj_set_decoded_resolution_factor: each level halves both sides, rounding up), so the
// higher levels' code-blocks are never decoded: the smallest level that is still twice the
// needed size on each side. A level is a wavelet low band, not a block average, and its
// aliasing shows: thumbnails made from the smallest level that merely covers the need were
// 23-25 dB (PSNR) from exact area averages of the whole image on photos (1800x1200 and
// 5400x3600 into 200x133), from one level larger 31 dB, for a quarter of the smaller level's
// pixels still (5400x3600, by opj_decompress on one thread: 0.09 s instead of 0.04 s; the
// whole image takes 1.96 s). The rows
// are handed over as a smaller image (block 1) that the caller shrinks further. A palette
// image is decoded whole (its levels would average indexes); a file whose tiles have fewer
// levels than its main header says is decoded again at full size.
//
// Rows are 8-bit grey, grey+alpha, RGB or RGBA: samples of any precision (1 to 31 bits,
// signed or not) are scaled to 8 bits; alpha is the component the JP2 channel definitions name
// so, or else a second (grey) or fourth (RGB) component. sYCC images (as a JP2 says, or a
// codestream whose second and third components are subsampled) are converted to RGB, the
// subsampled components stretched over the image. CMYK, e-sYCC and CIELab images are refused.
// An embedded ICC profile goes to RowSink::SetColour.
//
// --max-pixels applies to the size in the header before anything is decoded. The file is read
// whole and OpenJPEG holds the decoded components (4 bytes a sample at the decoded
// resolution); rows are converted one at a time. OpenJPEG runs without a thread pool
// (opj_codec_set_threads 0: one pool thread would only be waited on), whatever OPJ_NUM_THREADS
// says, and in strict mode, so that a truncated file fails instead of coming out grey.
// A failure becomes a reason of decoder.h: truncated (by a check of the file's lengths),
// out of memory (when OpenJPEG says an allocation failed), a damaged header, or damaged or
// unsupported data; OpenJPEG's own words are not shown. The only file that includes
// openjpeg.h. Worker only.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class Jp2Decoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe
