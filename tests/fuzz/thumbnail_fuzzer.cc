// libFuzzer target for the worker's decode path: any bytes must become a thumbnail, "not an
// image" or a failure with a reason, never a crash, a hang, a leak or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "worker/encoders/png_encoder.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

// Well below the default so that images which honestly claim to be huge are refused before
// they allocate, and the fuzzer's memory limit catches only real excess.
constexpr uint64_t kMaxPixels = 20'000'000;
constexpr Size kBox{200, 200};

// A thumbnail that breaks the contract is as much a bug as a crash; abort so libFuzzer keeps
// the input.
void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckThumbnail(const Thumbnail& thumbnail) {
  const Image& image = thumbnail.image;
  Check(image.width >= 1 && image.height >= 1);
  Check(image.width <= kBox.width && image.height <= kBox.height);
  Check(image.channels >= 1 && image.channels <= 4);
  Check(image.pixels.size() == image.stride() * image.height);
  Check(thumbnail.name.size() == 64 + 4);
  std::vector<uint8_t> png;
  Check(EncodePng(image, 1, &png).ok());
  Check(!png.empty());
}

}  // namespace
}  // namespace thumbpipe

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using thumbpipe::Thumbnail;
  thumbpipe::ThumbnailRequest request;
  request.box = thumbpipe::kBox;
  request.max_pixels = thumbpipe::kMaxPixels;
  Thumbnail thumbnail;
  thumbpipe::MakeThumbnail({data, size}, request, &thumbnail);
  if (thumbnail.outcome == Thumbnail::Outcome::kThumbnail) {
    thumbpipe::CheckThumbnail(thumbnail);
  } else {
    thumbpipe::Check(!thumbnail.reason.empty());
  }
  return 0;
}
