#include "worker/shrinking_sink.h"

#include <new>

namespace thumbpipe {

Status ShrinkingSink::Begin(Size full, Size rows, uint32_t channels, uint32_t block) {
  began_ = true;
  thumbnail_ = thumbnail_size_(full);
  transform_ = ColourTransform::ToSrgb(colour_, channels);
  if (transform_ == nullptr) return reducer_.Begin(rows, thumbnail_, channels, block, full);

  const Size oversampled{thumbnail_.width * ColourTransform::kOversampling,
                         thumbnail_.height * ColourTransform::kOversampling};
  two_stages_ = rows.width >= oversampled.width && rows.height >= oversampled.height;
  if (two_stages_) return reducer_.Begin(rows, oversampled, channels, block, full);
  try {
    converted_.resize(size_t{rows.width} * channels);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(format_, rows);
  }
  return reducer_.Begin(rows, thumbnail_, channels, block, full);
}

void ShrinkingSink::Row(const uint8_t* row) {
  if (transform_ == nullptr || two_stages_) return reducer_.PushRow(row);
  transform_->Convert(row, converted_.data(),
                      static_cast<uint32_t>(converted_.size() / transform_->in_channels()));
  reducer_.PushRow(converted_.data());
}

Status ShrinkingSink::Finish(Image* out) {
  if (!began_) return Status::Error("the decoder delivered no image");
  if (!two_stages_) return reducer_.Finish(out);
  Image oversampled, converted;
  if (Status status = reducer_.Finish(&oversampled); !status.ok()) return status;
  if (!converted.TryAllocate(oversampled.width, oversampled.height, oversampled.channels)) {
    return OutOfMemory(format_, oversampled.size());
  }
  for (uint32_t y = 0; y < oversampled.height; ++y) {
    transform_->Convert(oversampled.row(y), converted.row(y), oversampled.width);
  }
  return ReduceImage(converted, thumbnail_, out);
}

}  // namespace thumbpipe
