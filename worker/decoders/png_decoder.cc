#include "worker/decoders/png_decoder.h"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

namespace thumbpipe {
namespace {

// libpng pulls bytes in small pieces; they come from the file in chunks of this size.
constexpr size_t kChunkBytes = 64 * 1024;

struct Source {
  Input* input;
  std::vector<uint8_t> chunk;
  size_t offset = 0;  // in chunk
  size_t size = 0;    // of chunk
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
  while (size > 0) {
    if (source->offset == source->size) {
      size_t got = 0;
      if (Status status = source->input->Read(source->chunk.data(), source->chunk.size(), &got);
          !status.ok()) {
        source->error = status.message();
        png_error(png, "read error");
      }
      if (got == 0) {
        source->error = "PNG data ends early (is the file truncated?)";
        png_error(png, "truncated");
      }
      source->offset = 0;
      source->size = got;
    }
    const size_t n = std::min(size, source->size - source->offset);
    std::memcpy(out, source->chunk.data() + source->offset, n);
    source->offset += n;
    out += n;
    size -= n;
  }
}

}  // namespace

Status PngDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  // Everything with a destructor lives outside the setjmp region below.
  Source source{&input, std::vector<uint8_t>(kChunkBytes), 0, 0, {}};
  std::vector<uint8_t> row;
  Image whole;  // interlaced images only: their rows are complete only after the last pass
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
  if (!WithinPixelLimit(full, request.max_pixels)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return TooManyPixels(Format::kPng, full, request.max_pixels);
  }
  png_set_expand(png);    // palette to RGB, grey below 8 bits to 8, tRNS to alpha
  png_set_scale_16(png);  // 16 bits to 8, rounded
  const bool interlaced = png_set_interlace_handling(png) > 1;
  png_read_update_info(png, info);

  const uint32_t channels = png_get_channels(png, info);
  const size_t row_bytes = static_cast<size_t>(full.width) * channels;
  if (png_get_bit_depth(png, info) != 8 || channels < 1 || channels > 4 ||
      png_get_rowbytes(png, info) != row_bytes) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Status::Error("unexpected PNG layout after conversion");
  }
  Status status = sink->Begin(full, full, channels, 1);
  if (status.ok()) {
    try {
      if (interlaced) {
        rows.resize(full.height);
      } else {
        row.resize(row_bytes);
      }
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(Format::kPng, full);
    }
    if (interlaced && status.ok() && !whole.TryAllocate(full.width, full.height, channels)) {
      status = OutOfMemory(Format::kPng, full);
    }
  }
  if (!status.ok()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return status;
  }
  if (interlaced) {
    for (uint32_t y = 0; y < full.height; ++y) rows[y] = whole.row(y);
    png_read_image(png, rows.data());
    for (uint32_t y = 0; y < full.height; ++y) sink->Row(whole.row(y));
  } else {
    // Row by row: memory stays one row, whatever the image's size.
    for (uint32_t y = 0; y < full.height; ++y) {
      png_read_row(png, row.data(), nullptr);
      sink->Row(row.data());
    }
  }
  // Chunks after the image data (and a missing IEND) do not change the pixels: not read.
  png_destroy_read_struct(&png, &info, nullptr);
  return Status::OK();
}

}  // namespace thumbpipe
