#include "worker/decoders/opencv_codec.h"

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "worker/decoders/opencv_plugin.h"

namespace thumbpipe {
namespace {

struct Plugin {
  decltype(&thumbpipe_opencv_decode) decode = nullptr;
  decltype(&thumbpipe_opencv_free) release = nullptr;
  std::string error;  // why it could not be loaded
};

// Loads the plug-in from the running program's folder, once per process.
const Plugin& LoadPlugin() {
  static const Plugin plugin = [] {
    Plugin loaded;
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::string path = (self.parent_path() / THUMBPIPE_OPENCV_PLUGIN).string();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      loaded.error =
          fmt::format("cannot load the OpenCV decoders: {}", why != nullptr ? why : path);
      return loaded;
    }
    loaded.decode = reinterpret_cast<decltype(&thumbpipe_opencv_decode)>(
        ::dlsym(handle, "thumbpipe_opencv_decode"));
    loaded.release = reinterpret_cast<decltype(&thumbpipe_opencv_free)>(
        ::dlsym(handle, "thumbpipe_opencv_free"));
    if (loaded.decode == nullptr || loaded.release == nullptr) {
      loaded.error = fmt::format("'{}' is not a thumbpipe OpenCV plug-in", path);
    }
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

}  // namespace

Status OpenCvDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  if (LooksLikeDicom(file)) {
    return Status::Error("has a DICOM signature at byte 128, which OpenCV would follow");
  }
  const Plugin& plugin = LoadPlugin();
  if (!plugin.error.empty()) return Status::Error(plugin.error);
  ThumbpipeDecodedImage image{};
  char error[512] = "";
  if (plugin.decode(file.data(), file.size(), request.max_pixels, &image, error, sizeof error) !=
      0) {
    return Status::Error(error);
  }
  const Size size{image.width, image.height};
  Status status = WithinPixelLimit(size, request.max_pixels)
                      ? sink->Begin(size, size, image.channels, 1)
                      : TooManyPixels(format_, size, request.max_pixels);
  if (status.ok()) {
    const size_t stride = static_cast<size_t>(image.width) * image.channels;
    for (uint32_t y = 0; y < image.height; ++y) sink->Row(image.pixels + y * stride);
  }
  plugin.release(&image);
  return status;
}

}  // namespace thumbpipe
