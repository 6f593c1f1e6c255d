#include "worker/decoders/jp2_decoder.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

constexpr Format kJp2 = Format::kJpeg2000;
constexpr std::string_view kJp2Signature("\0\0\0\x0CjP  \r\n\x87\n", 12);
// OpenJPEG's words for a tile with fewer resolution levels than the decoder was asked to drop.
constexpr std::string_view kTooFewLevels = "cp_reduce";

uint32_t Be32(std::span<const uint8_t> file, size_t at) {
  return uint32_t{file[at]} << 24 | uint32_t{file[at + 1]} << 16 | uint32_t{file[at + 2]} << 8 |
         file[at + 3];
}

// Calls found(type, begin, end) for each box in file[begin, end) until it returns true.
// Returns false when a box reaches past `end` (or its header is cut off), true otherwise.
template <typename Found>
bool ForEachBox(std::span<const uint8_t> file, size_t begin, size_t end, Found&& found) {
  for (size_t at = begin; at < end;) {
    if (end - at < 8) return false;
    uint64_t size = Be32(file, at);
    size_t header = 8;
    if (size == 1) {  // a 64-bit size follows the type
      if (end - at < 16) return false;
      size = uint64_t{Be32(file, at + 8)} << 32 | Be32(file, at + 12);
      header = 16;
    } else if (size == 0) {  // the box reaches to the end
      size = end - at;
    }
    if (size < header) return true;  // damaged, not short: OpenJPEG says what it makes of it
    if (size > end - at) return false;
    const std::string_view type(reinterpret_cast<const char*>(&file[at + 4]), 4);
    if (found(type, at + header, at + static_cast<size_t>(size))) return true;
    at += static_cast<size_t>(size);
  }
  return true;
}

// True when the codestream in file[begin, end) stops before its end-of-codestream marker: a
// marker segment or tile-part reaches past the end, or the end comes first.
bool CodestreamEndsEarly(std::span<const uint8_t> file, size_t begin, size_t end) {
  if (end - begin < 2) return true;
  size_t at = begin + 2;  // after SOC
  while (at < end) {
    if (end - at < 2) return true;
    if (file[at] != 0xFF) return false;  // damaged, not short
    const uint8_t marker = file[at + 1];
    if (marker == 0xD9) return false;  // EOC
    if (marker == 0x90) {              // SOT: its Psot counts the whole tile-part
      if (end - at < 12) return true;
      const uint32_t length = Be32(file, at + 6);
      if (length == 0) {  // the last tile-part, up to EOC
        return end - at < 14 || file[end - 2] != 0xFF || file[end - 1] != 0xD9;
      }
      if (length > end - at) return true;
      at += length;
      continue;
    }
    if (end - at < 4) return true;
    const size_t length = size_t{file[at + 2]} << 8 | file[at + 3];
    if (length < 2) return false;
    if (length > end - at - 2) return true;
    at += 2 + length;
  }
  return true;
}

// True when the file (a JP2 or a codestream) is cut short: OpenJPEG knows the file's length,
// so it reports that only as lengths that do not add up.
bool EndsEarly(std::span<const uint8_t> file, bool jp2) {
  if (!jp2) return CodestreamEndsEarly(file, 0, file.size());
  bool codestream_cut = false;
  const bool boxes_whole =
      ForEachBox(file, 0, file.size(), [&](std::string_view type, size_t begin, size_t end) {
        if (type == "jp2c") codestream_cut = CodestreamEndsEarly(file, begin, end);
        return type == "jp2c";
      });
  return !boxes_whole || codestream_cut;
}

// OpenJPEG reads the file in memory through this, and reports its errors to it.
struct Reader {
  std::span<const uint8_t> file;
  size_t position = 0;
  bool jp2 = false;       // a JP2 file, not a bare codestream
  bool past_end = false;  // OpenJPEG wanted bytes beyond the end of the file
  std::string error;      // OpenJPEG's first error message
};

OPJ_SIZE_T ReadBytes(void* out, OPJ_SIZE_T size, void* user) {
  auto* reader = static_cast<Reader*>(user);
  if (reader->position >= reader->file.size()) {
    reader->past_end = true;
    return static_cast<OPJ_SIZE_T>(-1);
  }
  const size_t n = std::min<size_t>(size, reader->file.size() - reader->position);
  std::memcpy(out, reader->file.data() + reader->position, n);
  reader->position += n;
  return n;
}

