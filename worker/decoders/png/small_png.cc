#include "worker/decoders/png/small_png.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "worker/decoders/png/inflater.h"
#include "worker/decoders/png/unfilter.h"
#include "worker/encoders/png_encoder.h"

namespace thumbpipe {
namespace {

constexpr std::string_view kSignature("\x89PNG\r\n\x1A\n", 8);

uint32_t Be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

struct Layout {
  std::span<const uint8_t> ihdr;               // the whole chunk
  std::span<const uint8_t> idats;              // all IDAT chunks, consecutive
  std::vector<std::span<const uint8_t>> data;  // their data
  uint32_t width = 0, height = 0, channels = 0;
};

// Walks the chunks; false unless the file is of the kind this path handles.
bool ReadLayout(std::span<const uint8_t> file, Layout* layout) {
  if (file.size() < kSignature.size() + 25 ||
      std::memcmp(file.data(), kSignature.data(), kSignature.size()) != 0) {
    return false;
  }
  size_t pos = kSignature.size();
  bool srgb = false, iccp = false, other_colours = false;
  while (pos + 12 <= file.size()) {
    const uint32_t length = Be32(&file[pos]);
    if (length > file.size() - pos - 12) return false;
    const std::string_view type(reinterpret_cast<const char*>(&file[pos + 4]), 4);
    if (Crc32(0, file.subspan(pos + 4, 4 + size_t{length})) != Be32(&file[pos + 8 + length]))
      return false;
    const std::span<const uint8_t> chunk = file.subspan(pos, 12 + size_t{length});
    if (type == "IHDR") {
      if (!layout->ihdr.empty() || length != 13 || pos != kSignature.size()) return false;
      layout->ihdr = chunk;
    } else if (type == "IDAT") {
      if (!layout->idats.empty() && layout->idats.data() + layout->idats.size() != chunk.data())
        return false;
      layout->idats = {layout->idats.empty() ? chunk.data() : layout->idats.data(),
                       layout->idats.size() + chunk.size()};
      layout->data.push_back(file.subspan(pos + 8, length));
    } else if (type == "IEND") {
      break;
    } else if (type == "sRGB") {
      srgb = true;
    } else if (type == "iCCP" || type == "gAMA" || type == "cHRM") {
      other_colours = true;  // the pixels may need converting (see png_decoder.cc)
      iccp = iccp || type == "iCCP";
    } else if (type == "tRNS" || type == "PLTE") {
      return false;  // the decoded pixels would not be the stored samples
    } else if ((type[0] & 0x20) == 0) {
      return false;  // an unknown critical chunk
    }
    pos += 12 + length;
  }
  if (pos + 12 > file.size() || layout->ihdr.empty() || layout->idats.empty()) return false;
  // libpng keeps whichever of iCCP and sRGB comes first; such files take its path.
  if (other_colours && !srgb) return false;
  if (iccp && srgb) return false;
  const uint8_t* h = layout->ihdr.data() + 8;
  layout->width = Be32(h);
  layout->height = Be32(h + 4);
  switch (h[9]) {
    case 0:
      layout->channels = 1;
      break;
    case 4:
      layout->channels = 2;
      break;
    case 2:
      layout->channels = 3;
      break;
    case 6:
      layout->channels = 4;
      break;
    default:
      return false;
  }
  // 8-bit, deflate, standard filters, not interlaced.
  return h[8] == 8 && h[10] == 0 && h[11] == 0 && h[12] == 0 && layout->width != 0 &&
         layout->height != 0;
}

// Inflates the image data into `raw` (rows with their filter byte); false unless it is one
// zlib stream, with a correct checksum, using all of the data, of exactly raw->size() bytes.
bool Inflate(const std::vector<std::span<const uint8_t>>& data, std::vector<uint8_t>* raw) {
  std::span<const uint8_t> stream = data.front();
  std::vector<uint8_t> joined;  // the data of several IDAT chunks, end to end
  if (data.size() > 1) {
    for (const auto& part : data) joined.insert(joined.end(), part.begin(), part.end());
    stream = joined;
  }
  // A zlib header as zlib takes it. ISA-L checks the rest; it does not look at the window
  // size, and the stream is copied into the thumbnail, which zlib-based readers must be able
  // to open.
  size_t window = 0;
  return stream.size() >= 2 && IsZlibHeader(stream[0], stream[1], &window) &&
         InflateWhole(stream, *raw);
}

// Undoes the PNG row filters (specification, section 9) of `raw` into `image`.
bool Unfilter(const std::vector<uint8_t>& raw, Image* image) {
  const size_t stride = image->stride();
  std::vector<uint8_t> zeros(stride, 0);
  const uint8_t* prior = zeros.data();
  for (uint32_t y = 0; y < image->height; ++y) {
    const uint8_t* in = &raw[y * (stride + 1)];
    uint8_t* out = image->row(y);
    if (!UnfilterRow(in[0], in + 1, prior, out, stride, image->channels)) return false;
    prior = out;
  }
  return true;
}

}  // namespace

bool DecodeSmallPng(std::span<const uint8_t> file, Size box, uint64_t max_pixels, Image* image,
                    std::vector<uint8_t>* png) {
  Layout layout;
  if (!ReadLayout(file, &layout) || layout.width > box.width || layout.height > box.height ||
      (max_pixels != 0 && uint64_t{layout.width} * layout.height > max_pixels)) {
    return false;  // the normal path says why, if anything is wrong
  }
  std::vector<uint8_t> raw(static_cast<size_t>(layout.height) *
                           (1 + size_t{layout.width} * layout.channels));
  if (!Inflate(layout.data, &raw)) return false;
  image->Allocate(layout.width, layout.height, layout.channels);
  if (!Unfilter(raw, image)) return false;

  static constexpr uint8_t kEnd[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  png->resize(kSignature.size() + layout.ihdr.size() + kSrgbChunk.size() + layout.idats.size() +
              sizeof kEnd);
  uint8_t* out = png->data();
  for (std::span<const uint8_t> part :
       {std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kSignature.data()),
                                 kSignature.size()),
        layout.ihdr, std::span<const uint8_t>(kSrgbChunk), layout.idats,
        std::span<const uint8_t>(kEnd)}) {
    std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return true;
}

}  // namespace thumbpipe
