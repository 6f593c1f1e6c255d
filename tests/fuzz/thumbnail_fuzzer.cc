// libFuzzer target for the worker's decode path: any bytes must become a thumbnail, "not an
// image" or a failure with a reason, never a crash, a hang, a leak or a sanitizer report. A
// PNG is also decoded with libpng alone: the fast path must give the same outcome, reason and
// rows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tests/fakes/image_sink.h"
#include "worker/decoders/png/png_decoder.h"
#include "worker/encoders/png_encoder.h"
#include "worker/sniff.h"
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

// The PNG decoder with and without its fast path: the same status and the same rows.
void CheckPngFastPath(const uint8_t* data, size_t size) {
  if (SniffFormat({data, size}) != Format::kPng) return;
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  request.max_pixels = kMaxPixels;
  Status status[2];
  testing::ImageSink sinks[2];
  for (int fast = 0; fast < 2; ++fast) {
    MemoryInput input({data, size});
    PngRoute route;
    status[fast] = DecodePng(input, request, &sinks[fast], fast == 1, &route);
  }
  Check(status[0].ok() == status[1].ok());
  Check(status[0].message() == status[1].message());
  if (status[0].ok()) {
    Check(sinks[0].full() == sinks[1].full());
    Check(sinks[0].image().channels == sinks[1].image().channels);
    Check(sinks[0].image().pixels == sinks[1].image().pixels);
  }
}

}  // namespace
}  // namespace thumbpipe

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using thumbpipe::Thumbnail;
  thumbpipe::ThumbnailRequest request;
  request.box = thumbpipe::kBox;
  request.max_pixels = thumbpipe::kMaxPixels;
  thumbpipe::CheckPngFastPath(data, size);
  Thumbnail thumbnail;
  thumbpipe::MakeThumbnail({data, size}, request, &thumbnail);
  if (thumbnail.outcome == Thumbnail::Outcome::kThumbnail) {
    thumbpipe::CheckThumbnail(thumbnail);
  } else {
    thumbpipe::Check(!thumbnail.reason.empty());
  }
  return 0;
}