OPJ_OFF_T SkipBytes(OPJ_OFF_T count, void* user) {
  auto* reader = static_cast<Reader*>(user);
  const auto size = static_cast<OPJ_OFF_T>(reader->file.size());
  const auto position = static_cast<OPJ_OFF_T>(reader->position);
  if (count < -position) return -1;
  if (count > size - position) {
    reader->position = reader->file.size();
    reader->past_end = true;
    return -1;
  }
  reader->position = static_cast<size_t>(position + count);
  return count;
}

OPJ_BOOL SeekTo(OPJ_OFF_T position, void* user) {
  auto* reader = static_cast<Reader*>(user);
  if (position < 0) return OPJ_FALSE;
  if (static_cast<uint64_t>(position) > reader->file.size()) {
    reader->past_end = true;
    return OPJ_FALSE;
  }
  reader->position = static_cast<size_t>(position);
  return OPJ_TRUE;
}

// Keeps the first message, on one line without its final full stop: the ones after it are
// OpenJPEG giving up on what the first one broke.
void OnError(const char* message, void* user) {
  auto* error = static_cast<std::string*>(user);
  if (!error->empty() || message == nullptr) return;
  try {
    std::string text = message;
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
    while (!text.empty() && text.front() == ' ') text.erase(text.begin());
    *error = std::move(text);
  } catch (const std::bad_alloc&) {
    // The decode fails anyway; its reason is then shorter.
  }
}

void Ignore(const char*, void*) {}

// Why OpenJPEG failed, as a reason (decoder.h): a file that ends before its own lengths say is
// truncated; otherwise OpenJPEG's words (kept in reader.error) are not shown, only whether the
// header or the data was at fault.
Status Describe(const Reader& reader, bool header) {
  if (reader.past_end || EndsEarly(reader.file, reader.jp2)) return Truncated(kJp2);
  return header ? CorruptHeader(kJp2) : DamagedOrUnsupported(kJp2);
}

// OpenJPEG's words for an allocation that failed ("Not enough memory for tile data", "Size of
// tile data exceeds system limits", "Error allocating tile component data").
bool SaysOutOfMemory(std::string_view error) {
  for (const std::string_view words : {"memory", "exceeds system limits", "allocating"}) {
    if (error.find(words) != std::string_view::npos) return true;
  }
  return false;
}

