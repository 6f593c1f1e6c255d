#include "worker/thumbnailer.h"

#include <algorithm>
#include <new>

#include <fmt/format.h>

#include "worker/compositing.h"
#include "worker/decoders/decoder.h"
#include "worker/decoders/png/small_png.h"
#include "worker/exif.h"
#include "worker/geometry.h"
#include "worker/shrinking_sink.h"
#include "worker/sniff.h"
#include "worker/thumbnail_name.h"

namespace thumbpipe {
namespace {

// A decode failure's reason names the format: decoders' own reasons do (see decoder.h); what
// reached them from elsewhere (reading the file, shrinking) gets the name in front.
std::string NamingTheFormat(Format format, const std::string& message) {
  const std::string_view name = FormatName(format);
  if (message.size() > name.size() && message.starts_with(name) && message[name.size()] == ' ')
    return message;
  return fmt::format("{}: {}", name, message);
}

void Fail(Thumbnail* out, std::string reason) {
  out->outcome = Thumbnail::Outcome::kFailed;
  out->reason = std::move(reason);
}

void Fail(Thumbnail* out, Format format, const Status& status) {
  Fail(out, NamingTheFormat(format, status.message()));
  out->transient = status.IsTransient();
}

// Decoders report their own allocation failures; std::bad_alloc from anywhere else ends up
// in MakeThumbnail below.
void MakeThumbnailOrThrow(Input& input, const ThumbnailRequest& request, Thumbnail* out) {
  const std::span<const uint8_t> head = input.Head();
  const Format format = SniffFormat(head);
  out->format = format;
  if (format == Format::kUnknown) {
    out->outcome = Thumbnail::Outcome::kNotImage;
    out->reason = head.empty() ? "empty file" : "not an image";
    return;
  }
  const Decoder* decoder = DecoderFor(format);
  if (decoder == nullptr) {
    return Fail(out, fmt::format("{} images are not supported", FormatName(format)));
  }
  // EXIF sits near the start of JPEG and PNG files; WebP and TIFF keep it anywhere, but are
  // read whole anyway.
  std::span<const uint8_t> exif_source = head;
  if (format == Format::kWebp || format == Format::kTiff) {
    if (Status status = input.Whole(&exif_source); !status.ok()) return Fail(out, format, status);
  }
  // HEIF's rotation and mirroring live in the file's irot/imir, which its decoder applies; its
  // EXIF orientation is to be ignored (ISO/IEC 23008-12), or the image would turn twice. JPEG
  // XL's orientation is in its codestream header, which libjxl applies; an Exif box that cjxl
  // kept from a JPEG still says what was moved there.
  const bool turned_by_decoder = format == Format::kHeif || format == Format::kJpegXl;
  const int orientation = turned_by_decoder ? 1 : ReadOrientation(exif_source, format);
  // The boxes apply to the upright image; decoders work in stored orientation.
  std::vector<Size> boxes = {request.box};
  boxes.insert(boxes.end(), request.more_boxes.begin(), request.more_boxes.end());
  const auto thumbnail_sizes = [&](Size full) {
    std::vector<Size> sizes;
    for (const Size& box : boxes) {
      sizes.push_back(Oriented(FitInBox(Oriented(full, orientation), box), orientation));
    }
    return sizes;
  };
  // A small upright PNG is its own thumbnail, decoded here without libpng and not encoded
  // again: with several boxes, when it is within every one of them.
  Size within_every_box = request.box;
  for (const Size& box : request.more_boxes) {
    within_every_box = {std::min(within_every_box.width, box.width),
                        std::min(within_every_box.height, box.height)};
  }
  if (request.format == OutputFormat::kPng && format == Format::kPng && orientation == 1 &&
      input.HeadIsWhole() &&
      DecodeSmallPng(head, within_every_box, request.max_pixels, &out->image, &out->png)) {
    out->name = ThumbnailName(out->image);
    for (size_t i = 0; i < request.more_boxes.size(); ++i) {
      out->more.push_back({out->image, out->name, out->png});
    }
    out->outcome = Thumbnail::Outcome::kThumbnail;
    return;
  }
  // One decode, at the scale the largest thumbnail needs: every other is averaged from the
  // same rows.
  DecodeRequest decode_request;
  decode_request.needed_size = [&](Size full) {
    Size needed;
    for (const Size& size : thumbnail_sizes(full)) {
      needed = {std::max(needed.width, size.width), std::max(needed.height, size.height)};
    }
    return needed;
  };
  decode_request.max_pixels = request.max_pixels;
  ShrinkingSink sink(format, std::function<std::vector<Size>(Size)>(thumbnail_sizes));
  std::vector<Image> shrunk;
  Status status = decoder->Decode(input, decode_request, &sink);
  if (status.ok()) status = sink.Finish(&shrunk);
  if (!status.ok()) return Fail(out, format, status);
  const auto finish = [&](Image image, Image* upright, std::string* name) {
    *upright = PrepareForFormat(ApplyOrientation(std::move(image), orientation), request.format,
                                request.background);
    *name = ThumbnailName(*upright, request.format);
  };
  finish(std::move(shrunk[0]), &out->image, &out->name);
  out->more.resize(request.more_boxes.size());
  for (size_t i = 0; i < out->more.size(); ++i) {
    finish(std::move(shrunk[i + 1]), &out->more[i].image, &out->more[i].name);
  }
  out->outcome = Thumbnail::Outcome::kThumbnail;
}

}  // namespace

void MakeThumbnail(std::span<const uint8_t> file, const ThumbnailRequest& request, Thumbnail* out) {
  MemoryInput input(file);
  MakeThumbnail(input, request, out);
}

void MakeThumbnail(Input& input, const ThumbnailRequest& request, Thumbnail* out) {
  try {
    MakeThumbnailOrThrow(input, request, out);
  } catch (const std::bad_alloc&) {
    const Format format = out->format;
    *out = Thumbnail();
    out->format = format;
    Fail(out, format, OutOfMemory(format));
  }
}

}  // namespace thumbpipe
