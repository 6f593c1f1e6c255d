#include "worker/decoders/tiff_decoder.h"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "worker/colour/colour_transform.h"

namespace thumbpipe {
namespace {

// The file in memory, as libtiff's client I/O sees it.
struct Memory {
  std::span<const uint8_t> data;
  toff_t position = 0;
  std::string error;  // libtiff's first error message
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

int OnError(TIFF*, void* user_data, const char* module, const char* format, va_list args) {
  auto* m = static_cast<Memory*>(user_data);
  if (m->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    m->error = module != nullptr && *module != '\0' ? std::string(module) + ": " + text : text;
  }
  return 1;
}

int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

// Channels to keep: grey when the file is grey, alpha when it has an alpha sample.
uint32_t KeptChannels(TIFF* tif) {
  uint16_t photometric = PHOTOMETRIC_RGB, samples = 1, extra_count = 0;
  uint16_t* extra = nullptr;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  const bool grey =
      (photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE) &&
      samples - extra_count == 1;
  const bool alpha = extra_count > 0 && extra != nullptr &&
                     (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA);
  return (grey ? 1 : 3) + (alpha ? 1 : 0);
}

std::vector<uint8_t> IccProfile(TIFF* tif) {
  uint32_t size = 0;
  void* data = nullptr;
  if (TIFFGetField(tif, TIFFTAG_ICCPROFILE, &size, &data) != 1 || data == nullptr) return {};
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
  if (!WithinPixelLimit(full, request.max_pixels)) return TooManyPixels(full, request.max_pixels);
  const auto transform = ColourTransform::CmykToSrgb(IccProfile(tif), /*inverted=*/false);
  std::vector<uint8_t> cmyk, rgb;
  try {
    cmyk.resize(std::max<size_t>(static_cast<size_t>(TIFFScanlineSize64(tif)), size_t{width} * 4));
    rgb.resize(size_t{width} * 3);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(full);
  }
  Status status = sink->Begin(full, full, 3, 1);
  for (uint32_t y = 0; status.ok() && y < height; ++y) {
    if (TIFFReadScanline(tif, cmyk.data(), y, 0) < 0) {
      return Status::Error(memory.error.empty() ? "damaged TIFF data" : memory.error);
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
  if (tif == nullptr)
    return Status::Error(memory.error.empty() ? "damaged TIFF header" : memory.error);

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
  if (!TIFFRGBAImageOK(tif, message) ||
      !TIFFRGBAImageBegin(&image, tif, /*stop_on_error=*/1, message)) {
    status = Status::Error(message[0] != '\0' ? message : "unsupported TIFF layout");
    TIFFClose(tif);
    return status;
  }
  const Size full{image.width, image.height};
  const uint32_t channels = KeptChannels(tif);
  // Pixels as stored: the thumbnailer applies the Orientation tag itself.
  image.req_orientation = ORIENTATION_TOPLEFT;
  image.orientation = ORIENTATION_TOPLEFT;
  if (!WithinPixelLimit(full, request.max_pixels)) {
    status = TooManyPixels(full, request.max_pixels);
  } else {
    try {
      raster.resize(static_cast<size_t>(full.width) * full.height);
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(full);
    }
  }
  if (status.ok() && !TIFFRGBAImageGet(&image, raster.data(), full.width, full.height)) {
    status = Status::Error(memory.error.empty() ? "damaged TIFF data" : memory.error);
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
      if (channels <= 2) {
        *out++ = static_cast<uint8_t>(TIFFGetR(p));
      } else {
        *out++ = static_cast<uint8_t>(TIFFGetR(p));
        *out++ = static_cast<uint8_t>(TIFFGetG(p));
        *out++ = static_cast<uint8_t>(TIFFGetB(p));
      }
      if (channels == 2 || channels == 4) *out++ = static_cast<uint8_t>(TIFFGetA(p));
    }
    sink->Row(row.data());
  }
  return status;
}

}  // namespace thumbpipe
