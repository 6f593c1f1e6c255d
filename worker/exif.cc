#include "worker/exif.h"

#include <zlib.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace thumbpipe {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;
constexpr std::string_view kExifHeader("Exif\0\0", 6);

uint32_t Be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
uint32_t Le32(const uint8_t* p) { return uint32_t{p[3]} << 24 | p[2] << 16 | p[1] << 8 | p[0]; }

std::span<const uint8_t> DropExifHeader(std::span<const uint8_t> block) {
  if (block.size() >= kExifHeader.size() &&
      std::memcmp(block.data(), kExifHeader.data(), kExifHeader.size()) == 0) {
    return block.subspan(kExifHeader.size());
  }
  return block;
}

int FromJpeg(std::span<const uint8_t> data) {
  size_t pos = 2;  // after SOI
  while (pos + 4 <= data.size()) {
    if (data[pos] != 0xFF) return 1;
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data or end: no EXIF before it
    if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    const size_t length = size_t{data[pos + 2]} << 8 | data[pos + 3];
    if (length < 2 || pos + 2 + length > data.size()) return 1;
    std::span<const uint8_t> payload = data.subspan(pos + 4, length - 2);
    if (marker == 0xE1 && payload.size() > kExifHeader.size() &&
        std::memcmp(payload.data(), kExifHeader.data(), kExifHeader.size()) == 0) {
      return OrientationFromTiff(payload.subspan(kExifHeader.size()));
    }
    pos += 2 + length;
  }
  return 1;
}

// ImageMagick's text chunk: "\n<name>\n<spaces><decimal length>\n<hex digits and newlines>".
int FromRawProfile(std::string_view text) {
  size_t pos = text.find('\n', 1);
  if (text.empty() || text[0] != '\n' || pos == std::string_view::npos) return 1;
  const size_t end_of_length = text.find('\n', pos + 1);
  if (end_of_length == std::string_view::npos) return 1;
  std::vector<uint8_t> bytes;
  int high = -1;
  for (char c : text.substr(end_of_length + 1)) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return OrientationFromTiff(DropExifHeader(bytes));
}

int FromPngTextChunk(std::span<const uint8_t> chunk, bool compressed) {
  constexpr std::string_view kKeyword("Raw profile type exif\0", 22);
  if (chunk.size() < kKeyword.size() ||
      std::memcmp(chunk.data(), kKeyword.data(), kKeyword.size()) != 0) {
    return 0;  // not the chunk we look for
  }
  std::span<const uint8_t> rest = chunk.subspan(kKeyword.size());
  if (!compressed) return FromRawProfile({reinterpret_cast<const char*>(rest.data()), rest.size()});
  if (rest.empty() || rest[0] != 0) return 1;  // compression method 0 (zlib) only
  rest = rest.subspan(1);
  std::string text(64 * 1024, '\0');  // EXIF is at most 64 KiB in JPEG, so a fair bound here
  uLongf size = text.size();
  if (::uncompress(reinterpret_cast<Bytef*>(text.data()), &size, rest.data(), rest.size()) !=
      Z_OK) {
    return 1;
  }
  text.resize(size);
  return FromRawProfile(text);
}

int FromPng(std::span<const uint8_t> data) {
  size_t pos = 8;
  while (pos + 12 <= data.size()) {
    const size_t length = Be32(&data[pos]);
    const std::string_view type(reinterpret_cast<const char*>(&data[pos + 4]), 4);
    if (length > data.size() - pos - 12) return 1;
    std::span<const uint8_t> chunk = data.subspan(pos + 8, length);
    if (type == "eXIf") return OrientationFromTiff(DropExifHeader(chunk));
    if (type == "tEXt" || type == "zTXt") {
      if (int o = FromPngTextChunk(chunk, type == "zTXt"); o != 0) return o;
    }
    if (type == "IEND") return 1;
    pos += 12 + length;
  }
  return 1;
}

int FromWebp(std::span<const uint8_t> data) {
  size_t pos = 12;
  while (pos + 8 <= data.size()) {
    const size_t length = Le32(&data[pos + 4]);
    if (length > data.size() - pos - 8) return 1;
    if (std::memcmp(&data[pos], "EXIF", 4) == 0) {
      return OrientationFromTiff(DropExifHeader(data.subspan(pos + 8, length)));
    }
    pos += 8 + length + (length & 1);
  }
  return 1;
}

}  // namespace

int OrientationFromTiff(std::span<const uint8_t> tiff) {
  if (tiff.size() < 8) return 1;
  bool little;
  if (std::memcmp(tiff.data(), "II*\0", 4) == 0) {
    little = true;
  } else if (std::memcmp(tiff.data(), "MM\0*", 4) == 0) {
    little = false;
  } else {
    return 1;
  }
  auto u16 = [&](size_t at) -> uint32_t {
    return little ? tiff[at] | tiff[at + 1] << 8 : tiff[at] << 8 | tiff[at + 1];
  };
  auto u32 = [&](size_t at) -> uint32_t { return little ? Le32(&tiff[at]) : Be32(&tiff[at]); };
  const size_t ifd = u32(4);
  if (ifd < 8 || ifd + 2 > tiff.size()) return 1;
  const size_t count = u16(ifd);
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = ifd + 2 + 12 * i;
    if (entry + 12 > tiff.size()) return 1;
    if (u16(entry) != kOrientationTag) continue;
    const uint32_t type = u16(entry + 2);
    if (type != 3 || u32(entry + 4) < 1) return 1;  // SHORT, at least one value
    const uint32_t value = u16(entry + 8);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

int ReadOrientation(std::span<const uint8_t> file, Format format) {
  switch (format) {
    case Format::kJpeg:
      return FromJpeg(file);
    case Format::kPng:
      return FromPng(file);
    case Format::kWebp:
      return FromWebp(file);
    case Format::kTiff:
      return OrientationFromTiff(file);
    default:
      return 1;
  }
}

}  // namespace thumbpipe
