#include "worker/sniff.h"

#include <algorithm>
#include <cstring>
#include <string_view>

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

uint16_t Le16(std::span<const uint8_t> d, size_t at) { return uint16_t(d[at] | d[at + 1] << 8); }
uint32_t Le32(std::span<const uint8_t> d, size_t at) {
  return uint32_t{d[at]} | uint32_t{d[at + 1]} << 8 | uint32_t{d[at + 2]} << 16 |
         uint32_t{d[at + 3]} << 24;
}
uint16_t Be16(std::span<const uint8_t> d, size_t at) { return uint16_t(d[at] << 8 | d[at + 1]); }

// TIFF's integers in the file's byte order.
struct TiffReader {
  std::span<const uint8_t> data;
  bool little;
  uint16_t U16(size_t at) const { return little ? Le16(data, at) : Be16(data, at); }
  uint32_t U32(size_t at) const {
    return little ? Le32(data, at) : uint32_t{Be16(data, at)} << 16 | Be16(data, at + 2);
  }
};

// A DNG is a TIFF whose first directory holds the DNGVersion tag (0xC612). Only a directory
// that lies wholly within the head is read; anything else stays TIFF.
bool IsDng(std::span<const uint8_t> data) {
  if (data.size() < 8) return false;
  const TiffReader tiff{data, data[0] == 'I'};
  const uint32_t ifd = tiff.U32(4);
  if (ifd < 8 || ifd > data.size() - 2) return false;
  const uint32_t count = tiff.U16(ifd);
  if (uint64_t{ifd} + 2 + uint64_t{count} * 12 > data.size()) return false;
  for (uint32_t i = 0; i < count; ++i) {
    if (tiff.U16(ifd + 2 + i * 12) == 0xC612) return true;
  }
  return false;
}

// Camera RAW containers with a mark of their own. TIFF-based ones without one (NEF, ARW, PEF
// ...) are not claimed here: they stay TIFF, whose decoder reads their first image.
bool IsCameraRaw(std::span<const uint8_t> data) {
  return StartsWith(data, std::string_view("II*\0\x10\0\0\0CR", 10)) ||     // Canon CR2
         (StartsWith(data, "ftypcrx ", 4)) ||                               // Canon CR3
         StartsWith(data, std::string_view("II\x1A\0\0\0HEAPCCDR", 14)) ||  // Canon CRW
         StartsWith(data, "FUJIFILMCCD-RAW ") ||                            // Fujifilm RAF
         StartsWith(data, "IIRO") || StartsWith(data, "IIRS") ||            // Olympus ORF
         StartsWith(data, "MMOR") ||                                        //
         StartsWith(data, std::string_view("IIU\0", 4)) ||                  // Panasonic RW2
         StartsWith(data, std::string_view("\0MRM", 4)) ||                  // Minolta MRW
         StartsWith(data, "FOVb") ||                                        // Sigma X3F
         ((StartsWith(data, std::string_view("II*\0", 4)) ||
           StartsWith(data, std::string_view("MM\0*", 4))) &&
          IsDng(data));
}

// ICO (type 1) and CUR (type 2): a reserved zero, the type, a count of entries, then that many
// 16-byte entries, each with a reserved zero byte, a size and an offset past the directory.
// Every entry in the head is checked, so a file of zeros or of random bytes is not claimed.
bool IsIco(std::span<const uint8_t> data) {
  if (data.size() < 6 + 16 || Le16(data, 0) != 0) return false;
  const uint16_t type = Le16(data, 2);
  const uint16_t count = Le16(data, 4);
  if ((type != 1 && type != 2) || count == 0) return false;
  const uint32_t directory_end = 6 + 16 * uint32_t{count};
  for (uint32_t i = 0; i < count && 6 + 16 * (i + 1) <= data.size(); ++i) {
    const size_t entry = 6 + 16 * i;
    if (data[entry + 3] != 0) return false;
    if (type == 1) {  // planes 0 or 1 and a usual bit count; CUR keeps its hot spot there
      const uint16_t planes = Le16(data, entry + 4);
      const uint16_t bits = Le16(data, entry + 6);
      if (planes > 1) return false;
      if (bits != 0 && bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 &&
          bits != 32) {
        return false;
      }
    }
    if (Le32(data, entry + 8) == 0 || Le32(data, entry + 12) < directory_end) return false;
  }
  return true;
}

