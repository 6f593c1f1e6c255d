// thumbpipe-magick.so: ImageMagick's MagickCore behind the C interface of magick_plugin.h (which
// says why this library, and how it is confined). The only file that includes MagickCore.
#include "worker/decoders/magick_plugin.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <magick/MagickCore.h>

namespace {

// The coders thumbpipe names, and only those. Each reads blobs natively and starts no
// delegate program; ICO and CUR read PNG-compressed icons through the PNG coder, in memory.
constexpr std::array<std::string_view, 9> kCoders{"TGA", "ICO", "CUR", "PSD", "PSB",
                                                  "PCX", "SGI", "XPM", "XBM"};

constexpr MagickSizeType kMiB = 1024 * 1024;
// ImageMagick keeps pixels as 16-bit RGBA (8 bytes each) while decoding. Debian's policy file
// lowers this to 256 MiB, which stops images at about 33 megapixels.
constexpr MagickSizeType kMemory = 1024 * kMiB;
constexpr MagickSizeType kListLength = 256;  // ICO holds at most 256 icons

constexpr std::string_view kTruncated = "the file ends early (is it truncated?)";

void SetError(std::string_view text, char* error, size_t error_size) {
  if (error_size == 0) return;
  std::snprintf(error, error_size, "%.*s", static_cast<int>(text.size()), text.data());
}

// Once per process: ImageMagick itself and the limits that do not depend on the request.
void Configure() {
  static bool configured = false;
  if (configured) return;
  configured = true;
  // One thread (no OpenMP team), and no signal handlers of ImageMagick's in the worker.
  ::setenv("MAGICK_THREAD_LIMIT", "1", 1);
  MagickCoreGenesis(nullptr, MagickFalse);
  SetMagickResourceLimit(ThreadResource, 1);
  SetMagickResourceLimit(DiskResource, 0);  // the pixel cache never spills to a file
  SetMagickResourceLimit(MemoryResource, kMemory);
  SetMagickResourceLimit(MapResource, kMemory);
  SetMagickResourceLimit(ListLengthResource, kListLength);
}

// The request's pixel limit, also as ImageMagick's own limits on any image it makes, which
// back up the exact check of the header. ImageMagick counts against its area limit the pixels
// of all it holds at once (reading a 64x64 image needs an area limit above 4096), so the area
// is given room.
void LimitPixels(uint64_t max_pixels) {
  constexpr uint64_t kAreaRoom = 4;
  const MagickSizeType side = max_pixels != 0 ? max_pixels : MagickResourceInfinity;
  const MagickSizeType area = max_pixels != 0 && max_pixels < MagickResourceInfinity / kAreaRoom
                                  ? max_pixels * kAreaRoom
                                  : MagickResourceInfinity;
  SetMagickResourceLimit(AreaResource, area);
  SetMagickResourceLimit(WidthResource, side);
  SetMagickResourceLimit(HeightResource, side);
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

struct ImageInfoDeleter {
  void operator()(ImageInfo* info) const { DestroyImageInfo(info); }
};
struct ImageListDeleter {
  void operator()(Image* images) const { DestroyImageList(images); }
};
struct ExceptionDeleter {
  void operator()(ExceptionInfo* exception) const { DestroyExceptionInfo(exception); }
};
using Reader = std::unique_ptr<ImageInfo, ImageInfoDeleter>;
using Images = std::unique_ptr<Image, ImageListDeleter>;
using Exception = std::unique_ptr<ExceptionInfo, ExceptionDeleter>;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// ImageMagick's exception in words a user can act on. Its reasons are phrases such as
// "improper image header" or "unexpected end-of-file"; the description names the source file
// of ImageMagick that threw, which says nothing to a user.
std::string Describe(const ExceptionInfo* exception) {
  std::string reason = exception->reason != nullptr ? exception->reason : "";
  // "improper image header `ICO:' @ error/icon.c/ReadICONImage/334": the phrase alone.
  reason = reason.substr(0, std::min(reason.find(" `"), reason.find(" @ ")));
  const std::string lower = Lower(reason);
  if (Contains(lower, "end-of-file") || Contains(lower, "end of file") ||
      Contains(lower, "insufficient image data") || Contains(lower, "unable to read")) {
    return std::string(kTruncated);
  }
  if (Contains(lower, "improper image header") || Contains(lower, "not a ")) {
    return "the header is damaged (ImageMagick: " + reason + ")";
  }
  if (exception->severity == ResourceLimitError || exception->severity == ResourceLimitFatalError ||
      Contains(lower, "cache resources exhausted")) {
    return "the image needs more memory than ImageMagick may use (" + reason +
           "; its limits are in /etc/ImageMagick-6/policy.xml)";
  }
  // An icon whose embedded PNG is damaged, for one, comes back as no image and no reason.
  if (reason.empty()) return "damaged: ImageMagick read no image from it";
  return "damaged or unreadable (ImageMagick: " + reason + ")";
}

// An error, or a warning that data is missing (ImageMagick reads some cut files with the
// missing rows blank, and only warns).
bool Failed(const ExceptionInfo* exception) {
  if (exception->severity >= ErrorException) return true;
  if (exception->severity < WarningException) return false;
  return Describe(exception) == kTruncated;
}

bool OutOfMemory(const ExceptionInfo* exception) {
  return Contains(Lower(exception->reason != nullptr ? exception->reason : ""),
                  "memory allocation failed");
}

// A reader for `coder`, the file in memory: the coder is given as the filename's prefix, so
// ImageMagick takes it as stated and never guesses the format from the bytes.
Reader ReaderFor(const char* coder, bool every_image) {
  Reader info(AcquireImageInfo());
  std::snprintf(info->magick, sizeof info->magick, "%s", coder);
  std::snprintf(info->filename, sizeof info->filename, "%s:", coder);
  info->affirm = MagickTrue;
  if (!every_image) {  // the first image only (PSD: the composite, without its layers)
    info->scene = 0;
    info->number_scenes = 1;
  }
  return info;
}

// TGA stores its rows bottom up unless its descriptor says otherwise, and may store them right
// to left; ImageMagick reads them as stored and records the corner in `orientation`. That is
// the layout of the pixels, not a hint such as EXIF's, so it is undone here.
void ToTopLeft(OrientationType corner, uint8_t* pixels, uint32_t width, uint32_t height,
               uint32_t channels) {
  const size_t stride = size_t{width} * channels;
  const bool flip = corner == BottomLeftOrientation || corner == BottomRightOrientation;
  const bool flop = corner == TopRightOrientation || corner == BottomRightOrientation;
  if (flip) {
    for (uint32_t y = 0; y < height / 2; ++y) {
      std::swap_ranges(pixels + y * stride, pixels + (y + 1) * stride,
                       pixels + (height - 1 - y) * stride);
    }
  }
  if (flop) {
    for (uint32_t y = 0; y < height; ++y) {
      uint8_t* row = pixels + y * stride;
      for (uint32_t x = 0; x < width / 2; ++x) {
        std::swap_ranges(row + x * channels, row + (x + 1) * channels,
                         row + (width - 1 - x) * channels);
      }
    }
  }
}

// Grey images stay grey: those ImageMagick reads as grey, and those whose palette is all grey
// (XBM, grey palettes). Full-colour pixels are not scanned.
bool Grey(const Image* image) {
  if (image->colorspace == GRAYColorspace || image->type == BilevelType ||
      image->type == GrayscaleType || image->type == GrayscaleMatteType) {
    return true;
  }
  if (image->storage_class != PseudoClass || image->colormap == nullptr || image->colors == 0)
    return false;
  for (size_t i = 0; i < image->colors; ++i) {
    const PixelPacket& c = image->colormap[i];
    if (c.red != c.green || c.green != c.blue) return false;
  }
  return true;
}

uint32_t Clamp(size_t n) { return static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX)); }

