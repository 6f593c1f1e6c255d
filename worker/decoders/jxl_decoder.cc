#include "worker/decoders/jxl_decoder.h"

#include <jxl/decode.h>
#include <jxl/decode_cxx.h>

#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "worker/decoders/stderr_capture.h"

namespace thumbpipe {
namespace {

constexpr Format kJxl = Format::kJpegXl;

bool IsSrgb(const JxlColorEncoding& colour) {
  const bool grey = colour.color_space == JXL_COLOR_SPACE_GRAY;
  return (grey || colour.color_space == JXL_COLOR_SPACE_RGB) &&
         colour.white_point == JXL_WHITE_POINT_D65 &&
         (grey || colour.primaries == JXL_PRIMARIES_SRGB) &&
         colour.transfer_function == JXL_TRANSFER_FUNCTION_SRGB;
}

JxlColorEncoding Srgb(bool grey) {
  JxlColorEncoding colour{};
  colour.color_space = grey ? JXL_COLOR_SPACE_GRAY : JXL_COLOR_SPACE_RGB;
  colour.white_point = JXL_WHITE_POINT_D65;
  colour.primaries = JXL_PRIMARIES_SRGB;
  colour.transfer_function = JXL_TRANSFER_FUNCTION_SRGB;
  colour.rendering_intent = JXL_RENDERING_INTENT_RELATIVE;
  return colour;
}

// Once the colour encoding is known: asks for sRGB rows where libjxl may choose (XYB images),
// and stores in *colour what the rows' colours are when they are not sRGB (else leaves it).
Status DescribeColours(::JxlDecoder* decoder, const JxlBasicInfo& info,
                       std::optional<ColourSource>* colour) {
  if (!info.uses_original_profile) {
    const JxlColorEncoding srgb = Srgb(info.num_color_channels == 1);
    // On failure libjxl keeps its own choice, which the profile below then describes.
    JxlDecoderSetPreferredColorProfile(decoder, &srgb);
  }
  JxlColorEncoding encoded;
  if (JxlDecoderGetColorAsEncodedProfile(decoder, nullptr, JXL_COLOR_PROFILE_TARGET_DATA,
                                         &encoded) == JXL_DEC_SUCCESS &&
      IsSrgb(encoded)) {
    return Status::OK();
  }
  size_t size = 0;
  if (JxlDecoderGetICCProfileSize(decoder, nullptr, JXL_COLOR_PROFILE_TARGET_DATA, &size) !=
          JXL_DEC_SUCCESS ||
      size == 0 || size > ColourSource::kMaxProfileBytes) {
    // No profile to be had (an unknown colour space), or one too large to use: taken as sRGB.
    return Status::OK();
  }
  ColourSource source;
  try {
    source.icc.resize(size);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(kJxl);
  }
  if (JxlDecoderGetColorAsICCProfile(decoder, nullptr, JXL_COLOR_PROFILE_TARGET_DATA,
                                     source.icc.data(), source.icc.size()) != JXL_DEC_SUCCESS) {
    return Corrupt(kJxl, "its colour profile cannot be read");
  }
  *colour = std::move(source);
  return Status::OK();
}

// Decodes the first frame into *image, upright; *colour as DescribeColours says.
Status DecodeFrame(std::span<const uint8_t> file, const DecodeRequest& request, Image* image,
                   std::optional<ColourSource>* colour) {
  // libjxl prints its complaints to stderr; they are held back (its words are not reasons).
  const StderrCapture capture;
  const JxlDecoderPtr decoder = JxlDecoderMake(nullptr);
  if (decoder == nullptr) return OutOfMemory(kJxl);
  // No parallel runner: libjxl decodes on this thread. Rows come turned by the codestream's
  // orientation (the default), with straight alpha.
  if (JxlDecoderSubscribeEvents(decoder.get(), JXL_DEC_BASIC_INFO | JXL_DEC_COLOR_ENCODING |
                                                   JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetUnpremultiplyAlpha(decoder.get(), JXL_TRUE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetInput(decoder.get(), file.data(), file.size()) != JXL_DEC_SUCCESS) {
    return Status::Error("JPEG XL decoder could not start (libjxl refused its settings)");
  }
  // The input is not closed: then a file that ends too early asks for more instead of failing
  // like a damaged one. The first frame is all that is read, so the end is never needed.
  JxlBasicInfo info{};
  Size upright;
  JxlPixelFormat format{0, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  for (;;) {
    switch (JxlDecoderProcessInput(decoder.get())) {
      case JXL_DEC_BASIC_INFO: {
        if (JxlDecoderGetBasicInfo(decoder.get(), &info) != JXL_DEC_SUCCESS)
          return DamagedOrUnsupported(kJxl);
        // xsize and ysize are as stored; orientations 5 to 8 turn the image a quarter.
        upright = info.orientation >= JXL_ORIENT_TRANSPOSE ? Size{info.ysize, info.xsize}
                                                           : Size{info.xsize, info.ysize};
        if (!WithinPixelLimit(upright, request.max_pixels))
          return TooManyPixels(kJxl, upright, request.max_pixels);
        if (upright.width == 0 || upright.height == 0) {
          return CorruptHeader(
              kJxl, fmt::format("it claims {}x{} pixels", upright.width, upright.height));
        }
        format.num_channels = (info.num_color_channels == 1 ? 1 : 3) + (info.alpha_bits > 0);
        break;
      }
      case JXL_DEC_COLOR_ENCODING:
        if (Status status = DescribeColours(decoder.get(), info, colour); !status.ok())
          return status;
        break;
      case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
        if (!image->TryAllocate(upright.width, upright.height, format.num_channels))
          return OutOfMemory(kJxl, upright);
        size_t size = 0;
        if (JxlDecoderImageOutBufferSize(decoder.get(), &format, &size) != JXL_DEC_SUCCESS ||
            size != image->pixels.size() ||
            JxlDecoderSetImageOutBuffer(decoder.get(), &format, image->pixels.data(),
                                        image->pixels.size()) != JXL_DEC_SUCCESS) {
          return DamagedOrUnsupported(kJxl);
        }
        break;
      }
      case JXL_DEC_FULL_IMAGE:
        if (image->pixels.empty()) return DamagedOrUnsupported(kJxl);
        return Status::OK();
      case JXL_DEC_NEED_MORE_INPUT:
        return Truncated(kJxl);
      case JXL_DEC_SUCCESS:
        return CorruptHeader(kJxl, "it holds no image");
      case JXL_DEC_ERROR:
      default:
        return DamagedOrUnsupported(kJxl);
    }
  }
}

}  // namespace

Status JpegXlDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  Image image;
  std::optional<ColourSource> colour;
  if (Status status = DecodeFrame(file, request, &image, &colour); !status.ok()) return status;
  if (colour) sink->SetColour(std::move(*colour));
  Status status = sink->Begin(image.size(), image.size(), image.channels, 1);
  for (uint32_t y = 0; status.ok() && y < image.height; ++y) sink->Row(image.row(y));
  return status;
}

}  // namespace thumbpipe

extern "C" __attribute__((visibility("default"))) const thumbpipe::Decoder*
thumbpipe_jxl_decoder() {
  static const thumbpipe::JpegXlDecoder decoder;
  return &decoder;
}
