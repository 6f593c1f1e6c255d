#include "worker/encoders/png_encoder.h"

#include <png.h>

#include <csetjmp>

namespace thumbpipe {
namespace {

void Append(png_structp png, png_bytep data, size_t size) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + size);
}

[[noreturn]] void OnError(png_structp png, png_const_charp message) {
  auto* text = static_cast<std::string*>(png_get_error_ptr(png));
  *text = message;
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}

int ColorType(uint32_t channels) {
  switch (channels) {
    case 1:
      return PNG_COLOR_TYPE_GRAY;
    case 2:
      return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3:
      return PNG_COLOR_TYPE_RGB;
    default:
      return PNG_COLOR_TYPE_RGB_ALPHA;
  }
}

}  // namespace

Status EncodePng(const Image& image, int level, std::vector<uint8_t>* out) {
  if (image.channels < 1 || image.channels > 4 || image.width == 0 || image.height == 0) {
    return Status::Error("cannot encode an empty image");
  }
  out->clear();
  std::string error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, OnError, OnWarning);
  if (png == nullptr) return Status::Error("encode PNG: out of memory");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    return Status::Error("encode PNG: " + error);
  }
  png_set_write_fn(png, out, Append, nullptr);
  png_set_compression_level(png, level);
  png_set_IHDR(png, info, image.width, image.height, 8, ColorType(image.channels),
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  png_write_info(png, info);
  for (uint32_t y = 0; y < image.height; ++y) {
    png_write_row(png, image.row(y));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return Status::OK();
}

}  // namespace thumbpipe
