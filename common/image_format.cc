#include "common/image_format.h"

namespace thumbpipe {

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kUnknown:
      return "unknown";
    case Format::kJpeg:
      return "JPEG";
    case Format::kPng:
      return "PNG";
    case Format::kWebp:
      return "WebP";
    case Format::kTiff:
      return "TIFF";
    case Format::kBmp:
      return "BMP";
    case Format::kPnm:
      return "PNM";
    case Format::kGif:
      return "GIF";
    case Format::kHeif:
      return "HEIF/AVIF";
    case Format::kJpegXl:
      return "JPEG XL";
    case Format::kJpeg2000:
      return "JPEG 2000";
    case Format::kTga:
      return "TGA";
    case Format::kIco:
      return "ICO/CUR";
    case Format::kPsd:
      return "PSD";
    case Format::kPcx:
      return "PCX";
    case Format::kSgi:
      return "SGI";
    case Format::kXpm:
      return "XPM";
    case Format::kXbm:
      return "XBM";
    case Format::kCameraRaw:
      return "camera RAW";
  }
  return "unknown";
}

std::string_view FormatKey(Format format) {
  switch (format) {
    case Format::kUnknown:
      return "unknown";
    case Format::kJpeg:
      return "jpeg";
    case Format::kPng:
      return "png";
    case Format::kWebp:
      return "webp";
    case Format::kTiff:
      return "tiff";
    case Format::kBmp:
      return "bmp";
    case Format::kPnm:
      return "pnm";
    case Format::kGif:
      return "gif";
    case Format::kHeif:
      return "heif";
    case Format::kJpegXl:
      return "jxl";
    case Format::kJpeg2000:
      return "jpeg2000";
    case Format::kTga:
      return "tga";
    case Format::kIco:
      return "ico";
    case Format::kPsd:
      return "psd";
    case Format::kPcx:
      return "pcx";
    case Format::kSgi:
      return "sgi";
    case Format::kXpm:
      return "xpm";
    case Format::kXbm:
      return "xbm";
    case Format::kCameraRaw:
      return "raw";
  }
  return "unknown";
}

}  // namespace thumbpipe
