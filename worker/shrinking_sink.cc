#include "worker/shrinking_sink.h"

#include <algorithm>
#include <new>

namespace thumbpipe {

Status ShrinkingSink::Begin(Size full, Size rows, uint32_t channels, uint32_t block) {
  began_ = true;
  thumbnail_ = thumbnail_size_(full);
  try {
    transform_ = ColourTransform::ToSrgb(colour_, channels);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(format_);
  }
  if (transform_ == nullptr) return reducer_.Begin(rows, thumbnail_, channels, block, full);

  const Size oversampled{thumbnail_.width * ColourTransform::kOversampling,
                         thumbnail_.height * ColourTransform::kOversampling};
  two_stages_ = rows.width >= oversampled.width && rows.height >= oversampled.height;
  try {
    converted_.resize(size_t{(two_stages_ ? oversampled : rows).width} * channels);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(format_, rows);
  }
  if (!two_stages_) return reducer_.Begin(rows, thumbnail_, channels, block, full);
  // Rows already of the oversampled size (a decoder that shrinks, asked for it) are
  // converted as they come, with no first averaging.
  if (rows == oversampled && block <= 1) {
    if (!oversampled_.TryAllocate(rows.width, rows.height, channels)) {
      return OutOfMemory(format_, rows);
    }
    return Status::OK();
  }
  return reducer_.Begin(rows, oversampled, channels, block, full);
}

void ShrinkingSink::Row(const uint8_t* row) {
  if (!oversampled_.pixels.empty()) {
    if (next_row_ < oversampled_.height) {
      transform_->Convert(row, oversampled_.row(next_row_++), oversampled_.width);
    }
    return;
  }
  if (transform_ == nullptr || two_stages_) return reducer_.PushRow(row);
  transform_->Convert(row, converted_.data(),
                      static_cast<uint32_t>(converted_.size() / transform_->in_channels()));
  reducer_.PushRow(converted_.data());
}

Status ShrinkingSink::Finish(Image* out) {
  if (!began_) return Status::Error("the decoder delivered no image");
  if (!two_stages_) return reducer_.Finish(out);
  if (oversampled_.pixels.empty()) {
    if (Status status = reducer_.Finish(&oversampled_); !status.ok()) return status;
    for (uint32_t y = 0; y < oversampled_.height; ++y) {
      uint8_t* row = oversampled_.row(y);
      transform_->Convert(row, converted_.data(), oversampled_.width);
      std::copy(converted_.begin(), converted_.end(), row);
    }
  } else if (next_row_ != oversampled_.height) {
    return Status::Error("the decoder delivered too few rows");
  }
  return ReduceImage(oversampled_, thumbnail_, out);
}

}  // namespace thumbpipe
