#include "worker/decoders/opencv_codec.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "worker/decoders/opencv_plugin.h"
#include "worker/decoders/plugin_loader.h"

namespace thumbpipe {
namespace {

struct Plugin {
  decltype(&thumbpipe_opencv_decode) decode = nullptr;
  decltype(&thumbpipe_opencv_free) release = nullptr;
  std::string error;  // why it could not be loaded
};

// Loads the plug-in from the running program's folder, once per process (a worker's pixel limit
// never changes).
const Plugin& ThePlugin(uint64_t max_pixels) {
  static const Plugin plugin = [max_pixels] {
    Plugin loaded;
    // OpenCV reads its pixel limit from the environment as its library loads, not later.
    if (max_pixels != 0)
      ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(max_pixels).c_str(), 1);
    LoadPlugin(THUMBPIPE_OPENCV_PLUGIN, "thumbpipe_opencv_decode", "thumbpipe_opencv_free",
               &loaded.decode, &loaded.release, &loaded.error);
    return loaded;
  }();
  return plugin;
}

// OpenCV picks its decoder by its own signature checks, not by our sniffing: when the decoder
// for the format we sniffed declines a file, OpenCV goes on down its list, and its DICOM
// decoder claims any file with "DICM" at byte 128. gdcm then aborts the whole process on
// damaged data, leaving OpenCV's temporary copy of the file behind. An image of ours has those
// bytes there practically never by chance, so such files do not reach OpenCV at all.
bool LooksLikeDicom(std::span<const uint8_t> file) {
  return file.size() >= 132 && std::memcmp(file.data() + 128, "DICM", 4) == 0;
}

// The plug-in's outcome as a reason (decoder.h); `what` is its plain detail, or empty.
Status Describe(Format format, ThumbpipeOpenCvOutcome outcome, std::string_view what,
                uint64_t max_pixels) {
  switch (outcome) {
    case THUMBPIPE_OPENCV_TRUNCATED:
      return Truncated(format);
    case THUMBPIPE_OPENCV_BAD_HEADER:
      return CorruptHeader(format, what);
    case THUMBPIPE_OPENCV_BAD_DATA:
      return Corrupt(format, what);
    case THUMBPIPE_OPENCV_UNSUPPORTED:
      return Unsupported(format, what);
    case THUMBPIPE_OPENCV_TOO_MANY_PIXELS:
      // Without --max-pixels, OpenCV's own limit of 2^30 pixels.
      if (max_pixels == 0) return Unsupported(format, "more than 1073741824 pixels");
      return TooManyPixels(format, {}, max_pixels);
    case THUMBPIPE_OPENCV_OUT_OF_MEMORY:
      return OutOfMemory(format);
    default:
      return DamagedOrUnsupported(format);
  }
}

}  // namespace

Status OpenCvDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  if (LooksLikeDicom(file)) return Unsupported(format_, "a DICOM signature at byte 128");
  const Plugin& plugin = ThePlugin(request.max_pixels);
  if (!plugin.error.empty()) {
    return Status::Transient(
        fmt::format("{} decoder could not be loaded: {}", FormatName(format_), plugin.error));
  }
  ThumbpipeDecodedImage image{};
  char error[512] = "";
  if (const ThumbpipeOpenCvOutcome outcome =
          plugin.decode(file.data(), file.size(), request.max_pixels, &image, error, sizeof error);
      outcome != THUMBPIPE_OPENCV_OK) {
    return Describe(format_, outcome, error, request.max_pixels);
  }
  const Size size{image.width, image.height};
  const Status status =
      HandOverWhole(format_, size, image.channels, image.pixels, request.max_pixels, sink);
  plugin.release(&image);
  return status;
}

}  // namespace thumbpipe
