#include "worker/decoders/tiff_decoder.h"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

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
    status = TooManyPixels(Format::kTiff, full, request.max_pixels);
  } else {
    try {
      raster.resize(static_cast<size_t>(full.width) * full.height);
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(Format::kTiff, full);
    }
  }
  if (status.ok() && !TIFFRGBAImageGet(&image, raster.data(), full.width, full.height)) {
    status = Status::Error(memory.error.empty() ? "damaged TIFF data" : memory.error);
  }
  TIFFRGBAImageEnd(&image);
  TIFFClose(tif);
  if (!status.ok()) return status;

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
