#include "worker/thumbnail_name.h"

#include <fmt/format.h>

#include "common/sha256.h"

namespace thumbpipe {

std::string ThumbnailName(const Image& image, OutputFormat format) {
  Sha256 hash;
  hash.Update(fmt::format("{}x{}x{}\n", image.width, image.height, image.channels));
  hash.Update(std::span<const unsigned char>(image.pixels.data(), image.pixels.size()));
  return hash.HexDigest() + std::string(OutputExtension(format));
}

}  // namespace thumbpipe
