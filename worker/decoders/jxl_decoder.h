// JPEG XL through libjxl (0.7): the first frame as shown (an animation's first frame, layers
// composed), upright. libjxl turns and mirrors the rows by the orientation in the codestream
// header (cjxl puts a JPEG's EXIF orientation there), so the caller must not apply EXIF
// orientation on top: the file's Exif box is not read. Rows are 8-bit grey, grey+alpha, RGB or
// RGBA as the image has them, alpha not premultiplied. Lossy (XYB) images are rendered to
// sRGB by libjxl; any other image comes in its own colours, and when those are not sRGB its
// ICC profile goes to RowSink::SetColour. --max-pixels applies to the image's size in the
// header, before any pixel memory is allocated. libjxl's complaints on stderr are held back
// (StderrCapture); failures are reasons of decoder.h.
//
// No shrinking while decoding: libjxl 0.7 has no reduced-resolution decode of a frame. Its DC
// (1/8) output buffer is a stub that writes nothing, and stopping at the DC progression step
// (JxlDecoderFlushImage) still renders the whole frame, upsampled: on a 5400x3600 lossy file
// that took 0.65 s instead of 0.80 s, and its thumbnail was 44 dB from the exact one (33 dB for
// a 1800x1200 photo), so it is not worth giving up exact thumbnails for.
//
// The file is read whole and the decoded image held whole, besides libjxl's own buffers: at
// peak about 130 MB for a 5400x3600 photo, 860 MB for 15000x10000. When --max-memory leaves
// room for the image but not for libjxl's buffers, libjxl stops the process (SIGILL, seen with
// 600M-800M for the latter): the launcher counts the file as failed with that signal. No
// parallel runner is set, so libjxl works on the calling thread only. Every libjxl error
// becomes a Status. Built into the plug-in thumbpipe-jxl.so, which a worker loads only when it
// meets such a file (plugin_decoder.h). The only file that includes jxl/decode.h. Worker only.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

// Named so as not to clash with libjxl's own JxlDecoder.
class JpegXlDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe

// The plug-in and its entry point: the decoder, which lives as long as the process.
#define THUMBPIPE_JXL_PLUGIN "thumbpipe-jxl.so"
extern "C" const thumbpipe::Decoder* thumbpipe_jxl_decoder();
