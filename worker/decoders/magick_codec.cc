// MagickDecoder (magick_codec.h): loads thumbpipe-magick.so on first use and hands its pixels
// to the sink; a few checks of its own say "truncated" where ImageMagick would say less.
#include "worker/decoders/magick_codec.h"

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "worker/decoders/magick_plugin.h"
#include "worker/decoders/plugin_loader.h"

namespace thumbpipe {
namespace {

struct Plugin {
  decltype(&thumbpipe_magick_decode) decode = nullptr;
  decltype(&thumbpipe_magick_free) release = nullptr;
  std::string error;  // why it could not be loaded
};

// Loads the plug-in from the running program's folder, once per process.
const Plugin& ThePlugin() {
  static const Plugin plugin = [] {
    Plugin loaded;
    LoadPlugin(THUMBPIPE_MAGICK_PLUGIN, "thumbpipe_magick_decode", "thumbpipe_magick_free",
               &loaded.decode, &loaded.release, &loaded.error);
    return loaded;
  }();
  return plugin;
}

// ImageMagick's coder for a sniffed format; null for a format this decoder does not read.
const char* CoderFor(Format format, std::span<const uint8_t> head) {
  switch (format) {
    case Format::kTga:
      return "TGA";
    case Format::kIco:  // the type field: 1 icon, 2 cursor
      return head.size() > 2 && head[2] == 2 ? "CUR" : "ICO";
    case Format::kPsd:  // version 2 is the large document format
      return head.size() > 5 && head[4] == 0 && head[5] == 2 ? "PSB" : "PSD";
    case Format::kPcx:
      return "PCX";
    case Format::kSgi:
      return "SGI";
    case Format::kXpm:
      return "XPM";
    case Format::kXbm:
      return "XBM";
    default:
      return nullptr;
  }
}

// True when an icon directory points past the end of the file: ImageMagick reports that as a
// damaged header, which hides the likelier cause.
bool IconDataMissing(std::span<const uint8_t> file) {
  if (file.size() < 6) return false;
  const auto u32 = [&](size_t at) {
    return uint32_t{file[at]} | uint32_t{file[at + 1]} << 8 | uint32_t{file[at + 2]} << 16 |
           uint32_t{file[at + 3]} << 24;
  };
  const size_t count = file[4] | file[5] << 8;
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = 6 + 16 * i;
    if (entry + 16 > file.size()) return true;
    if (uint64_t{u32(entry + 8)} + u32(entry + 12) > file.size()) return true;
  }
  return false;
}

uint64_t Be(std::span<const uint8_t> file, size_t at, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value = value << 8 | file[at + i];
  return value;
}

// True when a Photoshop file ends before its composite image does: ImageMagick reports some
// such files as undecompressable and reads others with the missing rows blank.
bool CompositeMissing(std::span<const uint8_t> file) {
  if (file.size() < 26) return true;
  const bool large = Be(file, 4, 2) == 2;  // PSB: longer lengths
  const uint64_t channels = Be(file, 12, 2);
  const uint64_t height = Be(file, 14, 4);
  const uint64_t width = Be(file, 18, 4);
  const uint64_t depth = Be(file, 22, 2);
  uint64_t at = 26;
  // Colour mode data, image resources, layers and masks: each a length and its bytes.
  // Every length is checked against what is left of the file before it is added, so no sum
  // can wrap (the lengths and sizes come from the file: up to 2^64 and 2^32 each).
  const uint64_t size = file.size();
  for (const size_t length_bytes : {size_t{4}, size_t{4}, large ? size_t{8} : size_t{4}}) {
    if (length_bytes > size - at) return true;
    const uint64_t length = Be(file, at, length_bytes);
    at += length_bytes;
    if (length > size - at) return true;
    at += length;
  }
  if (2 > size - at) return true;
  const uint64_t compression = Be(file, at, 2);
  at += 2;
  // channels and depth have 16 bits, height and width 32: rows and a row's bytes fit in 64 bits,
  // their product may not, so it is compared by division.
  const uint64_t rows = channels * height;
  if (compression == 0) {
    const uint64_t row_bytes = (width * depth + 7) / 8;
    return row_bytes != 0 && rows > (size - at) / row_bytes;
  }
  if (compression != 1) return false;  // ZIP: ImageMagick says what it makes of it
  const size_t count_bytes = large ? 4 : 2;
  if (rows > (size - at) / count_bytes) return true;
  const uint64_t left = size - at - rows * count_bytes;
  uint64_t packed = 0;
  for (uint64_t row = 0; row < rows; ++row) {
    packed += Be(file, at + row * count_bytes, count_bytes);
    if (packed > left) return true;
  }
  return false;
}

// The plug-in's reason (see magick_plugin.cc: Describe) in the words of decoder.h; the phrase
// ImageMagick gave stays out of it.
Status Reason(Format format, std::string_view reason) {
  if (reason.starts_with("the file ends early")) return Truncated(format);
  if (reason.starts_with("the header is damaged")) return CorruptHeader(format);
  if (reason.starts_with("the image needs more memory than ImageMagick may use")) {
    return Status::Error(
        fmt::format("{} image needs more memory than ImageMagick may use (its limits are in "
                    "/etc/ImageMagick-6/policy.xml)",
                    FormatName(format)));
  }
  return DamagedOrUnsupported(format);
}

}  // namespace

Status MagickDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  const char* coder = CoderFor(format_, input.Head());
  if (coder == nullptr) {
    return Status::Error(fmt::format("ImageMagick is not used for {}", FormatName(format_)));
  }
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  if ((format_ == Format::kIco && IconDataMissing(file)) ||
      (format_ == Format::kPsd && CompositeMissing(file))) {
    return Truncated(format_);
  }
  const Plugin& plugin = ThePlugin();
  if (!plugin.error.empty()) {
    return Status::Transient(
        fmt::format("{} decoder could not be loaded: {}", FormatName(format_), plugin.error));
  }
  ThumbpipeMagickImage image{};
  char error[512] = "";
  const int result = plugin.decode(file.data(), file.size(), coder, request.max_pixels, &image,
                                   error, sizeof error);
  const Size size{image.width, image.height};
  switch (result) {
    case THUMBPIPE_MAGICK_OK:
      break;
    case THUMBPIPE_MAGICK_TOO_MANY_PIXELS:
      return TooManyPixels(format_, size, request.max_pixels);
    case THUMBPIPE_MAGICK_OUT_OF_MEMORY:
      return OutOfMemory(format_, size);
    default:
      return Reason(format_, error);
  }
  if (image.icc != nullptr && image.icc_size <= ColourSource::kMaxProfileBytes) {
    ColourSource source;
    source.icc.assign(image.icc, image.icc + image.icc_size);
    sink->SetColour(std::move(source));
  }
  const Status status =
      HandOverWhole(format_, size, image.channels, image.pixels, request.max_pixels, sink);
  plugin.release(&image);
  return status;
}

}  // namespace thumbpipe
