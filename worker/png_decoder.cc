#include "worker/png_decoder.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

namespace thumbpipe {
namespace {

struct Source {
  std::span<const uint8_t> data;
  size_t offset = 0;
  std::string error;
};

[[noreturn]] void OnError(png_structp png, png_const_charp message) {
  auto* source = static_cast<Source*>(png_get_error_ptr(png));
  if (source->error.empty()) source->error = message;
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}

void Read(png_structp png, png_bytep out, size_t size) {
  auto* source = static_cast<Source*>(png_get_io_ptr(png));
  if (source->data.size() - source->offset < size) {
    source->error = "PNG data ends early (is the file truncated?)";
    png_error(png, "truncated");
  }
  std::memcpy(out, source->data.data() + source->offset, size);
  source->offset += size;
}

}  // namespace

Status PngDecoder::Decode(std::span<const uint8_t> file, const DecodeRequest& request,
                          Decoded* decoded) const {
  Source source{file, 0, {}};
  std::vector<png_bytep> rows;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, OnError, OnWarning);
  if (png == nullptr) return Status::Error("out of memory");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return Status::Error("out of memory");
  }
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Error(source.error);
  }
  png_set_read_fn(png, &source, Read);
  // Only the pixels are wanted (EXIF is read elsewhere), so every ancillary chunk but tRNS is
  // skipped unread. libpng would otherwise allocate a text, eXIf or sPLT chunk's claimed
  // length (up to 2 GiB, even past its own limit) before finding the file is far shorter.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  png_read_info(png, info);

  const Size full{png_get_image_width(png, info), png_get_image_height(png, info)};
  decoded->full_size = full;
  if (request.max_pixels != 0 &&
      static_cast<uint64_t>(full.width) * full.height > request.max_pixels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return TooManyPixels(full, request.max_pixels);
  }
  png_set_expand(png);    // palette to RGB, grey below 8 bits to 8, tRNS to alpha
  png_set_scale_16(png);  // 16 bits to 8, rounded
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  const uint32_t channels = png_get_channels(png, info);
  if (png_get_bit_depth(png, info) != 8 || channels < 1 || channels > 4 ||
      png_get_rowbytes(png, info) != static_cast<size_t>(full.width) * channels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Error("unexpected PNG layout after conversion");
  }
  Image& image = decoded->image;
  if (!image.TryAllocate(full.width, full.height, channels)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return OutOfMemory(full);
  }
  try {
    rows.resize(full.height);
  } catch (const std::bad_alloc&) {
    png_destroy_read_struct(&png, &info, nullptr);
    return OutOfMemory(full);
  }
  for (uint32_t y = 0; y < full.height; ++y) rows[y] = image.row(y);
  png_read_image(png, rows.data());
  // Chunks after the image data (and a missing IEND) do not change the pixels: not read.
  png_destroy_read_struct(&png, &info, nullptr);
  return Status::OK();
}

}  // namespace thumbpipe
