// Exact area averaging, fed one source row at a time: the streaming shrink behind every
// decoder. Memory is one row of accumulators of the source's width (of the output's width for
// rows of more than 4M samples), whatever the source's height.
//
// Each output pixel is the average of the source area it covers, partial pixels weighted by
// the part covered, computed in integers (source and output coordinates scaled to a common
// unit) and rounded half up. With alpha, colour is averaged weighted by alpha, so transparent
// pixels do not bleed into their neighbours. The rows of one output row are summed down their
// columns first (one multiply-add a sample, in order), and across only once per output row;
// the sums are whole numbers, so the order does not change them. Worker only.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "worker/image.h"

namespace thumbpipe {

class AreaReducer {
 public:
  // Shrinks `from` to `to` (no side may grow; equal sizes copy) with `channels` 1..4 (2 and 4
  // carry alpha). With `block` > 1, each source pixel stands for block x block pixels of an
  // image of size `full`, the last column and row for only what remains of it, as a JPEG
  // decoded at 1/block delivers them: the output then averages the areas of `full` it covers.
  // On failure (a side would grow, sizes that do not fit, no memory) the status says why.
  Status Begin(Size from, Size to, uint32_t channels, uint32_t block = 1, Size full = {});

  // Takes the next source row (from.width * channels bytes).
  void PushRow(const uint8_t* row);

  // After from.height rows: the result.
  Status Finish(Image* out);

 private:
  void ReduceRow(const uint8_t* row);
  void AddToColumns(const uint8_t* row, uint32_t weight);
  void ReduceColumns();
  template <typename Sum>
  void SumColumns(const Sum* columns);
  template <uint32_t kChannels, typename Sum>
  void SumColumnsOf(const Sum* columns);
  void EmitRow();
  template <uint32_t kChannels>
  void EmitRowOf();

  // Where source pixel i begins along x (or y), in units of 1/to.width (1/to.height) of a pixel
  // of the full image.
  uint64_t SourceEdgeX(uint32_t i) const;
  uint64_t SourceEdgeY(uint32_t i) const;

  Size from_, to_, full_;
  uint32_t block_ = 1;
  uint32_t channels_ = 0;
  bool alpha_ = false;
  // Horizontal: for output column x, the source columns [first_[x], first_[x] + count_[x])
  // with weights weight_[offset_[x] + k]; all in units of 1/to.width of a source pixel.
  std::vector<uint32_t> first_, count_, offset_;
  std::vector<uint32_t> weight_;
  // Columns first: the rows of the output row being built, summed down each source column.
  // They are 32 bits wide when no sum can outgrow that (images up to 66,051 rows with alpha,
  // 16,843,009 without), else 64.
  bool columns_ = false;
  std::vector<uint32_t> column_narrow_;
  std::vector<uint64_t> column_wide_;
  std::vector<uint64_t> row_sum_;  // else: one source row reduced horizontally
  std::vector<uint64_t> acc_;      // the output row being built
  uint32_t source_y_ = 0;
  uint32_t out_y_ = 0;
  Image out_;
};

// Shrinks a whole image; the non-streaming form of AreaReducer.
Status ReduceImage(const Image& image, Size to, Image* out);

}  // namespace thumbpipe
