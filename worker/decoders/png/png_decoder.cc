#include "worker/decoders/png/png_decoder.h"

#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "worker/colour/colour_transform.h"
#include "worker/decoders/png/idat_decoder.h"
#include "worker/decoders/png/row_expander.h"

namespace thumbpipe {
namespace {

// Why a second read of the file cannot be trusted to give the rows of the first.
constexpr std::string_view kChangedWhileRead = "the file changed while it was read";

// libpng pulls bytes in small pieces; they come from the file in chunks of this size.
constexpr size_t kChunkBytes = 64 * 1024;

constexpr Format kPng = Format::kPng;

struct Source {
  Input* input = nullptr;
  std::vector<uint8_t> chunk = std::vector<uint8_t>(kChunkBytes);
  size_t offset = 0;  // in chunk
  size_t size = 0;    // of chunk
  Status read_error;  // Input's, passed on as it is
  bool truncated = false;
  std::string error;            // libpng's, for Describe
  std::string ihdr_warning;     // libpng's first about IHDR: what was wrong in a header it refused
  uint8_t last_header[8] = {};  // the last 8 bytes libpng asked for at once: a chunk's header
};

// The file after what libpng read, for the fast path: the rest of Source's chunk, then more.
class SourceBytes : public ByteSource {
 public:
  explicit SourceBytes(Source* source) : source_(source) {}
  std::span<const uint8_t> Next() override {
    if (source_->offset == source_->size) {
      size_t got = 0;
      if (Status status = source_->input->Read(source_->chunk.data(), source_->chunk.size(), &got);
          !status.ok() || got == 0) {
        return {};
      }
      source_->offset = 0;
      source_->size = got;
    }
    return {source_->chunk.data() + source_->offset, source_->size - source_->offset};
  }
  void Consume(size_t size) override { source_->offset += size; }

 private:
  Source* source_;
};

// What the fast path did: nothing (libpng decodes), all of it, or it gave up after reading
// image data and handing over `rows`, and the file is to be decoded again by libpng.
struct FastPath {
  enum class Outcome { kNotTaken, kDone, kGaveUp } outcome = Outcome::kNotTaken;
  uint32_t rows = 0;
  Size full;  // what the sink was told at Begin
  uint32_t channels = 0;
};

// Passes on what libpng decodes from the start again after the fast path gave up: the colours
// and Begin were passed on already, and the first `skip` rows.
class SkippingSink : public RowSink {
 public:
  SkippingSink(RowSink* sink, Size full, uint32_t channels, uint32_t skip)
      : sink_(sink), full_(full), channels_(channels), skip_(skip) {}
  Status Begin(Size full, Size rows, uint32_t channels, uint32_t block) override {
    if (full != full_ || rows != full_ || channels != channels_ || block != 1)
      return Status::Transient(Corrupt(kPng, kChangedWhileRead).message());
    return Status::OK();
  }
  void Row(const uint8_t* row) override {
    if (skip_ > 0) {
      --skip_;
    } else {
      sink_->Row(row);
    }
  }