// TGA has no magic number (v2 files end in "TRUEVISION-XFILE", but the head rarely reaches the
// end), so its 18-byte header must be plausible throughout: no colour map or a colour map with
// a usual entry size for colour-mapped types, an image type of 1-3 or 9-11, a pixel depth that
// fits the type, a nonzero size, and no interleaving bits.
bool IsTga(std::span<const uint8_t> data) {
  if (data.size() < 18) return false;
  const uint8_t id_length = data[0];
  const uint8_t map_type = data[1];
  const uint8_t type = data[2];
  const uint16_t map_length = Le16(data, 5);
  const uint8_t map_bits = data[7];
  const uint8_t depth = data[16];
  const uint8_t descriptor = data[17];
  const uint8_t base = type & 7;
  if ((type & ~8) < 1 || (type & ~8) > 3) return false;
  if (base == 1) {
    if (map_type != 1 || map_length == 0 || Le16(data, 3) >= map_length) return false;
    if (map_bits != 15 && map_bits != 16 && map_bits != 24 && map_bits != 32) return false;
    if (depth != 8 && depth != 16) return false;
  } else {
    // No colour map: its five bytes are zero (a map may be present but unused; rare enough
    // to give up for certainty).
    if (map_type != 0 || Le16(data, 3) != 0 || map_length != 0 || map_bits != 0) return false;
    if (base == 2 && depth != 15 && depth != 16 && depth != 24 && depth != 32) return false;
    if (base == 3 && depth != 8 && depth != 16) return false;
  }
  const uint8_t alpha_bits = descriptor & 0x0F;
  if ((descriptor & 0xC0) != 0) return false;
  if (alpha_bits != 0 && !(depth == 32 && alpha_bits == 8) && !(depth == 16 && alpha_bits == 1))
    return false;
  if (Le16(data, 12) == 0 || Le16(data, 14) == 0) return false;
  const size_t map_bytes = map_type == 1 ? size_t{map_length} * ((map_bits + 7) / 8) : 0;
  // The pixels must start inside the file: a 200-byte "TGA" of 5000x5000 may be truncated and
  // is still a TGA, but the header, the ID and the colour map must be there.
  return data.size() >= 18 + size_t{id_length} + map_bytes;
}

// PCX: manufacturer 0x0A, a known version, RLE or no encoding, a usual bit depth and plane
// count, and a window whose ends are in order.
bool IsPcx(std::span<const uint8_t> data) {
  if (data.size() < 128 || data[0] != 0x0A) return false;
  const uint8_t version = data[1];
  if (version != 0 && version != 2 && version != 3 && version != 4 && version != 5) return false;
  if (data[2] > 1) return false;
  const uint8_t bits = data[3];
  if (bits != 1 && bits != 2 && bits != 4 && bits != 8) return false;
  const uint8_t planes = data[65];
  if (planes < 1 || planes > 4) return false;
  return Le16(data, 4) <= Le16(data, 8) && Le16(data, 6) <= Le16(data, 10) && Le16(data, 66) != 0;
}

// SGI (IRIS) image: magic 474, storage verbatim or RLE, 1 or 2 bytes a sample, 1 to 3
// dimensions, a nonzero size and 1 to 4 channels.
bool IsSgi(std::span<const uint8_t> data) {
  if (data.size() < 512 || Be16(data, 0) != 474) return false;
  const uint16_t dimension = Be16(data, 4);
  const uint16_t channels = dimension == 3 ? Be16(data, 10) : 1;
  return data[2] <= 1 && (data[3] == 1 || data[3] == 2) && dimension >= 1 && dimension <= 3 &&
         Be16(data, 6) != 0 && (dimension == 1 || Be16(data, 8) != 0) && channels >= 1 &&
         channels <= 4;
}

// Photoshop: "8BPS", version 1 (PSD) or 2 (PSB), six reserved zero bytes.
bool IsPsd(std::span<const uint8_t> data) {
  return StartsWith(data, "8BPS") && data.size() >= 26 &&
         (Be16(data, 4) == 1 || Be16(data, 4) == 2) &&
         StartsWith(data, std::string_view("\0\0\0\0\0\0", 6), 6);
}

// X bitmap: C source whose first two lines define <name>_width and <name>_height, followed by
// a <name>_bits array. A C header that merely starts with #define is not claimed.
bool IsXbm(std::span<const uint8_t> data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()),
                              std::min<size_t>(data.size(), 4096));
  if (!text.starts_with("#define ")) return false;
  const size_t line_end = text.find('\n');
  if (line_end == std::string_view::npos) return false;
  const std::string_view first = text.substr(0, line_end);
  const size_t width = first.find("_width ");
  if (width == std::string_view::npos) return false;
  const std::string_view rest = text.substr(line_end + 1);
  return rest.starts_with("#define ") &&
         rest.substr(0, rest.find('\n')).find("_height ") != std::string_view::npos &&
         text.find("_bits[]") != std::string_view::npos;
}

}  // namespace

Format SniffFormat(std::span<const uint8_t> head) {
  if (StartsWith(head, "\xFF\xD8\xFF")) return Format::kJpeg;
  // Before TIFF and HEIF, whose containers some RAWs share.
  if (IsCameraRaw(head)) return Format::kCameraRaw;
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
  if (IsPsd(head)) return Format::kPsd;
  if (StartsWith(head, "/* XPM */")) return Format::kXpm;
  if (IsXbm(head)) return Format::kXbm;
  if (IsSgi(head)) return Format::kSgi;
  if (IsPcx(head)) return Format::kPcx;
  if (IsIco(head)) return Format::kIco;
  // Last: TGA has no magic number, only a plausible header.
  if (IsTga(head)) return Format::kTga;
  return Format::kUnknown;
}

}  // namespace thumbpipe
