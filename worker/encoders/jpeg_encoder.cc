#include "worker/encoders/jpeg_encoder.h"

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
// After jpeglib.h, which it needs.
#include <jerror.h>

#include <array>
#include <csetjmp>
#include <new>
#include <string>

namespace thumbpipe {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  std::string message;
};

[[noreturn]] void OnError(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  char text[JMSG_LENGTH_MAX];
  (*info->err->format_message)(info, text);
  errors->message = text;
  std::longjmp(errors->jump, 1);
}

void OnMessage(j_common_ptr, int) {}

// Appends the compressed data to a vector, a chunk at a time. (libjpeg's memory destination
// frees its first buffer when it grows, so after an error its caller cannot tell what to free.)
struct Destination {
  jpeg_destination_mgr base;
  std::vector<uint8_t>* out;
  std::array<JOCTET, 16384> chunk;
};

Destination* DestinationOf(j_compress_ptr info) {
  return reinterpret_cast<Destination*>(info->dest);
}

void StartChunk(j_compress_ptr info) {
  Destination* dest = DestinationOf(info);
  dest->base.next_output_byte = dest->chunk.data();
  dest->base.free_in_buffer = dest->chunk.size();
}

void Append(j_compress_ptr info, size_t size) {
  Destination* dest = DestinationOf(info);
  try {
    dest->out->insert(dest->out->end(), dest->chunk.data(), dest->chunk.data() + size);
  } catch (const std::bad_alloc&) {
    ERREXIT(info, JERR_OUT_OF_MEMORY);
  }
}

boolean ChunkFull(j_compress_ptr info) {
  Append(info, DestinationOf(info)->chunk.size());
  StartChunk(info);
  return TRUE;
}

void LastChunk(j_compress_ptr info) {
  Destination* dest = DestinationOf(info);
  Append(info, dest->chunk.size() - dest->base.free_in_buffer);
}

}  // namespace

Status EncodeJpeg(const Image& image, int quality, std::vector<uint8_t>* out) {
  if (image.width == 0 || image.height == 0 || (image.channels != 1 && image.channels != 3)) {
    return Status::Error("encode JPEG: only grey or RGB images of at least one pixel");
  }
  out->clear();
  jpeg_compress_struct info;
  ErrorManager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = OnError;
  errors.base.emit_message = OnMessage;
  Destination dest;
  dest.base.init_destination = StartChunk;
  dest.base.empty_output_buffer = ChunkFull;
  dest.base.term_destination = LastChunk;
  dest.out = out;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_compress(&info);
    out->clear();
    return Status::Error("encode JPEG: " + errors.message);
  }
  jpeg_create_compress(&info);
  info.dest = &dest.base;
  info.image_width = image.width;
  info.image_height = image.height;
  info.input_components = static_cast<int>(image.channels);
  info.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  // Thumbnails are small: better tables cost little time and save 5 to 10% of the bytes.
  info.optimize_coding = TRUE;
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.row(info.next_scanline));
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  return Status::OK();
}

}  // namespace thumbpipe
