#include "common/png_text.h"

#include <zlib.h>

#include <array>
#include <cstring>

namespace thumbpipe {
namespace {

constexpr std::array<uint8_t, 8> kSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
constexpr size_t kIhdrChunkBytes = 4 + 4 + 13 + 4;

uint32_t ReadU32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

void AppendU32(uint32_t v, std::vector<uint8_t>* out) {
  out->push_back(static_cast<uint8_t>(v >> 24));
  out->push_back(static_cast<uint8_t>(v >> 16));
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

// The CRC of a chunk covers its type and data.
uint32_t ChunkCrc(const uint8_t* type_and_data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  return static_cast<uint32_t>(crc32(crc, type_and_data, static_cast<uInt>(size)));
}

bool ValidKey(std::string_view key) {
  if (key.empty() || key.size() > 79 || key.front() == ' ' || key.back() == ' ') return false;
  if (key.find("  ") != std::string_view::npos) return false;
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (!((c >= 32 && c <= 126) || c >= 161)) return false;
  }
  return true;
}

bool StartsWithHeader(std::span<const uint8_t> png) {
  return png.size() >= kSignature.size() + kIhdrChunkBytes &&
         std::memcmp(png.data(), kSignature.data(), kSignature.size()) == 0 &&
         ReadU32(png.data() + 8) == 13 && std::memcmp(png.data() + 12, "IHDR", 4) == 0;
}

}  // namespace

Status AddPngText(std::span<const PngText> texts, std::vector<uint8_t>* png) {
  if (!StartsWithHeader(*png)) return Status::Error("not a PNG that starts with its header");
  std::vector<uint8_t> chunks;
  for (const PngText& text : texts) {
    if (!ValidKey(text.key)) return Status::Error("'" + text.key + "' is not a PNG text key");
    if (text.value.find('\0') != std::string::npos) {
      return Status::Error("the PNG text '" + text.key + "' holds a NUL byte");
    }
    const size_t length = text.key.size() + 1 + text.value.size();
    AppendU32(static_cast<uint32_t>(length), &chunks);
    const size_t type_at = chunks.size();
    chunks.insert(chunks.end(), {'t', 'E', 'X', 't'});
    chunks.insert(chunks.end(), text.key.begin(), text.key.end());
    chunks.push_back(0);
    chunks.insert(chunks.end(), text.value.begin(), text.value.end());
    AppendU32(ChunkCrc(chunks.data() + type_at, 4 + length), &chunks);
  }
  png->insert(png->begin() + kSignature.size() + kIhdrChunkBytes, chunks.begin(), chunks.end());
  return Status::OK();
}

Status ReadPngText(std::span<const uint8_t> head, std::vector<PngText>* texts) {
  texts->clear();
  if (head.size() < kSignature.size() ||
      std::memcmp(head.data(), kSignature.data(), kSignature.size()) != 0) {
    return Status::Error("not a PNG file");
  }
  size_t at = kSignature.size();
  for (;;) {
    if (head.size() - at < 8) return Status::Error("the PNG ends before its image data");
    const uint32_t length = ReadU32(head.data() + at);
    const uint8_t* type = head.data() + at + 4;
    if (std::memcmp(type, "IDAT", 4) == 0 || std::memcmp(type, "IEND", 4) == 0) {
      return Status::OK();
    }
    if (length > head.size() - at - 12) {
      return Status::Error("the PNG ends before its image data");
    }
    if (ChunkCrc(type, 4 + length) != ReadU32(type + 4 + length)) {
      return Status::Error("the PNG is damaged (a chunk's checksum is wrong)");
    }
    if (std::memcmp(type, "tEXt", 4) == 0) {
      const auto* data = reinterpret_cast<const char*>(type + 4);
      const std::string_view chunk(data, length);
      const size_t nul = chunk.find('\0');
      if (nul != std::string_view::npos) {
        texts->push_back({std::string(chunk.substr(0, nul)), std::string(chunk.substr(nul + 1))});
      }
    }
    at += 12 + length;
  }
}

std::vector<uint8_t> OnePixelPng() {
  std::vector<uint8_t> png(kSignature.begin(), kSignature.end());
  const auto chunk = [&png](const char* type, std::span<const uint8_t> data) {
    AppendU32(static_cast<uint32_t>(data.size()), &png);
    const size_t type_at = png.size();
    png.insert(png.end(), type, type + 4);
    png.insert(png.end(), data.begin(), data.end());
    AppendU32(ChunkCrc(png.data() + type_at, 4 + data.size()), &png);
  };
  // 1x1, 8 bits, RGBA (colour type 6), no interlacing.
  const uint8_t header[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0};
  chunk("IHDR", header);
  const uint8_t row[5] = {0, 0, 0, 0, 0};  // filter type none, then the pixel
  uint8_t deflated[64];
  uLongf size = sizeof deflated;
  compress2(deflated, &size, row, sizeof row, Z_BEST_COMPRESSION);
  chunk("IDAT", {deflated, size});
  chunk("IEND", {});
  return png;
}

const std::string* FindPngText(std::span<const PngText> texts, std::string_view key) {
  for (const PngText& text : texts) {
    if (text.key == key) return &text.value;
  }
  return nullptr;
}

}  // namespace thumbpipe
