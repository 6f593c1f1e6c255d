#include "worker/thumbnailer.h"

#include <fmt/format.h>

#include "worker/codec.h"
#include "worker/exif.h"
#include "worker/geometry.h"
#include "worker/opencv_codec.h"
#include "worker/sniff.h"
#include "worker/thumbnail_name.h"

namespace thumbpipe {
namespace {

void Fail(Thumbnail* out, std::string reason) {
  out->outcome = Thumbnail::Outcome::kFailed;
  out->reason = std::move(reason);
}

// Decoders report their own allocation failures; std::bad_alloc from anywhere else ends up
// in MakeThumbnail below.
void MakeThumbnailOrThrow(std::span<const uint8_t> file, const ThumbnailRequest& request,
                          Thumbnail* out) {
  const Format format = SniffFormat(file);
  if (format == Format::kUnknown) {
    out->outcome = Thumbnail::Outcome::kNotImage;
    out->reason = file.empty() ? "empty file" : "not an image";
    return;
  }
  if (!FormatIsDecodable(format)) {
    return Fail(out, fmt::format("{} images are not supported", FormatName(format)));
  }
  const int orientation = ReadOrientation(file, format);
  // The box applies to the upright image; decoders work in stored orientation.
  const auto thumbnail_size = [&](Size full) {
    return Oriented(FitInBox(Oriented(full, orientation), request.box), orientation);
  };
  DecodeRequest decode_request;
  decode_request.needed_size = thumbnail_size;
  decode_request.max_pixels = request.max_pixels;
  Decoded decoded;
  if (Status status = DecoderFor(format)->Decode(file, decode_request, &decoded); !status.ok()) {
    return Fail(out, fmt::format("decode {}: {}", FormatName(format), status.message()));
  }
  const Size target = thumbnail_size(decoded.full_size);
  Image shrunk;
  if (decoded.image.size() == target) {
    shrunk = std::move(decoded.image);
  } else if (Status status = ResizeArea(&decoded.image, target, &shrunk); !status.ok()) {
    return Fail(out, status.message());
  }
  out->image = ApplyOrientation(std::move(shrunk), orientation);
  out->name = ThumbnailName(out->image);
  out->outcome = Thumbnail::Outcome::kThumbnail;
}

}  // namespace

void MakeThumbnail(std::span<const uint8_t> file, const ThumbnailRequest& request, Thumbnail* out) {
  try {
    MakeThumbnailOrThrow(file, request, out);
  } catch (const std::bad_alloc&) {
    *out = Thumbnail();
    Fail(out, "out of memory (--max-memory)");
  }
}

}  // namespace thumbpipe
