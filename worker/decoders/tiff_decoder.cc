#include "worker/decoders/tiff_decoder.h"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "worker/colour/colour_transform.h"

namespace thumbpipe {
namespace {

constexpr Format kTiff = Format::kTiff;

// The file in memory, as libtiff's client I/O sees it.
struct Memory {
  std::span<const uint8_t> data;
  toff_t position = 0;
  std::string error;  // libtiff's first error message, without its module
};

tmsize_t ReadProc(thandle_t handle, void* out, tmsize_t size) {
  auto* m = static_cast<Memory*>(handle);
  if (size < 0 || m->position >= m->data.size()) return 0;
  const size_t n = std::min<size_t>(static_cast<size_t>(size), m->data.size() - m->position);
  std::memcpy(out, m->data.data() + m->position, n);
  m->position += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t WriteProc(thandle_t, void*, tmsize_t) { return -1; }

toff_t SeekProc(thandle_t handle, toff_t offset, int whence) {
  auto* m = static_cast<Memory*>(handle);
  const toff_t base = whence == SEEK_CUR ? m->position : whence == SEEK_END ? m->data.size() : 0;
  m->position = base + offset;
  return m->position;
}

int CloseProc(thandle_t) { return 0; }
toff_t SizeProc(thandle_t handle) { return static_cast<Memory*>(handle)->data.size(); }

int OnError(TIFF*, void* user_data, const char*, const char* format, va_list args) {
  auto* m = static_cast<Memory*>(user_data);
  if (m->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    m->error = text;
  }
  return 1;
}

int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

// Whether `text` is words and numbers only, as tag names and values are.
bool Plain(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' ||
           c == '-' || c == '/' || c == ',';
  });
}

// The first word in double quotes in libtiff's message: the name of a tag.
std::string QuotedTag(std::string_view message) {
  const size_t open = message.find('"');
  const size_t close = open == std::string_view::npos ? open : message.find('"', open + 1);
  if (close == std::string_view::npos) return {};
  const std::string_view tag = message.substr(open + 1, close - open - 1);
  return Plain(tag) && tag.find(' ') == std::string_view::npos ? std::string(tag) : std::string();
}

// libtiff's error text as a reason (decoder.h). libtiff has no error codes. It reads the file
// through ReadProc, which fails only past the end: every failed read is a file that ends
// before the places its directory points to. `header` tells whether the error came while the
// directory was read.
Status Describe(std::string_view error, bool header, Size full, uint64_t max_pixels) {
  const auto has = [&](std::string_view text) { return Mentions(error, text); };
  if (has("limit defined in open options")) return TooManyPixels(kTiff, full, max_pixels);
  if (has("memory") || has("allocate") || has("No space")) return OutOfMemory(kTiff, full);
  if (has("Read error") || has("Cannot read") || has("Can not read") || has("Seek error") ||
      has("Error fetching") || has("end of file") || has("not enough data")) {
    return Truncated(kTiff);
  }
  if (has("bad magic number") || has("bad version number"))
    return CorruptHeader(kTiff, "the signature is wrong");
  if (const std::string tag = QuotedTag(error); header && !tag.empty()) {
    if (has("missing required"))
      return CorruptHeader(kTiff, fmt::format("the required {} tag is missing", tag));
    return CorruptHeader(kTiff, fmt::format("the {} tag is invalid", tag));
  }
  if (header) return CorruptHeader(kTiff, "its directory of tags is invalid");
  return Corrupt(kTiff, "its compressed pixels do not decompress");
}

// Why TIFFRGBAImageOK refused the file. Its messages name what it cannot handle ("Sorry, can
// not handle images with 64-bit samples", "... image with PhotometricInterpretation=32844")
// or a tag it misses ("Missing needed PhotometricInterpretation tag").
Status DescribeLayout(std::string_view message) {
  constexpr std::string_view kCannot = "can not handle ", kMissing = "Missing needed ";
  if (const size_t at = message.find(kCannot); at != std::string_view::npos) {
    std::string what(message.substr(at + kCannot.size()));
    if (const size_t with = what.find(" with "); with != std::string::npos) what.erase(0, with + 6);
    std::replace(what.begin(), what.end(), '=', ' ');
    if (Plain(what) && what != "image") return Unsupported(kTiff, what);
  }
  if (message.starts_with(kMissing) && message.ends_with(" tag")) {
    const std::string_view tag =
        message.substr(kMissing.size(), message.size() - kMissing.size() - 4);
    if (Plain(tag)) return CorruptHeader(kTiff, fmt::format("the required {} tag is missing", tag));
  }
  return Unsupported(kTiff, "a layout libtiff cannot turn into RGB");
}

// What of the file's samples is kept: grey when it is grey, alpha when it has an alpha sample,
// and whether that alpha is associated (the colours stored multiplied by it).
struct Layout {
  uint32_t channels = 3;
  bool associated = false;
};

// Reads the layout, and has libtiff hand over unassociated alpha's colours as stored: it
// multiplies them by alpha otherwise (and grey with alpha never), losing their precision where
// alpha is low. Told the alpha is associated, it leaves every sample as the file has it; the
// directory is changed in memory only.
Layout ReadLayout(TIFF* tif) {
  uint16_t photometric = PHOTOMETRIC_RGB, samples = 1, extra_count = 0;
  uint16_t* extra = nullptr;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  const bool grey =
      (photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE) &&
      samples - extra_count == 1;
  const uint16_t alpha = extra_count > 0 && extra != nullptr ? extra[0] : EXTRASAMPLE_UNSPECIFIED;
  Layout layout;
  layout.channels = grey ? 1 : 3;
  if (alpha == EXTRASAMPLE_ASSOCALPHA || alpha == EXTRASAMPLE_UNASSALPHA) {
    ++layout.channels;
    layout.associated = alpha == EXTRASAMPLE_ASSOCALPHA;
  }
  if (alpha == EXTRASAMPLE_UNASSALPHA) {
    std::vector<uint16_t> as_associated(extra, extra + extra_count);
    as_associated[0] = EXTRASAMPLE_ASSOCALPHA;
    TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, extra_count, as_associated.data());
  }
  return layout;
}

