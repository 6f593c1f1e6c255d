#include "worker/decoders/webp_decoder.h"

#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "worker/colour/colour_transform.h"

namespace thumbpipe {
namespace {

constexpr Format kWebp = Format::kWebp;

// libwebp's status codes as reasons (decoder.h).
Status Describe(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY:
      return OutOfMemory(kWebp);
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return Truncated(kWebp);
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return Unsupported(kWebp, "a feature libwebp cannot decode");
    case VP8_STATUS_BITSTREAM_ERROR:
    case VP8_STATUS_INVALID_PARAM:  // what the file claims cannot be decoded as asked
    default:
      return Corrupt(kWebp);
  }
}

// The file's ICCP chunk, if it has one (only the extended format can); empty if not.
std::vector<uint8_t> IccProfile(std::span<const uint8_t> file) {
  std::vector<uint8_t> icc;
  const WebPData data{file.data(), file.size()};
  WebPDemuxer* demux = WebPDemux(&data);
  if (demux == nullptr) return icc;
  WebPChunkIterator chunk;
  if ((WebPDemuxGetI(demux, WEBP_FF_FORMAT_FLAGS) & ICCP_FLAG) != 0 &&
      WebPDemuxGetChunk(demux, "ICCP", 1, &chunk)) {
    if (chunk.chunk.size <= ColourSource::kMaxProfileBytes)
      icc.assign(chunk.chunk.bytes, chunk.chunk.bytes + chunk.chunk.size);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  WebPDemuxDelete(demux);
  return icc;
}

// Why an animation could not be read: its data ends early, or is damaged.
Status DescribeAnimation(const WebPData& data, std::string_view damaged) {
  WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
  WebPDemuxer* demuxer = WebPDemuxPartial(&data, &state);
  WebPDemuxDelete(demuxer);
  if (state == WEBP_DEMUX_PARSING_HEADER || state == WEBP_DEMUX_PARSED_HEADER)
    return Truncated(kWebp);
  return Corrupt(kWebp, damaged);
}

// The first frame of an animation, at full size (frames are composed on the canvas).
Status DecodeFirstFrame(std::span<const uint8_t> file, const DecodeRequest& request,
                        RowSink* sink) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options))
    return Status::Error("WebP decoder could not start (libwebp version mismatch)");
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  const WebPData data{file.data(), file.size()};
  WebPAnimDecoder* decoder = WebPAnimDecoderNew(&data, &options);
  if (decoder == nullptr) return DescribeAnimation(data, "the animation is damaged");
  WebPAnimInfo info;
  Status status;
  uint8_t* pixels = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetInfo(decoder, &info)) {
    status = DescribeAnimation(data, "the animation is damaged");
  } else if (const Size full{info.canvas_width, info.canvas_height};
             !WithinPixelLimit(full, request.max_pixels)) {
    status = TooManyPixels(kWebp, full, request.max_pixels);
  } else if (!WebPAnimDecoderGetNext(decoder, &pixels, &timestamp)) {
    status = DescribeAnimation(data, "the first frame is damaged");
  } else {
    if (std::vector<uint8_t> icc = IccProfile(file); !icc.empty()) {
      sink->SetColour(ColourSource::FromIcc(std::move(icc)));
    }
    status = sink->Begin(full, full, 4, 1);
    for (uint32_t y = 0; status.ok() && y < full.height; ++y)
      sink->Row(pixels + size_t{y} * full.width * 4);
  }
  WebPAnimDecoderDelete(decoder);
  return status;
}

}  // namespace

Status WebpDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config))
    return Status::Error("WebP decoder could not start (libwebp version mismatch)");
  if (const VP8StatusCode code = WebPGetFeatures(file.data(), file.size(), &config.input);
      code != VP8_STATUS_OK) {
    return Describe(code);
  }
  if (config.input.has_animation) return DecodeFirstFrame(file, request, sink);
  const Size full{static_cast<uint32_t>(config.input.width),
                  static_cast<uint32_t>(config.input.height)};
  if (!WithinPixelLimit(full, request.max_pixels))
    return TooManyPixels(kWebp, full, request.max_pixels);
  const uint32_t channels = config.input.has_alpha ? 4 : 3;
  // libwebp's rescaler gets colours wrong next to transparency (a lossy file's white edge on
  // transparent black comes out grey): an image with alpha is decoded whole and shrunk by the
  // sink, which weighs colours by alpha. Colours to convert are converted at a multiple of the
  // thumbnail's size (see shrinking_sink.h), so libwebp shrinks them only that far.
  ColourSource colour = ColourSource::FromIcc(IccProfile(file));
  const bool convert = ColourTransform::ToSrgb(colour, channels) != nullptr;
  Size rows = request.needed_size(full);
  if (channels == 4) {
    rows = full;
  } else if (convert) {
    rows = {std::min(full.width, rows.width * ColourTransform::kOversampling),
            std::min(full.height, rows.height * ColourTransform::kOversampling)};
  }
  if (rows.width == 0 || rows.height == 0 || rows.width > full.width || rows.height > full.height) {
    return CorruptHeader(kWebp, fmt::format("it claims {}x{} pixels", full.width, full.height));
  }
  config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  if (rows != full) {
    config.options.use_scaling = 1;
    config.options.scaled_width = static_cast<int>(rows.width);
    config.options.scaled_height = static_cast<int>(rows.height);
  }
  if (const VP8StatusCode code = WebPDecode(file.data(), file.size(), &config);
      code != VP8_STATUS_OK) {
    WebPFreeDecBuffer(&config.output);
    return code == VP8_STATUS_OUT_OF_MEMORY ? OutOfMemory(kWebp, full) : Describe(code);
  }
  if (convert) sink->SetColour(std::move(colour));
  Status status = sink->Begin(full, rows, channels, 1);
  const WebPRGBABuffer& rgba = config.output.u.RGBA;
  for (uint32_t y = 0; status.ok() && y < rows.height; ++y)
    sink->Row(rgba.rgba + size_t{y} * rgba.stride);
  WebPFreeDecBuffer(&config.output);
  return status;
}

}  // namespace thumbpipe
