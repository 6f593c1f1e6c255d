// The RowSink behind every decode: converts the decoder's rows to sRGB when the file
// describes other colours (worker/colour/colour_transform.h), and shrinks them to the
// thumbnail's size by exact area averaging as they come (worker/area_reducer.h).
//
// Rows that need no conversion go straight to one AreaReducer. Rows to convert are converted
// before they are averaged, since colours are defined pixel by pixel; but when the rows are
// at least ColourTransform::kOversampling times the thumbnail's size on both sides, they are first
// averaged to exactly that multiple of it, converted there, and averaged the rest of the way
// in whole blocks of that many pixels a side. The two averages compose to
// the one area average (the first stage's grid is the thumbnail's, divided evenly), so the
// only difference from converting every pixel is where colours change sharply within one
// sixteenth of a thumbnail pixel; and the conversion costs the same for a 100-megapixel image
// as for a 1-megapixel one. Worker only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/image_format.h"
#include "common/status.h"
#include "worker/area_reducer.h"
#include "worker/colour/colour_transform.h"
#include "worker/decoders/decoder.h"

namespace thumbpipe {

class ShrinkingSink : public RowSink {
 public:
  // `thumbnail_size` gives the thumbnail's size for the image's full size; `format` is named
  // in errors.
  ShrinkingSink(Format format, std::function<Size(Size)> thumbnail_size);
  // Several thumbnails of the same rows (several boxes from one decode): `thumbnail_sizes`
  // gives each one's size. Each is averaged from the rows by itself, exactly as if it were
  // the only one, so the rows of one decode serve every size. Equal sizes are made once.
  ShrinkingSink(Format format, std::function<std::vector<Size>(Size)> thumbnail_sizes);

  void SetColour(ColourSource source) override { colour_ = std::move(source); }
  Status Begin(Size full, Size rows, uint32_t channels, uint32_t block) override;
  void Row(const uint8_t* row) override;
  // After the decoder returned: the (first) thumbnail.
  Status Finish(Image* out);
  // After the decoder returned: every thumbnail, in the order of the sizes.
  Status Finish(std::vector<Image>* out);

 private:
  // One thumbnail size and how it is made from the rows.
  struct Lane {
    Size thumbnail;
    bool two_stages = false;  // reducer gives the oversampled image; convert, then shrink it
    // Two stages: the image at the oversampled size, converted; filled row by row when the
    // decoder delivers that size, else by reducer.
    Image oversampled;
    uint32_t next_row = 0;
    AreaReducer reducer;
  };
  Status BeginLane(Lane* lane, Size full, Size rows, uint32_t channels, uint32_t block);
  Status FinishLane(Lane* lane, Image* out);

  Format format_;
  std::function<std::vector<Size>(Size)> thumbnail_sizes_;
  ColourSource colour_;
  std::shared_ptr<const ColourTransform> transform_;  // null: no conversion
  std::vector<uint8_t> converted_;                    // one converted row
  std::vector<Lane> lanes_;                           // one for each distinct size
  std::vector<size_t> lane_of_;                       // for each size, its lane
  bool began_ = false;
};

}  // namespace thumbpipe