 private:
  RowSink* sink_;
  Size full_;
  uint32_t channels_;
  uint32_t skip_;
};

[[noreturn]] void OnError(png_structp png, png_const_charp message) {
  auto* source = static_cast<Source*>(png_get_error_ptr(png));
  if (source->error.empty()) source->error = message;
  png_longjmp(png, 1);
}

void OnWarning(png_structp png, png_const_charp message) {
  auto* source = static_cast<Source*>(png_get_error_ptr(png));
  if (source->ihdr_warning.empty() && Mentions(message, "IHDR")) source->ihdr_warning = message;
}

// What libpng's check of IHDR warned about, before it gave up with "Invalid IHDR data".
std::string_view HeaderFault(std::string_view warning) {
  constexpr std::pair<std::string_view, std::string_view> kFaults[] = {
      {"width is zero", "the width is zero"},
      {"height is zero", "the height is zero"},
      {"image width", "the width is out of range"},
      {"image height", "the height is out of range"},
      {"width exceeds", "the width is out of range"},
      {"height exceeds", "the height is out of range"},
      {"too large", "the image is too wide to hold a row"},
      {"bit depth/color type", "its bit depth does not go with its colour type"},
      {"color type/bit depth", "its bit depth does not go with its colour type"},
      {"bit depth", "its bit depth is invalid"},
      {"color type", "its colour type is invalid"},
      {"interlace", "its interlace method is unknown"},
      {"compression", "its compression method is unknown"},
      {"filter", "its filter method is unknown"},
  };
  for (const auto& [text, fault] : kFaults) {
    if (Mentions(warning, text)) return fault;
  }
  return {};
}

// libpng's error text as a reason (decoder.h). libpng has no error codes; its messages are
// "[chunk]: what" or plain text, and zlib's texts for damaged compressed data.
Status Describe(const Source& source, bool header_read, Size full) {
  if (!source.read_error.ok()) return source.read_error;
  if (source.truncated) return Truncated(kPng);
  const std::string_view error = source.error;
  const auto has = [&](std::string_view text) { return Mentions(error, text); };
  // png_chunk_error puts the chunk's type in front; a damaged type is printed in hex.
  const size_t colon = error.find(": ");
  const std::string_view chunk = colon == 4 ? error.substr(0, 4) : std::string_view();
  if (has("memory") || has("too wide to process")) return OutOfMemory(kPng, full);
  if (has("CRC error")) {
    if (chunk == "IHDR") return CorruptHeader(kPng, "the header chunk's checksum is wrong");
    if (chunk == "IDAT") return Corrupt(kPng, "an image data chunk's checksum is wrong");
    return Corrupt(kPng, "a chunk's checksum is wrong");
  }
  if (has("IHDR")) {
    const std::string_view fault = HeaderFault(source.ihdr_warning);
    return CorruptHeader(kPng, fault.empty() ? "the header chunk is invalid" : fault);
  }
  if (has("invalid chunk type")) return Corrupt(kPng, "a chunk's type is invalid");
  if (chunk == "IEND" && has("out of place")) return Corrupt(kPng, "the image data is missing");
  if (has("out of place") || has("missing") || has("duplicate")) {
    if (has("PLTE")) return Corrupt(kPng, "the palette is missing or out of place");
    return Corrupt(kPng, "its chunks are out of order");
  }
  if (has("PLTE") || has("palette")) return Corrupt(kPng, "the palette is invalid");
  if (has("filter")) return Corrupt(kPng, "a row has an unknown filter type");
  // zlib's words, behind the chunk they were found in.
  if (chunk == "IDAT" || has("image data") || has("compressed") || has("Decompression"))
    return Corrupt(kPng, "its compressed pixels do not decompress");
  if (has("length") || has("too large")) return Corrupt(kPng, "a chunk's length is invalid");
  return header_read ? Corrupt(kPng) : CorruptHeader(kPng);
}

void Read(png_structp png, png_bytep out, size_t size) {
  auto* source = static_cast<Source*>(png_get_io_ptr(png));
  while (size > 0) {
    if (source->offset == source->size) {
      size_t got = 0;
      if (Status status = source->input->Read(source->chunk.data(), source->chunk.size(), &got);
          !status.ok()) {
        source->read_error = status;
        png_error(png, "read error");
      }
      if (got == 0) {
        source->truncated = true;
        png_error(png, "truncated");
      }
      source->offset = 0;
      source->size = got;
    }
    const size_t n = std::min(size, source->size - source->offset);
    std::memcpy(out, source->chunk.data() + source->offset, n);
    if (size == sizeof source->last_header && n == size) std::memcpy(source->last_header, out, n);
    source->offset += n;
    out += n;
    size -= n;
  }
}

// Tells the sink how the PNG's colours are to be read: iCCP, else gAMA and cHRM; an sRGB chunk
// (or none of them) means sRGB. libpng applies none of them itself (no png_set_gamma).
void ReadColour(png_structp png, png_infop info, RowSink* sink) {
  if (png_get_valid(png, info, PNG_INFO_sRGB)) return;
  ColourSource source;
  png_charp name = nullptr;
  int compression = 0;
  png_bytep profile = nullptr;
  png_uint_32 length = 0;
  if (png_get_iCCP(png, info, &name, &compression, &profile, &length) && length > 0 &&
      length <= ColourSource::kMaxProfileBytes) {
    source.icc.assign(profile, profile + length);
  }
  double gamma = 0;
  if (png_get_gAMA(png, info, &gamma) && gamma > 0) source.file_gamma = gamma;
  Chromaticities c;
  if (png_get_cHRM(png, info, &c.white_x, &c.white_y, &c.red_x, &c.red_y, &c.green_x, &c.green_y,
                   &c.blue_x, &c.blue_y)) {
    source.primaries = c;
  }
  if (!source.IsSrgbByDeclaration()) sink->SetColour(std::move(source));
}

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// The stored layout of a non-interlaced image, as libpng read it from IHDR, PLTE and tRNS;
// false for an interlaced one. Before png_read_update_info, which replaces them with those of
// the transformed rows. Calls no libpng function that can fail.
bool StoredLayout(png_structp png, png_infop info, PngLayout* layout) {
  png_uint_32 width = 0, height = 0;
  int depth = 0, colour_type = 0, interlace = 0;
  png_get_IHDR(png, info, &width, &height, &depth, &colour_type, &interlace, nullptr, nullptr);
  if (interlace != PNG_INTERLACE_NONE) return false;
  layout->width = width;
  layout->bit_depth = static_cast<uint8_t>(depth);
  layout->colour_type = static_cast<uint8_t>(colour_type);
  png_colorp palette = nullptr;
  int palette_size = 0;
  static_assert(sizeof(png_color) == 3, "palette entries are packed R,G,B");
  if (colour_type == PNG_COLOR_TYPE_PALETTE &&
      png_get_PLTE(png, info, &palette, &palette_size) == PNG_INFO_PLTE) {
    layout->palette = {reinterpret_cast<const uint8_t*>(palette),
                       static_cast<size_t>(palette_size) * 3};
  }
  png_bytep alpha = nullptr;
  int alpha_size = 0;
  png_color_16p key = nullptr;
  if (png_get_tRNS(png, info, &alpha, &alpha_size, &key) == PNG_INFO_tRNS) {
    if (colour_type == PNG_COLOR_TYPE_PALETTE) {
      if (alpha != nullptr && alpha_size > 0)
        layout->palette_alpha = {alpha, static_cast<size_t>(alpha_size)};
    } else if (key != nullptr) {
      layout->has_key = true;
      if (colour_type == PNG_COLOR_TYPE_GRAY) {
        layout->key[0] = key->gray;
      } else {
        layout->key[0] = key->red;
        layout->key[1] = key->green;
        layout->key[2] = key->blue;
      }
    }
  }
  return true;
}

// The fast path (idat_decoder.h) for a non-interlaced image of `layout`, `full` pixels, whose
// header libpng has read up to its first IDAT chunk's header; `channels` is what libpng would
// hand over.
FastPath DecodeFast(const PngLayout& layout, Size full, uint32_t channels, Source* source,
                    RowSink* sink) {
  FastPath fast;
  RowExpander expander;
  // The same samples libpng would give, or libpng gives them.
  if (std::memcmp(source->last_header + 4, "IDAT", 4) != 0 || !expander.Init(layout) ||
      expander.channels() != channels) {
    return fast;
  }
  SourceBytes bytes(source);
  const IdatResult result =
      DecodeIdat(bytes, Be32(source->last_header), full.height, expander, sink);
  fast.outcome = result.ok ? FastPath::Outcome::kDone : FastPath::Outcome::kGaveUp;
  fast.rows = result.rows;
  fast.full = full;
  fast.channels = channels;
  return fast;
}

// Decodes `input` from its start with libpng, and with the fast path when `fast` is not null
// (*fast says what it did; when it gave up, the returned status means nothing).
Status DecodeWithLibpng(Input& input, const DecodeRequest& request, RowSink* sink, FastPath* fast) {
  // Everything with a destructor lives outside the setjmp region below.
  Source source;
  source.input = &input;
  std::vector<uint8_t> row;
  Image whole;  // interlaced images only: their rows are complete only after the last pass
  std::vector<png_bytep> rows;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, OnError, OnWarning);
  if (png == nullptr) return OutOfMemory(kPng);
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return OutOfMemory(kPng);
  }
  volatile bool header_read = false;  // read after longjmp
  if (setjmp(png_jmpbuf(png)) != 0) {
    const Size known = header_read
                           ? Size{png_get_image_width(png, info), png_get_image_height(png, info)}
                           : Size{};
    png_destroy_read_struct(&png, &info, nullptr);
    return Describe(source, header_read, known);
  }
  png_set_read_fn(png, &source, Read);
  // Only the pixels are wanted (EXIF is read elsewhere), so every ancillary chunk but tRNS is
  // skipped unread. libpng would otherwise allocate a text, eXIf or sPLT chunk's claimed
  // length (up to 2 GiB, even past its own limit) before finding the file is far shorter.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  // The colour chunks are the exception (an iCCP larger than a profile may be is then ignored).
  static constexpr png_byte kColourChunks[] = "iCCP\0sRGB\0gAMA\0cHRM";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_AS_DEFAULT, kColourChunks, 4);
  // The pixel limit is ours alone (libpng's default refuses sides above a million).
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, info);
  header_read = true;
  ReadColour(png, info, sink);

  const Size full{png_get_image_width(png, info), png_get_image_height(png, info)};
  if (!WithinPixelLimit(full, request.max_pixels)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return TooManyPixels(kPng, full, request.max_pixels);
  }
  PngLayout layout;
  const bool stored_layout = fast != nullptr && StoredLayout(png, info, &layout);
  png_set_expand(png);    // palette to RGB, grey below 8 bits to 8, tRNS to alpha
  png_set_scale_16(png);  // 16 bits to 8, rounded
  const bool interlaced = png_set_interlace_handling(png) > 1;
  png_read_update_info(png, info);

  const uint32_t channels = png_get_channels(png, info);
  const size_t row_bytes = static_cast<size_t>(full.width) * channels;
  if (png_get_bit_depth(png, info) != 8 || channels < 1 || channels > 4 ||
      png_get_rowbytes(png, info) != row_bytes) {
    png_destroy_read_struct(&png, &info, nullptr);
    return Unsupported(kPng, "a layout libpng cannot turn into 8-bit samples");
  }
  Status status = sink->Begin(full, full, channels, 1);
  if (status.ok()) {
    try {
      if (interlaced) {
        rows.resize(full.height);
      } else {
        row.resize(row_bytes);
      }
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(kPng, full);
    }
    if (interlaced && status.ok() && !whole.TryAllocate(full.width, full.height, channels)) {
      status = OutOfMemory(kPng, full);
    }
  }
  if (!status.ok()) {
    png_destroy_read_struct(&png, &info, nullptr);
    return status;
  }
  if (stored_layout) {
    *fast = DecodeFast(layout, full, channels, &source, sink);
    if (fast->outcome != FastPath::Outcome::kNotTaken) {
      png_destroy_read_struct(&png, &info, nullptr);
      return Status::OK();
    }
  }
  if (interlaced) {
    for (uint32_t y = 0; y < full.height; ++y) rows[y] = whole.row(y);
    png_read_image(png, rows.data());
    for (uint32_t y = 0; y < full.height; ++y) sink->Row(whole.row(y));
  } else {
    // Row by row: memory stays one row, whatever the image's size.
    for (uint32_t y = 0; y < full.height; ++y) {
      png_read_row(png, row.data(), nullptr);
      sink->Row(row.data());
    }
  }
  // Chunks after the image data (and a missing IEND) do not change the pixels: not read.
  png_destroy_read_struct(&png, &info, nullptr);
  return Status::OK();
}

}  // namespace