// A colour stored multiplied by alpha, as it was before.
uint8_t Unassociate(uint32_t colour, uint32_t alpha) {
  return alpha == 0
             ? 0
             : static_cast<uint8_t>(std::min<uint32_t>(255, (colour * 255 + alpha / 2) / alpha));
}

std::vector<uint8_t> IccProfile(TIFF* tif) {
  uint32_t size = 0;
  void* data = nullptr;
  if (TIFFGetField(tif, TIFFTAG_ICCPROFILE, &size, &data) != 1 || data == nullptr ||
      size > ColourSource::kMaxProfileBytes) {
    return {};
  }
  const auto* bytes = static_cast<const uint8_t*>(data);
  return {bytes, bytes + size};
}

// True for CMYK that can be read a row at a time as stored: 8-bit inks, interleaved, in
// strips. libtiff's RGBA interface would turn it into RGB by formula, with no profile.
bool IsPlainCmyk(TIFF* tif) {
  uint16_t photometric = 0, inkset = INKSET_CMYK, bits = 0, samples = 0, planar = 0;
  uint16_t extra_count = 0;
  uint16_t* extra = nullptr;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  return photometric == PHOTOMETRIC_SEPARATED && inkset == INKSET_CMYK && bits == 8 &&
         samples == 4 && extra_count == 0 && planar == PLANARCONFIG_CONTIG && !TIFFIsTiled(tif);
}

// Plain CMYK (see IsPlainCmyk), row by row through its profile or the default CMYK one.
Status DecodeCmyk(TIFF* tif, Memory& memory, const DecodeRequest& request, RowSink* sink) {
  uint32_t width = 0, height = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
  const Size full{width, height};
  if (!WithinPixelLimit(full, request.max_pixels))
    return TooManyPixels(kTiff, full, request.max_pixels);
  const auto transform = ColourTransform::CmykToSrgb(IccProfile(tif), /*inverted=*/false);
  std::vector<uint8_t> cmyk, rgb;
  try {
    cmyk.resize(std::max<size_t>(static_cast<size_t>(TIFFScanlineSize64(tif)), size_t{width} * 4));
    rgb.resize(size_t{width} * 3);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(kTiff, full);
  }
  Status status = sink->Begin(full, full, 3, 1);
  for (uint32_t y = 0; status.ok() && y < height; ++y) {
    if (TIFFReadScanline(tif, cmyk.data(), y, 0) < 0) {
      return Describe(memory.error, false, full, request.max_pixels);
    }
    transform->Convert(cmyk.data(), rgb.data(), width);
    sink->Row(rgb.data());
  }
  return status;
}

}  // namespace

