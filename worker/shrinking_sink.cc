#include "worker/shrinking_sink.h"

#include <algorithm>
#include <new>

namespace thumbpipe {

ShrinkingSink::ShrinkingSink(Format format, std::function<Size(Size)> thumbnail_size)
    : format_(format), thumbnail_sizes_([size = std::move(thumbnail_size)](Size full) {
        return std::vector<Size>{size(full)};
      }) {}

ShrinkingSink::ShrinkingSink(Format format, std::function<std::vector<Size>(Size)> thumbnail_sizes)
    : format_(format), thumbnail_sizes_(std::move(thumbnail_sizes)) {}

Status ShrinkingSink::Begin(Size full, Size rows, uint32_t channels, uint32_t block) {
  began_ = true;
  const std::vector<Size> sizes = thumbnail_sizes_(full);
  lanes_.clear();
  lane_of_.clear();
  try {
    lanes_.reserve(sizes.size());
    for (const Size& size : sizes) {
      const auto same = std::find_if(lanes_.begin(), lanes_.end(),
                                     [&size](const Lane& lane) { return lane.thumbnail == size; });
      lane_of_.push_back(static_cast<size_t>(same - lanes_.begin()));
      if (same == lanes_.end()) lanes_.emplace_back().thumbnail = size;
    }
    transform_ = ColourTransform::ToSrgb(colour_, channels);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(format_);
  }
  if (transform_ != nullptr) {
    try {
      converted_.resize(size_t{rows.width} * channels);
    } catch (const std::bad_alloc&) {
      return OutOfMemory(format_, rows);
    }
  }
  for (Lane& lane : lanes_) {
    if (Status status = BeginLane(&lane, full, rows, channels, block); !status.ok()) return status;
  }
  return Status::OK();
}

Status ShrinkingSink::BeginLane(Lane* lane, Size full, Size rows, uint32_t channels,
                                uint32_t block) {
  if (transform_ == nullptr)
    return lane->reducer.Begin(rows, lane->thumbnail, channels, block, full);
  const Size oversampled{lane->thumbnail.width * ColourTransform::kOversampling,
                         lane->thumbnail.height * ColourTransform::kOversampling};
  lane->two_stages = rows.width >= oversampled.width && rows.height >= oversampled.height;
  if (!lane->two_stages) return lane->reducer.Begin(rows, lane->thumbnail, channels, block, full);
  // Rows already of the oversampled size (a decoder that shrinks, asked for it) are
  // converted as they come, with no first averaging.
  if (rows == oversampled && block <= 1) {
    if (!lane->oversampled.TryAllocate(rows.width, rows.height, channels)) {
      return OutOfMemory(format_, rows);
    }
    return Status::OK();
  }
  return lane->reducer.Begin(rows, oversampled, channels, block, full);
}

void ShrinkingSink::Row(const uint8_t* row) {
  bool converted = false;  // converted_ holds this row
  for (Lane& lane : lanes_) {
    if (!lane.oversampled.pixels.empty()) {
      if (lane.next_row < lane.oversampled.height) {
        transform_->Convert(row, lane.oversampled.row(lane.next_row++), lane.oversampled.width);
      }
    } else if (transform_ == nullptr || lane.two_stages) {
      lane.reducer.PushRow(row);
    } else {
      if (!converted) {
        transform_->Convert(row, converted_.data(),
                            static_cast<uint32_t>(converted_.size() / transform_->in_channels()));
        converted = true;
      }
      lane.reducer.PushRow(converted_.data());
    }
  }
}

Status ShrinkingSink::FinishLane(Lane* lane, Image* out) {
  if (!lane->two_stages) return lane->reducer.Finish(out);
  Image& oversampled = lane->oversampled;
  if (oversampled.pixels.empty()) {
    if (Status status = lane->reducer.Finish(&oversampled); !status.ok()) return status;
    for (uint32_t y = 0; y < oversampled.height; ++y) {
      uint8_t* row = oversampled.row(y);
      transform_->Convert(row, converted_.data(), oversampled.width);
      std::copy_n(converted_.begin(), size_t{oversampled.width} * oversampled.channels, row);
    }
  } else if (lane->next_row != oversampled.height) {
    return Status::Error("the decoder delivered too few rows");
  }
  return ReduceImage(oversampled, lane->thumbnail, out);
}

Status ShrinkingSink::Finish(std::vector<Image>* out) {
  if (!began_) return Status::Error("the decoder delivered no image");
  std::vector<Image> made(lanes_.size());
  for (size_t i = 0; i < lanes_.size(); ++i) {
    if (Status status = FinishLane(&lanes_[i], &made[i]); !status.ok()) return status;
  }
  out->clear();
  for (size_t i = 0; i < lane_of_.size(); ++i) {
    const bool last_use = std::find(lane_of_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                    lane_of_.end(), lane_of_[i]) == lane_of_.end();
    if (last_use) {
      out->push_back(std::move(made[lane_of_[i]]));
    } else {
      out->push_back(made[lane_of_[i]]);
    }
  }
  return Status::OK();
}

Status ShrinkingSink::Finish(Image* out) {
  std::vector<Image> images;
  if (Status status = Finish(&images); !status.ok()) return status;
  *out = std::move(images.front());
  return Status::OK();
}

}  // namespace thumbpipe