struct DestroyCodec {
  void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct DestroyStream {
  void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct DestroyImage {
  void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};
struct DestroyInfo {
  void operator()(opj_codestream_info_v2_t* info) const { opj_destroy_cstr_info(&info); }
};

// One pass of OpenJPEG over the file. Destroyed in the order OpenJPEG needs: the image, the
// stream and the codec after it.
struct OpenJpegPass {
  Reader reader;
  std::unique_ptr<opj_codec_t, DestroyCodec> codec;
  std::unique_ptr<opj_stream_t, DestroyStream> stream;
  std::unique_ptr<opj_image_t, DestroyImage> image;
};

Status ReadHeader(std::span<const uint8_t> file, OpenJpegPass* pass) {
  pass->reader.file = file;
  pass->reader.jp2 = file.size() >= kJp2Signature.size() &&
                     std::memcmp(file.data(), kJp2Signature.data(), kJp2Signature.size()) == 0;
  pass->codec.reset(opj_create_decompress(pass->reader.jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  pass->stream.reset(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  if (pass->codec == nullptr || pass->stream == nullptr) return OutOfMemory(kJp2);
  opj_codec_t* codec = pass->codec.get();
  opj_set_error_handler(codec, OnError, &pass->reader.error);
  opj_set_warning_handler(codec, Ignore, nullptr);
  opj_set_info_handler(codec, Ignore, nullptr);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!opj_setup_decoder(codec, &parameters) || !opj_decoder_set_strict_mode(codec, OPJ_TRUE) ||
      !opj_codec_set_threads(codec, 0)) {
    return Describe(pass->reader, true);
  }
  opj_stream_t* stream = pass->stream.get();
  opj_stream_set_user_data(stream, &pass->reader, nullptr);
  opj_stream_set_user_data_length(stream, file.size());
  opj_stream_set_read_function(stream, ReadBytes);
  opj_stream_set_skip_function(stream, SkipBytes);
  opj_stream_set_seek_function(stream, SeekTo);
  opj_image_t* image = nullptr;
  const bool read = opj_read_header(stream, codec, &image);
  pass->image.reset(image);
  if (!read || image == nullptr) return Describe(pass->reader, true);
  if (image->numcomps == 0 || image->comps == nullptr)
    return CorruptHeader(kJp2, "it has no components");
  return Status::OK();
}

uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// The size of the image at `reduction` (0: full size): of its largest component, which is the
// image itself unless every component is subsampled. Of the two ways OpenJPEG rounds a
// reduced side, the smaller.
Size ReducedSize(const opj_image_t& image, uint32_t reduction) {
  const uint64_t scale = uint64_t{1} << reduction;
  Size size;
  for (uint32_t i = 0; i < image.numcomps; ++i) {
    const opj_image_comp_t& comp = image.comps[i];
    const auto side = [&](uint32_t lo, uint32_t hi, uint32_t step) -> uint32_t {
      if (step == 0 || hi <= lo) return 0;
      const uint64_t first = CeilDiv(lo, step), last = CeilDiv(hi, step);
      return static_cast<uint32_t>(
          std::min(CeilDiv(last - first, scale), CeilDiv(last, scale) - CeilDiv(first, scale)));
    };
    size.width = std::max(size.width, side(image.x0, image.x1, comp.dx));
    size.height = std::max(size.height, side(image.y0, image.y1, comp.dy));
  }
  return size;
}

// The resolution levels every component has in the main header (tiles may have fewer).
uint32_t LevelsInMainHeader(opj_codec_t* codec, uint32_t components) {
  const std::unique_ptr<opj_codestream_info_v2_t, DestroyInfo> info(opj_get_cstr_info(codec));
  if (info == nullptr || info->m_default_tile_info.tccp_info == nullptr) return 1;
  uint32_t levels = UINT32_MAX;
  for (uint32_t i = 0; i < std::min(components, info->nbcomps); ++i)
    levels = std::min(levels, info->m_default_tile_info.tccp_info[i].numresolutions);
  return levels == UINT32_MAX ? 1 : std::max(levels, 1u);
}

// True when the JP2 header box holds a palette ('pclr'): the codestream's samples are then
// indexes, which a lower resolution level would average into meaningless ones.
bool HasPalette(std::span<const uint8_t> file) {
  bool palette = false;
  ForEachBox(file, 0, file.size(), [&](std::string_view type, size_t begin, size_t end) {
    if (type != "jp2h") return type == "jp2c";  // the header comes before the codestream
    ForEachBox(file, begin, end, [&](std::string_view inner, size_t, size_t) {
      palette = palette || inner == "pclr";
      return palette;
    });
    return true;
  });
  return palette;
}

// Maps one component's samples, of any precision and signedness, to 8 bits.
class Scaler {
 public:
  explicit Scaler(const opj_image_comp_t& comp)
      : offset_(comp.sgnd ? int64_t{1} << (comp.prec - 1) : 0),
        max_((int64_t{1} << comp.prec) - 1) {
    if (comp.prec <= 16) {
      table_.resize(static_cast<size_t>(max_) + 1);
      for (int64_t v = 0; v <= max_; ++v) table_[static_cast<size_t>(v)] = Compute(v);
    }
  }
  uint8_t operator()(int32_t sample) const {
    const int64_t v = std::clamp<int64_t>(int64_t{sample} + offset_, 0, max_);
    return table_.empty() ? Compute(v) : table_[static_cast<size_t>(v)];
  }

 private:
  uint8_t Compute(int64_t v) const { return static_cast<uint8_t>((v * 255 + max_ / 2) / max_); }
  int64_t offset_, max_;
  std::vector<uint8_t> table_;
};

// What the decoded components are: which give grey or R,G,B (or Y,Cb,Cr), which alpha.
struct Layout {
  std::vector<uint32_t> colour;  // 1 or 3 component indexes
  int alpha = -1;                // a component index, or -1
  bool ycc = false;
  uint32_t channels() const { return static_cast<uint32_t>(colour.size()) + (alpha >= 0); }
};

Status ReadLayout(const opj_image_t& image, Layout* layout) {
  switch (image.color_space) {
    case OPJ_CLRSPC_CMYK:
      return Unsupported(kJp2, "CMYK");
    case OPJ_CLRSPC_EYCC:
      return Unsupported(kJp2, "e-sYCC colours");
    default:
      break;
  }
  // OpenJPEG hands a CIELab description over as a "profile" of no length.
  if (image.icc_profile_buf != nullptr && image.icc_profile_len == 0)
    return Unsupported(kJp2, "CIELab colours");
  std::vector<uint32_t> others;
  for (uint32_t i = 0; i < image.numcomps; ++i) {
    if (image.comps[i].alpha != 0 && layout->alpha < 0) {
      layout->alpha = static_cast<int>(i);
    } else {
      others.push_back(i);
    }
  }
  if (others.empty()) return CorruptHeader(kJp2, "it has no colour component, only alpha");
  const bool colour_space =
      image.color_space == OPJ_CLRSPC_SRGB || image.color_space == OPJ_CLRSPC_SYCC;
  if (colour_space && others.size() < 3) {
    return CorruptHeader(
        kJp2, fmt::format("it says the image is in colour, but it has {} colour component{}",
                          others.size(), others.size() == 1 ? "" : "s"));
  }
  const bool grey = image.color_space == OPJ_CLRSPC_GRAY || others.size() < 3;
  const size_t colours = grey ? 1 : 3;
  // Without channel definitions, one component more than the colours is alpha (as in PNG).
  if (layout->alpha < 0 && others.size() == colours + 1) {
    layout->alpha = static_cast<int>(others.back());
    others.pop_back();
  }
  layout->colour.assign(others.begin(), others.begin() + static_cast<ptrdiff_t>(colours));
  if (!grey) {
    const opj_image_comp_t& y = image.comps[layout->colour[0]];
    const opj_image_comp_t& cb = image.comps[layout->colour[1]];
    const opj_image_comp_t& cr = image.comps[layout->colour[2]];
    const bool subsampled = cb.dx > y.dx || cb.dy > y.dy || cr.dx > y.dx || cr.dy > y.dy;
    layout->ycc = image.color_space == OPJ_CLRSPC_SYCC ||
                  (image.color_space != OPJ_CLRSPC_SRGB && subsampled);
  }
  return Status::OK();
}

uint8_t Clamp8(int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); }

// sYCC (IEC 61966-2-1: full-range BT.601) to RGB, in 16-bit fixed point.
void YccToRgb(uint8_t* pixel) {
  const int y = pixel[0], cb = pixel[1] - 128, cr = pixel[2] - 128;
  pixel[0] = Clamp8(y + ((91881 * cr + 32768) >> 16));
  pixel[1] = Clamp8(y - ((22554 * cb + 46802 * cr - 32768) >> 16));
  pixel[2] = Clamp8(y + ((116130 * cb + 32768) >> 16));
}

// Hands the decoded image to the sink, a row at a time; components smaller than the image
// (subsampled, or rounded down at a reduced level) are stretched over it.
Status Deliver(const opj_image_t& image, const Layout& layout, Size full, Size needed,
               RowSink* sink) {
  std::vector<uint32_t> used = layout.colour;
  if (layout.alpha >= 0) used.push_back(static_cast<uint32_t>(layout.alpha));
  Size rows;
  for (const uint32_t i : used) {
    const opj_image_comp_t& comp = image.comps[i];
    if (comp.data == nullptr || comp.w == 0 || comp.h == 0)
      return Corrupt(kJp2, fmt::format("component {} was not decoded", i));
    if (comp.prec == 0 || comp.prec > 31)
      return Unsupported(kJp2, fmt::format("{} bits a sample", comp.prec));
    rows.width = std::max(rows.width, comp.w);
    rows.height = std::max(rows.height, comp.h);
  }
  if (rows.width < needed.width || rows.height < needed.height) {
    return Corrupt(kJp2, fmt::format("the decoded image is {}x{}, smaller than the {}x{} needed",
                                     rows.width, rows.height, needed.width, needed.height));
  }
  const uint32_t channels = layout.channels();
  std::vector<Scaler> scalers;
  std::vector<std::vector<uint32_t>> columns(used.size());
  std::vector<uint8_t> row;
  try {
    for (size_t c = 0; c < used.size(); ++c) {
      const opj_image_comp_t& comp = image.comps[used[c]];
      scalers.emplace_back(comp);
      columns[c].resize(rows.width);
      for (uint32_t x = 0; x < rows.width; ++x)
        columns[c][x] = static_cast<uint32_t>(uint64_t{x} * comp.w / rows.width);
    }
    row.resize(size_t{rows.width} * channels);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(kJp2, rows);
  }

  if (image.icc_profile_buf != nullptr && image.icc_profile_len > 0 &&
      image.icc_profile_len <= ColourSource::kMaxProfileBytes) {
    ColourSource source;
    source.icc.assign(image.icc_profile_buf, image.icc_profile_buf + image.icc_profile_len);
    sink->SetColour(std::move(source));
  }
  Status status = sink->Begin(full, rows, channels, 1);
  for (uint32_t y = 0; status.ok() && y < rows.height; ++y) {
    for (size_t c = 0; c < used.size(); ++c) {
      const opj_image_comp_t& comp = image.comps[used[c]];
      const uint64_t source_y = uint64_t{y} * comp.h / rows.height;
      const int32_t* samples = comp.data + source_y * comp.w;
      const std::vector<uint32_t>& xs = columns[c];
      uint8_t* out = row.data() + c;
      for (uint32_t x = 0; x < rows.width; ++x, out += channels) *out = scalers[c](samples[xs[x]]);
    }
    if (layout.ycc) {
      for (uint32_t x = 0; x < rows.width; ++x) YccToRgb(row.data() + size_t{x} * channels);
    }
    sink->Row(row.data());
  }
  return status;
}

// Reads and decodes the file, at a reduced resolution when `may_reduce`. Sets *again when
// a tile turned out to have fewer levels than the reduction asked for (nothing was handed
// to the sink then).
Status DecodeOnce(std::span<const uint8_t> file, const DecodeRequest& request, bool may_reduce,
                  RowSink* sink, bool* again) {
  *again = false;
  OpenJpegPass pass;
  if (Status status = ReadHeader(file, &pass); !status.ok()) return status;
  const opj_image_t& header = *pass.image;
  const Size full = ReducedSize(header, 0);
  if (!WithinPixelLimit(full, request.max_pixels))
    return TooManyPixels(kJp2, full, request.max_pixels);
  if (full.width == 0 || full.height == 0)
    return CorruptHeader(kJp2, fmt::format("it claims {}x{} pixels", full.width, full.height));

  const Size needed = request.needed_size(full);
  uint32_t reduction = 0;
  if (may_reduce && !HasPalette(file)) {
    // A level twice the need on each side: see jp2_decoder.h.
    const uint64_t wide = uint64_t{needed.width} * 2, high = uint64_t{needed.height} * 2;
    for (uint32_t r = LevelsInMainHeader(pass.codec.get(), header.numcomps) - 1; r > 0; --r) {
      const Size reduced = ReducedSize(header, r);
      if (reduced.width >= wide && reduced.height >= high) {
        reduction = r;
        break;
      }
    }
  }
  if (reduction > 0 && !opj_set_decoded_resolution_factor(pass.codec.get(), reduction))
    return Describe(pass.reader, false);
  if (!opj_decode(pass.codec.get(), pass.stream.get(), pass.image.get())) {
    const std::string& error = pass.reader.error;
    *again = reduction > 0 && error.find(kTooFewLevels) != std::string::npos;
    if (SaysOutOfMemory(error)) return OutOfMemory(kJp2, ReducedSize(header, reduction));
    return Describe(pass.reader, false);
  }
  Layout layout;
  if (Status status = ReadLayout(*pass.image, &layout); !status.ok()) return status;
  return Deliver(*pass.image, layout, full, needed, sink);
}

}  // namespace

Status Jp2Decoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  bool again = false;
  Status status = DecodeOnce(file, request, /*may_reduce=*/true, sink, &again);
  if (again) status = DecodeOnce(file, request, /*may_reduce=*/false, sink, &again);
  return status;
}

}  // namespace thumbpipe