uint64_t Area(const Image* image) { return uint64_t{image->columns} * uint64_t{image->rows}; }

// The image of the list to thumbnail: the first, or for icons the one with the most pixels
// (the first of equals).
const Image* Chosen(const Image* images, bool largest) {
  const Image* best = images;
  if (!largest) return best;
  for (const Image* image = images; image != nullptr; image = GetNextImageInList(image)) {
    if (Area(image) > Area(best)) best = image;
  }
  return best;
}

}  // namespace

extern "C" int thumbpipe_magick_decode(const uint8_t* data, size_t size, const char* coder,
                                       uint64_t max_pixels, ThumbpipeMagickImage* image,
                                       char* error, size_t error_size) {
  *image = ThumbpipeMagickImage{0, 0, 0, nullptr, nullptr, 0};
  if (std::find(kCoders.begin(), kCoders.end(), std::string_view(coder)) == kCoders.end()) {
    SetError(std::string("the plug-in does not read '") + coder + "'", error, error_size);
    return THUMBPIPE_MAGICK_FAILED;
  }
  Configure();
  LimitPixels(max_pixels);
  const Exception exception(AcquireExceptionInfo());
  const MagickInfo* info = GetMagickInfo(coder, exception.get());
  if (info == nullptr || GetMagickBlobSupport(info) == MagickFalse) {
    // ImageMagick would copy the file to a temporary one for such a coder.
    SetError(std::string("ImageMagick cannot read ") + coder + " from memory here", error,
             error_size);
    return THUMBPIPE_MAGICK_FAILED;
  }
  const bool icons = std::strcmp(coder, "ICO") == 0 || std::strcmp(coder, "CUR") == 0;
  const Reader reader = ReaderFor(coder, icons);

  // The header first: every image the read would decode must be within max_pixels.
  uint32_t width = 0, height = 0;
  {
    const Images pinged(PingBlob(reader.get(), data, size, exception.get()));
    if (pinged == nullptr || Failed(exception.get())) {
      SetError(Describe(exception.get()), error, error_size);
      return THUMBPIPE_MAGICK_FAILED;
    }
    for (const Image* p = pinged.get(); p != nullptr; p = GetNextImageInList(p)) {
      if (max_pixels != 0 && Area(p) > max_pixels) {
        *image = ThumbpipeMagickImage{Clamp(p->columns), Clamp(p->rows), 0, nullptr, nullptr, 0};
        return THUMBPIPE_MAGICK_TOO_MANY_PIXELS;
      }
    }
    const Image* claimed = Chosen(pinged.get(), icons);
    width = Clamp(claimed->columns);
    height = Clamp(claimed->rows);
  }

  const Images images(BlobToImage(reader.get(), data, size, exception.get()));
  if (images == nullptr || Failed(exception.get())) {
    if (OutOfMemory(exception.get())) {
      *image = ThumbpipeMagickImage{width, height, 0, nullptr, nullptr, 0};
      return THUMBPIPE_MAGICK_OUT_OF_MEMORY;
    }
    SetError(Describe(exception.get()), error, error_size);
    return THUMBPIPE_MAGICK_FAILED;
  }
  Image* chosen = const_cast<Image*>(Chosen(images.get(), icons));
  width = Clamp(chosen->columns);
  height = Clamp(chosen->rows);
  if (max_pixels != 0 && Area(chosen) > max_pixels) {
    *image = ThumbpipeMagickImage{width, height, 0, nullptr, nullptr, 0};
    return THUMBPIPE_MAGICK_TOO_MANY_PIXELS;
  }
  if (width == 0 || height == 0) {
    SetError("the image is empty", error, error_size);
    return THUMBPIPE_MAGICK_FAILED;
  }

  // CMYK and Lab (PSD) become RGB here by ImageMagick's own formulas; their ICC profile
  // describes the CMYK or Lab and is not passed on.
  bool keep_profile = true;
  if (chosen->colorspace != sRGBColorspace && chosen->colorspace != RGBColorspace &&
      chosen->colorspace != GRAYColorspace && chosen->colorspace != Rec601LumaColorspace &&
      chosen->colorspace != Rec709LumaColorspace) {
    keep_profile = false;
    if (TransformImageColorspace(chosen, sRGBColorspace) == MagickFalse) {
      SetError(Describe(&chosen->exception), error, error_size);
      return THUMBPIPE_MAGICK_FAILED;
    }
  }
  const bool grey = Grey(chosen);
  const bool alpha = chosen->matte != MagickFalse;
  const char* map = grey ? (alpha ? "IA" : "I") : (alpha ? "RGBA" : "RGB");
  const uint32_t channels = static_cast<uint32_t>(std::strlen(map));
  auto* pixels = static_cast<uint8_t*>(std::malloc(size_t{width} * height * channels));
  if (pixels == nullptr) {
    *image = ThumbpipeMagickImage{width, height, 0, nullptr, nullptr, 0};
    return THUMBPIPE_MAGICK_OUT_OF_MEMORY;
  }
  if (ExportImagePixels(chosen, 0, 0, width, height, map, CharPixel, pixels, exception.get()) ==
      MagickFalse) {
    std::free(pixels);
    SetError(Describe(exception.get()), error, error_size);
    return THUMBPIPE_MAGICK_FAILED;
  }
  if (std::strcmp(coder, "TGA") == 0)
    ToTopLeft(chosen->orientation, pixels, width, height, channels);
  *image = ThumbpipeMagickImage{width, height, channels, pixels, nullptr, 0};
  const StringInfo* profile = keep_profile ? GetImageProfile(chosen, "icc") : nullptr;
  if (profile != nullptr && GetStringInfoLength(profile) > 0) {
    const size_t length = GetStringInfoLength(profile);
    image->icc = static_cast<uint8_t*>(std::malloc(length));
    if (image->icc != nullptr) {
      std::memcpy(image->icc, GetStringInfoDatum(profile), length);
      image->icc_size = length;
    }
  }
  return THUMBPIPE_MAGICK_OK;
}

extern "C" void thumbpipe_magick_free(ThumbpipeMagickImage* image) {
  std::free(image->pixels);
  std::free(image->icc);
  image->pixels = nullptr;
  image->icc = nullptr;
  image->icc_size = 0;
}
