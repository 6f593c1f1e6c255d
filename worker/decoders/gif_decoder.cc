#include "worker/decoders/gif_decoder.h"

#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

constexpr Format kGif = Format::kGif;
constexpr std::string_view kNoColourMap = "it has neither a global nor a local colour map";

// giflib reads through this: the file in memory, and whether giflib asked for bytes past its
// end (which it reports only as a failed read).
struct Reader {
  std::span<const uint8_t> file;
  size_t position = 0;
  bool past_end = false;
};

int ReadBytes(GifFileType* gif, GifByteType* out, int size) {
  auto* reader = static_cast<Reader*>(gif->UserData);
  const size_t wanted = size > 0 ? static_cast<size_t>(size) : 0;
  const size_t n = std::min(wanted, reader->file.size() - reader->position);
  if (n < wanted) reader->past_end = true;
  if (n > 0) std::memcpy(out, reader->file.data() + reader->position, n);
  reader->position += n;
  return static_cast<int>(n);
}

// giflib's error codes as reasons (decoder.h).
Status Describe(int error, const Reader& reader) {
  if (reader.past_end) return Truncated(kGif);
  switch (error) {
    case D_GIF_ERR_READ_FAILED:  // not past the end: giflib refused what it read
      return Corrupt(kGif, "an LZW code size above 8, or a bad data block");
    case D_GIF_ERR_EOF_TOO_SOON:
      return Truncated(kGif);
    case D_GIF_ERR_NOT_GIF_FILE:
      return CorruptHeader(kGif, "the signature is not GIF87a or GIF89a");
    case D_GIF_ERR_NO_SCRN_DSCR:
      return CorruptHeader(kGif, "the screen descriptor is missing or damaged");
    case D_GIF_ERR_NO_IMAG_DSCR:
      return Corrupt(kGif, "an image descriptor is damaged");
    case D_GIF_ERR_NO_COLOR_MAP:
      return Corrupt(kGif, kNoColourMap);
    case D_GIF_ERR_WRONG_RECORD:
      return Corrupt(kGif, "a block of unknown type where an image or extension should be");
    case D_GIF_ERR_DATA_TOO_BIG:
      return Corrupt(kGif, "more pixels than the frame's size");
    case D_GIF_ERR_NOT_ENOUGH_MEM:
      return OutOfMemory(kGif);
    case D_GIF_ERR_IMAGE_DEFECT:
      return Corrupt(kGif, "an invalid LZW code");
    default:
      return Corrupt(kGif);
  }
}

struct CloseGif {
  void operator()(GifFileType* gif) const {
    int ignored = 0;
    DGifCloseFile(gif, &ignored);
  }
};
using GifHandle = std::unique_ptr<GifFileType, CloseGif>;

// Reads records up to the first image descriptor, keeping the transparent colour index of the
// Graphic Control Extension before it (NO_TRANSPARENT_COLOR if none).
Status ReadToFirstImage(GifFileType* gif, const Reader& reader, int* transparent) {
  *transparent = NO_TRANSPARENT_COLOR;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) return Describe(gif->Error, reader);
    if (type == IMAGE_DESC_RECORD_TYPE) {
      if (DGifGetImageDesc(gif) == GIF_ERROR) return Describe(gif->Error, reader);
      return Status::OK();
    }
    if (type == TERMINATE_RECORD_TYPE) return Corrupt(kGif, "the file holds no image");
    if (type != EXTENSION_RECORD_TYPE) return Describe(D_GIF_ERR_WRONG_RECORD, reader);
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) return Describe(gif->Error, reader);
    GraphicsControlBlock control;
    if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4 &&
        DGifExtensionToGCB(block[0], block + 1, &control) == GIF_OK) {
      *transparent = control.TransparentColor;
    }
    while (block != nullptr) {
      if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) return Describe(gif->Error, reader);
    }
  }
}

