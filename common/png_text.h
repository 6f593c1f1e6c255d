// PNG text chunks (tEXt): added to a PNG made elsewhere, and read back from the start of a
// PNG file without decoding it. The freedesktop.org thumbnail cache keeps a thumbnail's
// source URI and mtime in them (common/desktop_cache.h): the workers write them, the producer
// reads them to decide whether a thumbnail is current. Also the smallest PNG, one transparent
// pixel, which failure markers are. Only zlib is used, so no side needs libpng for this.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace thumbpipe {

struct PngText {
  std::string key;    // 1 to 79 printable Latin-1 bytes, no leading, trailing or double space
  std::string value;  // any bytes but NUL (Latin-1 by the PNG standard)
  bool operator==(const PngText&) const = default;
};

// Inserts one tEXt chunk per entry of `texts`, in order, right after the IHDR chunk of *png,
// so that readers that stop at the image data (gdk-pixbuf, ReadPngText) see them. Fails,
// leaving *png as it was, when *png does not start with a PNG signature and IHDR, or a key or
// value is not allowed.
Status AddPngText(std::span<const PngText> texts, std::vector<uint8_t>* png);

// Reads the tEXt chunks that come before the first IDAT of the PNG whose first bytes are
// `head`, into *texts (in file order). Fails when `head` is not a PNG, a chunk before the image
// data is damaged (its CRC is wrong), or `head` ends before the image data begins.
Status ReadPngText(std::span<const uint8_t> head, std::vector<PngText>* texts);

// A 1x1 PNG of one transparent RGBA pixel, no ancillary chunk.
std::vector<uint8_t> OnePixelPng();

// The value of `key` among `texts`, or nullptr.
const std::string* FindPngText(std::span<const PngText> texts, std::string_view key);

}  // namespace thumbpipe
