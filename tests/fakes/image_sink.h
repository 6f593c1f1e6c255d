// A RowSink that keeps the whole image, for tests of decoders.
#pragma once

#include <cstring>

#include "worker/decoders/decoder.h"

namespace thumbpipe::testing {

class ImageSink : public RowSink {
 public:
  Status Begin(Size full, Size rows, uint32_t channels, uint32_t /*block*/) override {
    full_ = full;
    next_row_ = 0;
    if (!image_.TryAllocate(rows.width, rows.height, channels))
      return OutOfMemory(Format::kUnknown, rows);
    return Status::OK();
  }
  void Row(const uint8_t* row) override {
    if (next_row_ < image_.height) std::memcpy(image_.row(next_row_++), row, image_.stride());
  }
  Image& image() { return image_; }
  Size full() const { return full_; }

 private:
  Image image_;
  Size full_;
  uint32_t next_row_ = 0;
};

}  // namespace thumbpipe::testing
