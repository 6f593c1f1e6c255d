// From the bytes of a file to a named thumbnail: sniff, decode with shrink-on-load, shrink to
// the box, turn upright, name. It reads only through Input, so tests and the fuzzer call it on
// bytes in memory. Worker only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/image_format.h"
#include "common/output_format.h"
#include "worker/image.h"
#include "worker/input.h"

namespace thumbpipe {

struct ThumbnailRequest {
  Size box{200, 200};
  // Further boxes, each made from the same decode (at the scale the largest needs) as `box`
  // is: see Thumbnail::more.
  std::vector<Size> more_boxes;
  uint64_t max_pixels = 0;  // 0: no limit
  // The image and its name are made for this format (worker/compositing.h).
  OutputFormat format = OutputFormat::kPng;
  uint32_t background = kWhite;  // under a JPEG's transparency, 0xRRGGBB
};

// The thumbnail of one further box (ThumbnailRequest::more_boxes), as Thumbnail's own fields.
struct BoxThumbnail {
  Image image;
  std::string name;
  std::vector<uint8_t> png;
};

struct Thumbnail {
  enum class Outcome { kThumbnail, kNotImage, kFailed };
  Outcome outcome = Outcome::kFailed;
  Format format = Format::kUnknown;  // as sniffed, whatever the outcome
  Image image;                       // for kThumbnail: the pixels to encode
  std::string name;                  // "<sha256>.<ext>", for kThumbnail
  // The thumbnail's PNG when it was had without encoding (see small_png.h; --format png
  // only); else empty.
  std::vector<uint8_t> png;
  std::string reason;  // for kNotImage and kFailed
  // For kFailed: the failure says nothing lasting about the file (Status::IsTransient): the
  // run's limits (--max-pixels, --max-memory) refused it, it changed while it was read, or its
  // decoder could not be loaded. It is not remembered as the file's; a later run tries again.
  bool transient = false;
  // For kThumbnail: the thumbnails of request.more_boxes, in their order; image, name and
  // png above are the first box's.
  std::vector<BoxThumbnail> more;
};

void MakeThumbnail(Input& input, const ThumbnailRequest& request, Thumbnail* out);
// The same, for a file in memory.
void MakeThumbnail(std::span<const uint8_t> file, const ThumbnailRequest& request, Thumbnail* out);

}  // namespace thumbpipe