Status DecodePng(Input& input, const DecodeRequest& request, RowSink* sink, bool allow_fast,
                 PngRoute* route) {
  *route = PngRoute::kLibpng;
  if (!allow_fast) return DecodeWithLibpng(input, request, sink, nullptr);
  FastPath fast;
  Status status = DecodeWithLibpng(input, request, sink, &fast);
  if (fast.outcome == FastPath::Outcome::kDone) *route = PngRoute::kFast;
  if (fast.outcome != FastPath::Outcome::kGaveUp) return status;
  // The fast path met something it does not take after reading image data: libpng reads the
  // file again from its start and has the last word, on damage and its reason too. The rows
  // handed over so far came from the same data, so libpng's are the same, provided the file is
  // still what the fast path read: else the rows mix two versions of it, and are refused.
  // Looked at once libpng is done, so a change at any time until then is seen.
  *route = PngRoute::kFastGaveUp;
  if (Status rewound = input.Rewind(); !rewound.ok()) return rewound;
  SkippingSink skipping(sink, fast.full, fast.channels, fast.rows);
  status = DecodeWithLibpng(input, request, &skipping, nullptr);
  // Transient: the next run reads the file as it is then.
  if (input.Changed()) return Status::Transient(Corrupt(kPng, kChangedWhileRead).message());
  return status;
}

Status PngDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  PngRoute route;
  return DecodePng(input, request, sink, true, &route);
}

}  // namespace thumbpipe
