#include "worker/decoders/small_png.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

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
    if (crc32_gzip_refl(0, &file[pos + 4], 4 + length) != Be32(&file[pos + 8 + length]))
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
// ISA-L inflates a whole buffer about twice as fast as zlib's streaming inflate, and a fifth
// faster than libdeflate on photographs (it decodes several literals per lookup).
bool Inflate(const std::vector<std::span<const uint8_t>>& data, std::vector<uint8_t>* raw) {
  thread_local inflate_state state;  // 85 KiB of tables: not on the stack, not per file
  std::span<const uint8_t> stream = data.front();
  std::vector<uint8_t> joined;  // the data of several IDAT chunks, end to end
  if (data.size() > 1) {
    for (const auto& part : data) joined.insert(joined.end(), part.begin(), part.end());
    stream = joined;
  }
  // A zlib header as zlib takes it (RFC 1950): deflate with a window of at most 32 KiB, no
  // preset dictionary. ISA-L checks the rest; it does not look at the window size, and the
  // stream is copied into the thumbnail, which zlib-based readers must be able to open.
  if (stream.size() < 2 || (stream[0] & 0x0F) != 8 || (stream[0] >> 4) > 7 ||
      (stream[1] & 0x20) != 0 || stream.size() > UINT32_MAX || raw->size() > UINT32_MAX) {
    return false;
  }
  isal_inflate_init(&state);
  state.crc_flag = ISAL_ZLIB;
  state.next_in = const_cast<uint8_t*>(stream.data());
  state.avail_in = static_cast<uint32_t>(stream.size());
  state.next_out = raw->data();
  state.avail_out = static_cast<uint32_t>(raw->size());
  return isal_inflate_stateless(&state) == ISAL_DECOMP_OK &&
         state.block_state == ISAL_BLOCK_FINISH && state.avail_in == 0 && state.avail_out == 0;
}

// The Paeth predictor (specification, section 9.4) without branches: on photographs the
// choice is close to random, and a mispredicted branch per byte costs more than the rest of
// the filter together.
inline uint8_t Paeth(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
  const int b_or_c = pb <= pc ? b : c;
  return static_cast<uint8_t>(pa <= std::min(pb, pc) ? a : b_or_c);
}

// Sub, Average and Paeth depend on the pixel to the left: they keep its bytes (and those of
// the one above it) in registers rather than reading back what was just stored, which would
// put a store-to-load round trip into every byte's chain. `predict(left, above, upper_left)`.
template <size_t kBpp, typename Predict>
void UnfilterFromLeft(const uint8_t* in, const uint8_t* prior, uint8_t* out, size_t stride,
                      Predict predict) {
  int left[kBpp] = {}, upper_left[kBpp] = {};
  for (size_t i = 0; i < stride; i += kBpp) {
    for (size_t k = 0; k < kBpp; ++k) {
      const int above = prior[i + k];
      const auto value = static_cast<uint8_t>(in[i + k] + predict(left[k], above, upper_left[k]));
      out[i + k] = value;
      left[k] = value;
      upper_left[k] = above;
    }
  }
}

// Undoes one row's filter; `prior` is the row above (zeros for the first). `kBpp` is the bytes
// per pixel, a constant so the compiler can vectorize and unroll.
template <size_t kBpp>
bool UnfilterRow(uint8_t filter, const uint8_t* in, const uint8_t* prior, uint8_t* out,
                 size_t stride) {
  switch (filter) {
    case 0:
      std::memcpy(out, in, stride);
      return true;
    case 1:
      UnfilterFromLeft<kBpp>(in, prior, out, stride, [](int left, int, int) { return left; });
      return true;
    case 2:
      for (size_t i = 0; i < stride; ++i) out[i] = static_cast<uint8_t>(in[i] + prior[i]);
      return true;
    case 3:
      UnfilterFromLeft<kBpp>(in, prior, out, stride,
                             [](int left, int above, int) { return (left + above) >> 1; });
      return true;
    case 4:
      UnfilterFromLeft<kBpp>(in, prior, out, stride, Paeth);
      return true;
    default:
      return false;
  }
}

// Undoes the PNG row filters (specification, section 9) of `raw` into `image`.
template <size_t kBpp>
bool Unfilter(const std::vector<uint8_t>& raw, Image* image) {
  const size_t stride = image->stride();
  std::vector<uint8_t> zeros(stride, 0);
  const uint8_t* prior = zeros.data();
  for (uint32_t y = 0; y < image->height; ++y) {
    const uint8_t* in = &raw[y * (stride + 1)];
    uint8_t* out = image->row(y);
    if (!UnfilterRow<kBpp>(in[0], in + 1, prior, out, stride)) return false;
    prior = out;
  }
  return true;
}

bool Unfilter(const std::vector<uint8_t>& raw, Image* image) {
  switch (image->channels) {
    case 1:
      return Unfilter<1>(raw, image);
    case 2:
      return Unfilter<2>(raw, image);
    case 3:
      return Unfilter<3>(raw, image);
    case 4:
      return Unfilter<4>(raw, image);
    default:
      return false;
  }
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