// The frame's rows in the order they are stored: top to bottom, or in the four passes of an
// interlaced image (every 8th row from 0, every 8th from 4, every 4th from 2, every 2nd from 1).
std::vector<uint32_t> StoredRowOrder(uint32_t height, bool interlaced) {
  std::vector<uint32_t> order;
  order.reserve(height);
  if (!interlaced) {
    for (uint32_t y = 0; y < height; ++y) order.push_back(y);
    return order;
  }
  constexpr std::array<uint32_t, 4> kStart{0, 4, 2, 1};
  constexpr std::array<uint32_t, 4> kStep{8, 8, 4, 2};
  for (size_t pass = 0; pass < kStart.size(); ++pass) {
    for (uint32_t y = kStart[pass]; y < height; y += kStep[pass]) order.push_back(y);
  }
  return order;
}

}  // namespace

Status GifDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  Reader reader;
  if (Status status = input.Whole(&reader.file); !status.ok()) return status;
  int error = 0;
  GifHandle gif(DGifOpen(&reader, ReadBytes, &error));
  if (gif == nullptr) return Describe(error, reader);
  const Size screen{static_cast<uint32_t>(std::max(gif->SWidth, 0)),
                    static_cast<uint32_t>(std::max(gif->SHeight, 0))};
  if (!WithinPixelLimit(screen, request.max_pixels))
    return TooManyPixels(kGif, screen, request.max_pixels);

  int transparent = NO_TRANSPARENT_COLOR;
  const Status read = ReadToFirstImage(gif.get(), reader, &transparent);
  // giflib reads the start of the image data with the descriptor; a frame that claims too many
  // pixels is refused for that even when what follows it is damaged (the frame is zero until
  // a descriptor is read).
  const GifImageDesc& frame = gif->Image;
  const uint32_t left = static_cast<uint32_t>(std::max(frame.Left, 0));
  const uint32_t top = static_cast<uint32_t>(std::max(frame.Top, 0));
  const uint32_t width = static_cast<uint32_t>(std::max(frame.Width, 0));
  const uint32_t height = static_cast<uint32_t>(std::max(frame.Height, 0));
  const Size canvas{std::max(screen.width, left + width), std::max(screen.height, top + height)};
  if (!WithinPixelLimit(canvas, request.max_pixels))
    return TooManyPixels(kGif, canvas, request.max_pixels);
  if (!read.ok()) return read;
  const ColorMapObject* colours = frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap;
  if (colours == nullptr) return Corrupt(kGif, kNoColourMap);
  if (canvas.width == 0 || canvas.height == 0) {
    return CorruptHeader(kGif, fmt::format("it claims {}x{} pixels", canvas.width, canvas.height));
  }

  const bool covers = left == 0 && top == 0 && width == canvas.width && height == canvas.height;
  const uint32_t channels = transparent != NO_TRANSPARENT_COLOR || !covers ? 4 : 3;
  // Indexes past the colour map (damaged files) come out opaque black.
  std::array<std::array<uint8_t, 4>, 256> palette;
  palette.fill({0, 0, 0, 255});
  for (int i = 0; i < std::min(colours->ColorCount, 256); ++i) {
    const GifColorType& c = colours->Colors[i];
    palette[i] = {c.Red, c.Green, c.Blue, 255};
  }
  if (transparent >= 0 && transparent < 256) palette[transparent] = {0, 0, 0, 0};

  Image image;  // starts transparent black, which is what the frame does not cover
  if (!image.TryAllocate(canvas.width, canvas.height, channels)) return OutOfMemory(kGif, canvas);
  std::vector<GifPixelType> line;
  try {
    line.resize(width);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(kGif, canvas);
  }
  if (width > 0) {
    for (const uint32_t y : StoredRowOrder(height, frame.Interlace)) {
      if (DGifGetLine(gif.get(), line.data(), static_cast<int>(width)) == GIF_ERROR)
        return Describe(gif->Error, reader);
      uint8_t* out = image.row(top + y) + size_t{left} * channels;
      for (uint32_t x = 0; x < width; ++x, out += channels)
        std::memcpy(out, palette[line[x]].data(), channels);
    }
  }

  Status status = sink->Begin(canvas, canvas, channels, 1);
  for (uint32_t y = 0; status.ok() && y < canvas.height; ++y) sink->Row(image.row(y));
  return status;
}

}  // namespace thumbpipe