Status TiffDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  Memory memory;
  if (Status status = input.Whole(&memory.data); !status.ok()) return status;
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options, OnError, &memory);
  TIFFOpenOptionsSetWarningHandlerExtR(options, OnWarning, &memory);
  // No single allocation of libtiff's may pass the pixel limit's worth of RGBA.
  if (request.max_pixels != 0) {
    TIFFOpenOptionsSetMaxSingleMemAlloc(
        options, static_cast<tmsize_t>(std::min<uint64_t>(request.max_pixels * 4, INT64_MAX / 2)));
  }
  TIFF* tif = TIFFClientOpenExt("", "rm", &memory, ReadProc, WriteProc, SeekProc, CloseProc,
                                SizeProc, nullptr, nullptr, options);
  TIFFOpenOptionsFree(options);
  if (tif == nullptr) return Describe(memory.error, true, {}, request.max_pixels);

  // A compression libtiff was built without fails only once the pixels are read, and with
  // words about "methods" and "schemes": said here, plainly.
  uint16_t compression = COMPRESSION_NONE;
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  if (!TIFFIsCODECConfigured(compression)) {
    const TIFFCodec* codec = TIFFFindCODEC(compression);
    TIFFClose(tif);
    return Unsupported(kTiff, codec != nullptr ? fmt::format("{} compression", codec->name)
                                               : fmt::format("compression scheme {}", compression));
  }

  Status status;
  if (IsPlainCmyk(tif)) {
    status = DecodeCmyk(tif, memory, request, sink);
    TIFFClose(tif);
    return status;
  }
  std::vector<uint8_t> icc = IccProfile(tif);
  char message[1024] = "";
  TIFFRGBAImage image;
  std::vector<uint32_t> raster;
  const Layout layout = ReadLayout(tif);
  const uint32_t channels = layout.channels;
  if (!TIFFRGBAImageOK(tif, message)) {
    TIFFClose(tif);
    return DescribeLayout(message);
  }
  if (!TIFFRGBAImageBegin(&image, tif, /*stop_on_error=*/1, message)) {
    status = memory.error.empty() ? DescribeLayout(message)
                                  : Describe(memory.error, true, {}, request.max_pixels);
    TIFFClose(tif);
    return status;
  }
  const Size full{image.width, image.height};
  // Pixels as stored: the thumbnailer applies the Orientation tag itself.
  image.req_orientation = ORIENTATION_TOPLEFT;
  image.orientation = ORIENTATION_TOPLEFT;
  if (!WithinPixelLimit(full, request.max_pixels)) {
    status = TooManyPixels(kTiff, full, request.max_pixels);
  } else {
    try {
      raster.resize(static_cast<size_t>(full.width) * full.height);
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(kTiff, full);
    }
  }
  if (status.ok() && !TIFFRGBAImageGet(&image, raster.data(), full.width, full.height)) {
    status = memory.error.empty() ? Corrupt(kTiff)
                                  : Describe(memory.error, false, full, request.max_pixels);
  }
  TIFFRGBAImageEnd(&image);
  TIFFClose(tif);
  if (!status.ok()) return status;

  if (!icc.empty()) sink->SetColour(ColourSource::FromIcc(std::move(icc)));
  status = sink->Begin(full, full, channels, 1);
  std::vector<uint8_t> row(static_cast<size_t>(full.width) * channels);
  for (uint32_t y = 0; status.ok() && y < full.height; ++y) {
    const uint32_t* abgr = &raster[static_cast<size_t>(y) * full.width];
    uint8_t* out = row.data();
    for (uint32_t x = 0; x < full.width; ++x) {
      const uint32_t p = abgr[x];
      const uint32_t a = TIFFGetA(p);
      const auto colour = [&](uint32_t c) {
        return layout.associated ? Unassociate(c, a) : static_cast<uint8_t>(c);
      };
      *out++ = colour(TIFFGetR(p));
      if (channels >= 3) {
        *out++ = colour(TIFFGetG(p));
        *out++ = colour(TIFFGetB(p));
      }
      if (channels == 2 || channels == 4) *out++ = static_cast<uint8_t>(a);
    }
    sink->Row(row.data());
  }
  return status;
}

}  // namespace thumbpipe
