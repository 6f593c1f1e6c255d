// The GIF decoder on GIFs written here by giflib's own encoder: plain, transparent,
// interlaced, a first frame smaller than the screen, animated, truncated, without colours,
// and screens that claim too many pixels; then through the thumbnailer on the corpus's GIFs.
#include "worker/decoders/gif_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gif_lib.h>

#include "tests/fakes/image_sink.h"
#include "tests/support/support.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

constexpr GifColorType kBlack{0, 0, 0};
constexpr GifColorType kWhite{255, 255, 255};
constexpr GifColorType kRed{255, 0, 0};
constexpr GifColorType kGreen{0, 255, 0};
constexpr GifColorType kBlue{0, 0, 255};

struct Frame {
  int left = 0, top = 0, width = 0, height = 0;
  std::vector<uint8_t> pixels;  // colour indexes, rows top to bottom
  bool interlaced = false;
  int transparent = NO_TRANSPARENT_COLOR;
  std::vector<GifColorType> local_colours;  // empty: the global colour map
};

struct Gif {
  int width = 0, height = 0;
  std::vector<GifColorType> global_colours;  // empty: none
  std::vector<Frame> frames;
};

int Append(GifFileType* gif, const GifByteType* bytes, int size) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(bytes), size);
  return size;
}

// A colour map of `colours` padded to a power of two, as GIF needs; null for none.
ColorMapObject* MakeMap(std::vector<GifColorType> colours) {
  if (colours.empty()) return nullptr;
  size_t count = 2;
  while (count < colours.size()) count *= 2;
  colours.resize(count, kBlack);
  return GifMakeMapObject(static_cast<int>(count), colours.data());
}

// The file giflib's encoder writes for `spec`.
std::string Encode(const Gif& spec) {
  std::string out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, Append, &error);
  EXPECT_NE(gif, nullptr) << error;
  EGifSetGifVersion(gif, true);
  ColorMapObject* global = MakeMap(spec.global_colours);
  EXPECT_EQ(EGifPutScreenDesc(gif, spec.width, spec.height, 8, 0, global), GIF_OK);
  GifFreeMapObject(global);
  for (const Frame& frame : spec.frames) {
    if (frame.transparent != NO_TRANSPARENT_COLOR) {
      GraphicsControlBlock control{};
      control.DisposalMode = DISPOSAL_UNSPECIFIED;
      control.TransparentColor = frame.transparent;
      GifByteType extension[4];
      const size_t length = EGifGCBToExtension(&control, extension);
      EXPECT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(length), extension),
                GIF_OK);
    }
    ColorMapObject* local = MakeMap(frame.local_colours);
    EXPECT_EQ(EGifPutImageDesc(gif, frame.left, frame.top, frame.width, frame.height,
                               frame.interlaced, local),
              GIF_OK);
    GifFreeMapObject(local);
    std::vector<int> order;
    if (frame.interlaced) {
      for (auto [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}}) {
        for (int y = start; y < frame.height; y += step) order.push_back(y);
      }
    } else {
      for (int y = 0; y < frame.height; ++y) order.push_back(y);
    }
    for (int y : order) {
      std::vector<GifPixelType> row(frame.pixels.begin() + y * frame.width,
                                    frame.pixels.begin() + (y + 1) * frame.width);
      EXPECT_EQ(EGifPutLine(gif, row.data(), frame.width), GIF_OK);
    }
  }
  EXPECT_EQ(EGifCloseFile(gif, &error), GIF_OK) << error;
  return out;
}

// A frame of `width` x `height` whose pixel (x, y) has index index(x, y).
template <typename F>
Frame MakeFrame(int width, int height, F index) {
  Frame frame;
  frame.width = width;
  frame.height = height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) frame.pixels.push_back(static_cast<uint8_t>(index(x, y)));
  }
  return frame;
}

struct Decoded {
  Status status;
  Image image;
  Size full;
};

Decoded Decode(const std::string& file, uint64_t max_pixels = 0) {
  MemoryInput input({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  request.max_pixels = max_pixels;
  testing::ImageSink sink;
  Decoded decoded;
  decoded.status = GifDecoder().Decode(input, request, &sink);
  decoded.image = std::move(sink.image());
  decoded.full = sink.full();
  return decoded;
}

std::vector<uint8_t> Pixel(const Image& image, uint32_t x, uint32_t y) {
  const uint8_t* p = image.row(y) + size_t{x} * image.channels;
  return {p, p + image.channels};
}

Thumbnail MakeThumbnailOf(const std::string& file, Size box, uint64_t max_pixels = 0) {
  ThumbnailRequest request;
  request.box = box;
  request.max_pixels = max_pixels;
  Thumbnail thumbnail;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, request, &thumbnail);
  return thumbnail;
}

// The most address space this process has held so far (VmPeak), in bytes.
uint64_t PeakAddressSpace() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmPeak:")) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

const std::vector<GifColorType> kColours{kRed, kGreen, kBlue, kWhite};

Gif Plain() {
  Gif gif{7, 5, kColours, {}};
  gif.frames.push_back(MakeFrame(7, 5, [](int x, int y) { return (x + y) % 4; }));
  return gif;
}

TEST(GifDecoderTest, PlainOpaqueGifIsRgb) {
  const Decoded decoded = Decode(Encode(Plain()));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.full, (Size{7, 5}));
  ASSERT_EQ(decoded.image.size(), (Size{7, 5}));
  ASSERT_EQ(decoded.image.channels, 3u);
  for (uint32_t y = 0; y < 5; ++y) {
    for (uint32_t x = 0; x < 7; ++x) {
      const GifColorType c = kColours[(x + y) % 4];
      EXPECT_EQ(Pixel(decoded.image, x, y), (std::vector<uint8_t>{c.Red, c.Green, c.Blue}))
          << x << "," << y;
    }
  }
}

