// The one table of decoders: which Decoder reads which sniffed format. A new format is a
// Decoder in this folder, a line here, and its magic bytes in worker/sniff.cc.
#include <array>

#include "worker/decoders/decoder.h"
#include "worker/decoders/gif_decoder.h"
#include "worker/decoders/heif_decoder.h"
#include "worker/decoders/jp2_decoder.h"
#include "worker/decoders/jpeg_decoder.h"
#include "worker/decoders/jxl_decoder.h"
#include "worker/decoders/magick_codec.h"
#include "worker/decoders/opencv_codec.h"
#include "worker/decoders/plugin_decoder.h"
#include "worker/decoders/png/png_decoder.h"
#include "worker/decoders/tiff_decoder.h"
#include "worker/decoders/webp_decoder.h"

namespace thumbpipe {
namespace {

struct Entry {
  Format format;
  const Decoder* decoder;
};

}  // namespace

const Decoder* DecoderFor(Format format) {
  static const JpegDecoder jpeg;
  static const PngDecoder png;
  static const WebpDecoder webp;
  static const TiffDecoder tiff;
  static const OpenCvDecoder bmp(Format::kBmp);
  static const OpenCvDecoder pnm(Format::kPnm);
  static const GifDecoder gif;
  // HEIF and JPEG XL come in plug-ins: their libraries cost every worker at start (see
  // plugin_decoder.h).
  static const PluginDecoder heif(THUMBPIPE_HEIF_PLUGIN, "thumbpipe_heif_decoder", Format::kHeif);
  static const MagickDecoder tga(Format::kTga), ico(Format::kIco), psd(Format::kPsd),
      pcx(Format::kPcx), sgi(Format::kSgi), xpm(Format::kXpm), xbm(Format::kXbm);
  static const PluginDecoder jxl(THUMBPIPE_JXL_PLUGIN, "thumbpipe_jxl_decoder", Format::kJpegXl);
  static const Jp2Decoder jp2;
  static const std::array kDecoders{
      Entry{Format::kJpeg, &jpeg},    Entry{Format::kPng, &png},   Entry{Format::kWebp, &webp},
      Entry{Format::kTiff, &tiff},    Entry{Format::kBmp, &bmp},   Entry{Format::kPnm, &pnm},
      Entry{Format::kGif, &gif},      Entry{Format::kHeif, &heif}, Entry{Format::kJpegXl, &jxl},
      Entry{Format::kJpeg2000, &jp2}, Entry{Format::kTga, &tga},   Entry{Format::kIco, &ico},
      Entry{Format::kPsd, &psd},      Entry{Format::kPcx, &pcx},   Entry{Format::kSgi, &sgi},
      Entry{Format::kXpm, &xpm},      Entry{Format::kXbm, &xbm},
  };
  for (const Entry& entry : kDecoders) {
    if (entry.format == format) return entry.decoder;
  }
  return nullptr;
}

}  // namespace thumbpipe
