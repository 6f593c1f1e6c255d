#include "worker/sniff.h"

#include <cstring>

namespace thumbpipe {
namespace {

bool StartsWith(std::span<const uint8_t> data, std::string_view magic, size_t offset = 0) {
  return data.size() >= offset + magic.size() &&
         std::memcmp(data.data() + offset, magic.data(), magic.size()) == 0;
}

bool IsPnm(std::span<const uint8_t> data) {
  // P1..P7 followed by whitespace (P7 is PAM).
  return data.size() >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7' &&
         (data[2] == ' ' || data[2] == '\n' || data[2] == '\r' || data[2] == '\t');
}

bool IsHeif(std::span<const uint8_t> data) {
  // ISO BMFF "ftyp" box with a HEIF/AVIF brand.
  if (!StartsWith(data, "ftyp", 4) || data.size() < 12) return false;
  for (std::string_view brand :
       {"heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis"}) {
    if (StartsWith(data, brand, 8)) return true;
  }
  return false;
}

}  // namespace

Format SniffFormat(std::span<const uint8_t> head) {
  if (StartsWith(head, "\xFF\xD8\xFF")) return Format::kJpeg;
  if (StartsWith(head, "\x89PNG\r\n\x1A\n")) return Format::kPng;
  if (StartsWith(head, "RIFF") && StartsWith(head, "WEBP", 8)) return Format::kWebp;
  if (StartsWith(head, std::string_view("II*\0", 4)) ||
      StartsWith(head, std::string_view("MM\0*", 4))) {
    return Format::kTiff;
  }
  if (StartsWith(head, "BM") && head.size() >= 26) return Format::kBmp;
  if (IsPnm(head)) return Format::kPnm;
  if (StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a")) return Format::kGif;
  if (IsHeif(head)) return Format::kHeif;
  if (StartsWith(head, "\xFF\x0A") ||
      StartsWith(head, std::string_view("\0\0\0\x0CJXL \r\n\x87\n", 12))) {
    return Format::kJpegXl;
  }
  if (StartsWith(head, std::string_view("\0\0\0\x0CjP  \r\n\x87\n", 12)) ||
      StartsWith(head, "\xFF\x4F\xFF\x51")) {
    return Format::kJpeg2000;
  }
  return Format::kUnknown;
}

}  // namespace thumbpipe