TEST(GifDecoderTest, LocalColourMapWinsOverGlobal) {
  Gif gif{2, 1, {kRed, kRed}, {}};
  gif.frames.push_back(MakeFrame(2, 1, [](int x, int) { return x; }));
  gif.frames[0].local_colours = {kGreen, kBlue};
  const Decoded decoded = Decode(Encode(gif));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(Pixel(decoded.image, 0, 0), (std::vector<uint8_t>{0, 255, 0}));
  EXPECT_EQ(Pixel(decoded.image, 1, 0), (std::vector<uint8_t>{0, 0, 255}));
}

// A white disc on a transparent background whose colour is black: a decoder or shrink that
// let the transparent pixels' colour count would leave a dark fringe around the disc.
Gif WhiteDisc() {
  Gif gif{64, 64, {kBlack, kWhite}, {}};
  gif.frames.push_back(MakeFrame(64, 64, [](int x, int y) {
    return (x - 31.5) * (x - 31.5) + (y - 31.5) * (y - 31.5) < 20.0 * 20.0 ? 1 : 0;
  }));
  gif.frames[0].transparent = 0;
  return gif;
}

TEST(GifDecoderTest, TransparentIndexGivesAlpha) {
  const Decoded decoded = Decode(Encode(WhiteDisc()));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 4u);
  EXPECT_EQ(Pixel(decoded.image, 0, 0)[3], 0);
  EXPECT_EQ(Pixel(decoded.image, 32, 32), (std::vector<uint8_t>{255, 255, 255, 255}));
}

TEST(GifDecoderTest, TransparencyKeptInTheThumbnailWithoutDarkFringe) {
  const Thumbnail t = MakeThumbnailOf(Encode(WhiteDisc()), {16, 16});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{16, 16}));
  ASSERT_EQ(t.image.channels, 4u);
  int transparent = 0, edge = 0;
  for (uint32_t y = 0; y < 16; ++y) {
    for (uint32_t x = 0; x < 16; ++x) {
      const std::vector<uint8_t> p = Pixel(t.image, x, y);
      if (p[3] == 0) {
        ++transparent;
        continue;
      }
      if (p[3] < 255) ++edge;
      EXPECT_EQ(p, (std::vector<uint8_t>{255, 255, 255, p[3]})) << x << "," << y;
    }
  }
  EXPECT_GT(transparent, 0);
  EXPECT_GT(edge, 0);  // the disc's edge is partly covered, and still white
  EXPECT_EQ(Pixel(t.image, 0, 0)[3], 0);
}

TEST(GifDecoderTest, InterlacedGifIsDeinterlaced) {
  // 19 rows: every pass has rows, the last ones partly.
  std::vector<GifColorType> colours;
  for (int i = 0; i < 32; ++i) colours.push_back({static_cast<uint8_t>(i * 8), 0, 0});
  Gif gif{3, 19, colours, {}};
  gif.frames.push_back(MakeFrame(3, 19, [](int, int y) { return y; }));
  gif.frames[0].interlaced = true;
  const Decoded decoded = Decode(Encode(gif));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{3, 19}));
  for (uint32_t y = 0; y < 19; ++y) {
    EXPECT_EQ(Pixel(decoded.image, 2, y), (std::vector<uint8_t>{static_cast<uint8_t>(y * 8), 0, 0}))
        << y;
  }
}

TEST(GifDecoderTest, SmallFirstFrameSitsAtItsOffsetOnATransparentScreen) {
  Gif gif{10, 8, kColours, {}};
  gif.frames.push_back(MakeFrame(4, 3, [](int, int) { return 2; }));  // opaque blue
  gif.frames[0].left = 5;
  gif.frames[0].top = 2;
  const Decoded decoded = Decode(Encode(gif));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{10, 8}));
  ASSERT_EQ(decoded.image.channels, 4u);
  for (uint32_t y = 0; y < 8; ++y) {
    for (uint32_t x = 0; x < 10; ++x) {
      const bool inside = x >= 5 && x < 9 && y >= 2 && y < 5;
      EXPECT_EQ(Pixel(decoded.image, x, y)[3], inside ? 255 : 0) << x << "," << y;
      if (inside) {
        EXPECT_EQ(Pixel(decoded.image, x, y), (std::vector<uint8_t>{0, 0, 255, 255}));
      }
    }
  }
}

