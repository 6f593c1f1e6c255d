// GIF through giflib: the first frame (the first image descriptor), composed onto the logical
// screen as a viewer shows frame one. A frame smaller than the screen sits at its offset with
// the rest transparent; one that reaches past the screen enlarges it (as browsers and Pillow
// do). The Graphic Control Extension's transparent colour index gives alpha. Rows come out as
// RGBA when the frame has a transparent colour or leaves part of the screen uncovered, RGB
// otherwise. --max-pixels applies to the screen before anything is allocated. The file is
// read whole and the screen held whole. The only file that includes gif_lib.h. Worker only.
#pragma once

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class GifDecoder : public Decoder {
 public:
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;
};

}  // namespace thumbpipe
