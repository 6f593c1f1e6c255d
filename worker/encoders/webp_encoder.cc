#include "worker/encoders/webp_encoder.h"

#include <webp/encode.h>

#include <fmt/format.h>

namespace thumbpipe {

Status EncodeWebp(const Image& image, int quality, std::vector<uint8_t>* out) {
  if (image.width == 0 || image.height == 0 || (image.channels != 3 && image.channels != 4)) {
    return Status::Error("encode WebP: only RGB or RGBA images of at least one pixel");
  }
  if (image.width > WEBP_MAX_DIMENSION || image.height > WEBP_MAX_DIMENSION) {
    return Status::Error(fmt::format("encode WebP: {}x{} is larger than WebP allows ({} a side)",
                                     image.width, image.height, WEBP_MAX_DIMENSION));
  }
  out->clear();
  WebPConfig config;
  if (!WebPConfigPreset(&config, WEBP_PRESET_DEFAULT, static_cast<float>(quality)) ||
      !WebPValidateConfig(&config)) {
    return Status::Error(fmt::format("encode WebP: quality {} is not valid", quality));
  }
  WebPPicture picture;
  if (!WebPPictureInit(&picture)) return Status::Error("encode WebP: libwebp version mismatch");
  picture.use_argb = 0;
  picture.width = static_cast<int>(image.width);
  picture.height = static_cast<int>(image.height);
  const int stride = static_cast<int>(image.stride());
  const int imported = image.channels == 4
                           ? WebPPictureImportRGBA(&picture, image.pixels.data(), stride)
                           : WebPPictureImportRGB(&picture, image.pixels.data(), stride);
  if (!imported) {
    WebPPictureFree(&picture);
    return Status::Error("encode WebP: out of memory");
  }
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  picture.writer = WebPMemoryWrite;
  picture.custom_ptr = &writer;
  const bool ok = WebPEncode(&config, &picture) != 0;
  const WebPEncodingError error = picture.error_code;
  WebPPictureFree(&picture);
  if (ok) out->assign(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  if (!ok)
    return Status::Error(fmt::format("encode WebP: libwebp error {}", static_cast<int>(error)));
  return Status::OK();
}

}  // namespace thumbpipe