TEST(GifDecoderTest, AnimatedGifGivesItsFirstFrame) {
  Gif gif{6, 4, kColours, {}};
  gif.frames.push_back(MakeFrame(6, 4, [](int, int) { return 0; }));  // red
  gif.frames.push_back(MakeFrame(6, 4, [](int, int) { return 2; }));  // blue
  gif.frames.push_back(MakeFrame(3, 2, [](int, int) { return 1; }));  // green, partial
  const Decoded decoded = Decode(Encode(gif));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 3u);
  for (uint32_t y = 0; y < 4; ++y) {
    for (uint32_t x = 0; x < 6; ++x)
      EXPECT_EQ(Pixel(decoded.image, x, y), (std::vector<uint8_t>{255, 0, 0}));
  }
}

TEST(GifDecoderTest, TruncatedGifFailsWithAClearReason) {
  Gif gif{40, 30, kColours, {}};
  gif.frames.push_back(MakeFrame(40, 30, [](int x, int y) { return (x * 7 + y * 3) % 4; }));
  const std::string file = Encode(gif);
  for (size_t size : {size_t{8}, size_t{13}, size_t{30}, file.size() / 2, file.size() - 2}) {
    const Decoded decoded = Decode(file.substr(0, size));
    EXPECT_EQ(decoded.status.message(), "GIF data ends early (the file is truncated)") << size;
  }
  const Thumbnail t = MakeThumbnailOf(file.substr(0, file.size() / 2), {200, 200});
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.format, Format::kGif);
  EXPECT_EQ(t.reason, "GIF data ends early (the file is truncated)");
}

TEST(GifDecoderTest, MissingColourMapFails) {
  // giflib's encoder will not write this: a 2x2 image with neither a global nor a local map.
  const std::string file(
      "GIF89a\x02\x00\x02\x00\x00\x00\x00"
      "\x2c\x00\x00\x00\x00\x02\x00\x02\x00\x00"
      "\x02\x01\x44\x00\x3b",
      13 + 10 + 5);
  const Thumbnail t = MakeThumbnailOf(file, {200, 200});
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "GIF data is damaged (it has neither a global nor a local colour map)");
}

TEST(GifDecoderTest, NoImageFails) {
  const Decoded decoded = Decode(Encode(Gif{2, 2, kColours, {}}));
  EXPECT_EQ(decoded.status.message(), "GIF data is damaged (the file holds no image)");
}

TEST(GifDecoderTest, ScreenBeyondMaxPixelsFailsBeforeAllocating) {
  // 60000x60000 RGBA would be 14.4 GB.
  Gif gif{60000, 60000, kColours, {}};
  gif.frames.push_back(MakeFrame(1, 1, [](int, int) { return 0; }));
  const std::string file = Encode(gif);
  const uint64_t before = PeakAddressSpace();
  const Thumbnail t = MakeThumbnailOf(file, {200, 200}, 1'000'000);
  EXPECT_LT(PeakAddressSpace(), before + (64 << 20));
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason,
            "GIF image is 60000x60000 (3600.0 megapixels), more than the limit of 1.0 "
            "(--max-pixels)");
}

TEST(GifDecoderTest, FirstFrameBeyondTheScreenEnlargesItWithinMaxPixels) {
  Gif gif{4, 4, kColours, {}};
  gif.frames.push_back(MakeFrame(2, 2, [](int, int) { return 3; }));
  gif.frames[0].left = 5;
  gif.frames[0].top = 1;
  Decoded decoded = Decode(Encode(gif));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.image.size(), (Size{7, 4}));
  EXPECT_EQ(Pixel(decoded.image, 6, 2), (std::vector<uint8_t>{255, 255, 255, 255}));

  gif.frames[0].left = 60000;
  gif.frames[0].top = 60000;
  decoded = Decode(Encode(gif), 1'000'000);
  EXPECT_EQ(decoded.status.message(),
            "GIF image is 60002x60002 (3600.2 megapixels), more than the limit of 1.0 "
            "(--max-pixels)");
}

TEST(GifDecoderTest, CorpusGifs) {
  const auto make = [](const std::string& relative) {
    return MakeThumbnailOf(testing::ReadFile(testing::CorpusPath(relative)), {200, 200},
                           200'000'000);
  };
  Thumbnail t = make("pillow/formats/hopper.gif");
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{128, 128}));
  EXPECT_EQ(t.image.channels, 3u);
  t = make("pillow/formats/first_frame_transparency.gif");
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{75, 50}));
  EXPECT_EQ(t.image.channels, 4u);
  // A 65535x1321 first frame at (0, 65280) on a 32x32 screen.
  t = make("pillow/hostile/decompression_bomb.gif");
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason,
            "GIF image is 65535x66601 (4364.7 megapixels), more than the limit of 200.0 "
            "(--max-pixels)");
  // Its first frame is an honest 100x100; only later frames reach far out.
  t = make("pillow/hostile/decompression_bomb_extents.gif");
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{100, 100}));
}

}  // namespace
}  // namespace thumbpipe
