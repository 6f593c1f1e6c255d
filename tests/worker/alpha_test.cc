// Every kind of alpha keeps its alpha and shrinks without fringes. The picture: an anti-aliased
// disc and a hard-edged square at odd offsets, opaque, on a fully transparent ground; once
// white on transparent black (a dark fringe would show), once dark on transparent white (a
// light one would). Each format's own encoder writes it (libpng, giflib, libwebp, libtiff,
// heif-enc), the thumbnailer shrinks it about 4.7 times, so every edge falls inside an output
// pixel. Every output pixel with any alpha must have the shape's colour (for lossy WebP: the
// colour its own decoder gives at full size), and its alpha the average of the source's.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <gif_lib.h>
#include <png.h>
#include <tiffio.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "common/options.h"
#include "tests/support/images.h"
#include "tests/support/support.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

constexpr int kWidth = 301, kHeight = 233;
constexpr Size kBox{64, 64};  // gives 64x50

struct Rgb {
  uint8_t r, g, b;
};

// The shape's colour and the colour under full transparency.
struct Scene {
  const char* name;
  Rgb shape, ground;
};
void PrintTo(const Scene& scene, std::ostream* out) { *out << scene.name; }

constexpr Scene kWhiteOnBlack{"white on transparent black", {255, 255, 255}, {0, 0, 0}};
constexpr Scene kDarkOnWhite{"dark on transparent white", {20, 40, 60}, {255, 255, 255}};

// The part of pixel (x, y) the shapes cover: a disc sampled 8x8 times per pixel (so its edge
// has partial alpha), and a square on whole pixels. `hard`: none or all, for formats that
// have no partial alpha.
double Coverage(int x, int y, bool hard) {
  if (x >= 17 && x < 67 && y >= 29 && y < 90) return 1;
  constexpr double kCx = 170.37, kCy = 121.61, kR = 88.3;
  int inside = 0;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) {
      const double dx = x + (i + 0.5) / 8 - kCx, dy = y + (j + 0.5) / 8 - kCy;
      inside += dx * dx + dy * dy <= kR * kR;
    }
  }
  const double coverage = inside / 64.0;
  return hard ? (coverage >= 0.5 ? 1 : 0) : coverage;
}

uint8_t Alpha8(int x, int y, bool hard) {
  return static_cast<uint8_t>(std::lround(255 * Coverage(x, y, hard)));
}

// The picture as 8-bit RGBA rows (grey: `grey` takes the red channel for R=G=B).
std::vector<uint8_t> Rgba8(const Scene& scene, bool hard) {
  std::vector<uint8_t> out;
  out.reserve(size_t{kWidth} * kHeight * 4);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const uint8_t a = Alpha8(x, y, hard);
      const Rgb c = a > 0 ? scene.shape : scene.ground;
      out.insert(out.end(), {c.r, c.g, c.b, a});
    }
  }
  return out;
}

// The same scene with a grey shape and ground (their red channel).
Scene Grey(Scene scene) {
  scene.shape = {scene.shape.r, scene.shape.r, scene.shape.r};
  scene.ground = {scene.ground.r, scene.ground.r, scene.ground.r};
  return scene;
}

// --- Encoders: the formats' own libraries and tools, not the code under test.

void AppendPng(png_structp png, png_bytep data, size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

// A PNG of `rows` (already in the layout of `colour_type` and `depth`, 16-bit big-endian), with
// `palette` and `trns` for palette images.
std::string WritePng(const std::vector<std::vector<uint8_t>>& rows, int colour_type, int depth,
                     const std::vector<png_color>& palette = {},
                     const std::vector<uint8_t>& trns = {}) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng could not write the test PNG";
    return {};
  }
  png_set_write_fn(png, &out, AppendPng, nullptr);
  png_set_IHDR(png, info, kWidth, kHeight, depth, colour_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!trns.empty()) png_set_tRNS(png, info, trns.data(), static_cast<int>(trns.size()), nullptr);
  png_write_info(png, info);
  for (const std::vector<uint8_t>& row : rows) png_write_row(png, row.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string PngRgba8(const Scene& scene) {
  const std::vector<uint8_t> rgba = Rgba8(scene, false);
  std::vector<std::vector<uint8_t>> rows;
  for (int y = 0; y < kHeight; ++y)
    rows.emplace_back(rgba.begin() + y * kWidth * 4, rgba.begin() + (y + 1) * kWidth * 4);
  return WritePng(rows, PNG_COLOR_TYPE_RGBA, 8);
}

std::string PngRgba16(const Scene& scene) {
  std::vector<std::vector<uint8_t>> rows;
  for (int y = 0; y < kHeight; ++y) {
    std::vector<uint8_t> row;
    for (int x = 0; x < kWidth; ++x) {
      const uint16_t a = static_cast<uint16_t>(std::lround(65535 * Coverage(x, y, false)));
      const Rgb c = a > 0 ? scene.shape : scene.ground;
      for (const uint16_t v : {uint16_t(c.r * 257), uint16_t(c.g * 257), uint16_t(c.b * 257), a})
        row.insert(row.end(), {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v & 0xff)});
    }
    rows.push_back(std::move(row));
  }
  return WritePng(rows, PNG_COLOR_TYPE_RGBA, 16);
}

std::string PngGreyAlpha(const Scene& scene) {
  const std::vector<uint8_t> rgba = Rgba8(scene, false);
  std::vector<std::vector<uint8_t>> rows(kHeight);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const uint8_t* p = &rgba[(size_t{uint32_t(y)} * kWidth + x) * 4];
      rows[y].insert(rows[y].end(), {p[0], p[3]});
    }
  }
  return WritePng(rows, PNG_COLOR_TYPE_GRAY_ALPHA, 8);
}

// Palette entries for each (colour, alpha) the picture has, with tRNS giving their alpha.
std::string PngPaletteWithTrns(const Scene& scene) {
  const std::vector<uint8_t> rgba = Rgba8(scene, false);
  std::map<std::vector<uint8_t>, uint8_t> index;
  std::vector<png_color> palette;
  std::vector<uint8_t> trns;
  std::vector<std::vector<uint8_t>> rows(kHeight);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const uint8_t* p = &rgba[(size_t{uint32_t(y)} * kWidth + x) * 4];
      const std::vector<uint8_t> key(p, p + 4);
      auto found = index.find(key);
      if (found == index.end()) {
        found = index.emplace(key, static_cast<uint8_t>(palette.size())).first;
        palette.push_back({p[0], p[1], p[2]});
        trns.push_back(p[3]);
      }
      rows[y].push_back(found->second);
    }
  }
  EXPECT_LE(palette.size(), 256u);
  return WritePng(rows, PNG_COLOR_TYPE_PALETTE, 8, palette, trns);
}

int AppendGif(GifFileType* gif, const GifByteType* bytes, int size) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(bytes), size);
  return size;
}

// Index 0 the ground, transparent; index 1 the shape. GIF has no partial alpha: hard edges.
std::string Gif(const Scene& scene) {
  std::string out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, AppendGif, &error);
  EGifSetGifVersion(gif, true);
  GifColorType colours[2] = {{scene.ground.r, scene.ground.g, scene.ground.b},
                             {scene.shape.r, scene.shape.g, scene.shape.b}};
  ColorMapObject* map = GifMakeMapObject(2, colours);
  EGifPutScreenDesc(gif, kWidth, kHeight, 1, 0, map);
  GraphicsControlBlock control{};
  control.TransparentColor = 0;
  GifByteType extension[4];
  const size_t length = EGifGCBToExtension(&control, extension);
  EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(length), extension);
  EGifPutImageDesc(gif, 0, 0, kWidth, kHeight, false, nullptr);
  std::vector<GifPixelType> line(kWidth);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) line[x] = Alpha8(x, y, true) > 0 ? 1 : 0;
    EXPECT_EQ(EGifPutLine(gif, line.data(), kWidth), GIF_OK);
  }
  GifFreeMapObject(map);
  EXPECT_EQ(EGifCloseFile(gif, &error), GIF_OK) << error;
  return out;
}

std::string Webp(const Scene& scene, bool lossless) {
  const std::vector<uint8_t> rgba = Rgba8(scene, false);
  uint8_t* out = nullptr;
  const size_t size = lossless
                          ? WebPEncodeLosslessRGBA(rgba.data(), kWidth, kHeight, kWidth * 4, &out)
                          : WebPEncodeRGBA(rgba.data(), kWidth, kHeight, kWidth * 4, 90, &out);
  std::string file(reinterpret_cast<char*>(out), size);
  WebPFree(out);
  EXPECT_GT(size, 0u);
  return file;
}

// RGBA or grey+alpha, 8 bits. Associated alpha: the colours are stored multiplied by alpha.
std::string Tiff(const Scene& scene, bool grey, bool associated) {
  testing::TempDir dir;
  const std::string path = dir / "alpha.tif";
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  EXPECT_NE(tif, nullptr);
  if (tif == nullptr) return {};
  const uint16_t colours = grey ? 1 : 3;
  const uint16_t extra[] = {
      static_cast<uint16_t>(associated ? EXTRASAMPLE_ASSOCALPHA : EXTRASAMPLE_UNASSALPHA)};
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, kWidth);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, kHeight);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, colours + 1);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, grey ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, extra);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
  const std::vector<uint8_t> rgba = Rgba8(scene, false);
  std::vector<uint8_t> row;
  for (int y = 0; y < kHeight; ++y) {
    row.clear();
    for (int x = 0; x < kWidth; ++x) {
      const uint8_t* p = &rgba[(size_t{uint32_t(y)} * kWidth + x) * 4];
      for (int c = 0; c < colours; ++c) {
        row.push_back(associated ? static_cast<uint8_t>((p[c] * p[3] + 127) / 255) : p[c]);
      }
      row.push_back(p[3]);
    }
    EXPECT_EQ(TIFFWriteScanline(tif, row.data(), y, 0), 1);
  }
  TIFFClose(tif);
  return testing::ReadFile(path);
}

// heif-enc in its lossless mode (RGB, no chroma subsampling), from an RGBA PNG.
std::string Heif(const Scene& scene) {
  testing::TempDir dir;
  testing::WriteFile(dir / "alpha.png", PngRgba8(scene));
  const std::string error = testing::EncodeHeif(
      dir / "alpha.png", dir / "alpha.heic",
      {"-L", "-p", "chroma=444", "--matrix_coefficients=0", "--no-thumb-alpha"});
  EXPECT_EQ(error, "");
  return error.empty() ? testing::ReadFile(dir / "alpha.heic") : std::string();
}

// --- The checks.

Thumbnail Shrink(const std::string& file) {
  ThumbnailRequest request;
  request.box = kBox;
  request.max_pixels = kDefaultMaxPixels;
  Thumbnail t;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, request, &t);
  return t;
}

// What an output pixel must be: the source's alpha averaged over its area, and the source's
// colours averaged weighted by alpha (so fully transparent pixels count for nothing).
struct Expected {
  double alpha = 0;
  double colour[3] = {0, 0, 0};
};

// For `rgba` (kWidth x kHeight) shrunk to `out`, computed in doubles: source pixel x covers
// [x * out.width, (x + 1) * out.width) in units where output pixel X covers [X * kWidth,
// (X + 1) * kWidth); the same along y.
std::vector<Expected> Averages(const std::vector<uint8_t>& rgba, Size out) {
  std::vector<double> area_alpha(size_t{out.width} * out.height, 0);
  std::vector<std::array<double, 3>> area_colour(area_alpha.size(), {0, 0, 0});
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const uint8_t* p = &rgba[(size_t{uint32_t(y)} * kWidth + x) * 4];
      if (p[3] == 0) continue;
      for (uint32_t oy = y * out.height / kHeight; oy < out.height; ++oy) {
        const double overlap_y = std::min<double>((y + 1) * out.height, (oy + 1) * kHeight) -
                                 std::max<double>(y * out.height, oy * kHeight);
        if (overlap_y <= 0) break;
        for (uint32_t ox = x * out.width / kWidth; ox < out.width; ++ox) {
          const double overlap_x = std::min<double>((x + 1) * out.width, (ox + 1) * kWidth) -
                                   std::max<double>(x * out.width, ox * kWidth);
          if (overlap_x <= 0) break;
          const size_t i = size_t{oy} * out.width + ox;
          const double weight = p[3] * overlap_x * overlap_y;
          area_alpha[i] += weight;
          for (int c = 0; c < 3; ++c) area_colour[i][c] += p[c] * weight;
        }
      }
    }
  }
  std::vector<Expected> expected(area_alpha.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    expected[i].alpha = area_alpha[i] / (double{kWidth} * kHeight);
    for (int c = 0; c < 3; ++c)
      expected[i].colour[c] = area_alpha[i] > 0 ? area_colour[i][c] / area_alpha[i] : 0;
  }
  return expected;
}

struct Case {
  std::string name;
  std::string file;
  uint32_t channels;  // in the thumbnail: 4, or 2 for grey
  // The picture the file holds, as 8-bit RGBA: the scene, or for lossy files what their own
  // library decodes at full size.
  std::vector<uint8_t> source;
  // The file stores its colours in 8 bits multiplied by alpha (associated alpha), which leaves
  // them within about 128 / alpha of the truth: a fringe would be far more, and after
  // compositing this is less than a level.
  bool premultiplied = false;
};

void ExpectNoFringes(const Case& c) {
  SCOPED_TRACE(c.name);
  ASSERT_FALSE(c.file.empty());
  const Thumbnail t = Shrink(c.file);
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{64, 50}));
  ASSERT_EQ(t.image.channels, c.channels);
  const std::vector<Expected> expected = Averages(c.source, t.image.size());
  int transparent = 0, partial = 0, opaque = 0, wrong_colour = 0, wrong_alpha = 0;
  for (uint32_t y = 0; y < t.image.height; ++y) {
    for (uint32_t x = 0; x < t.image.width; ++x) {
      const uint8_t* p = t.image.row(y) + size_t{x} * c.channels;
      const Expected& e = expected[size_t{y} * t.image.width + x];
      const uint8_t alpha = p[c.channels - 1];
      if (std::abs(alpha - e.alpha) > 1.0 && ++wrong_alpha <= 5) {
        ADD_FAILURE() << "alpha " << int{alpha} << " at " << x << "," << y << ", expected "
                      << e.alpha;
      }
      if (alpha == 0) {
        ++transparent;
        continue;
      }
      (alpha == 255 ? opaque : partial)++;
      const double allowed = c.premultiplied ? 1 + 128.0 / alpha : 1;
      for (uint32_t ch = 0; ch + 1 < c.channels; ++ch) {
        if (std::abs(p[ch] - e.colour[ch]) > allowed && ++wrong_colour <= 5) {
          ADD_FAILURE() << "colour " << int{p[ch]} << " (channel " << ch << ", alpha " << int{alpha}
                        << ") at " << x << "," << y << ", expected " << e.colour[ch];
        }
      }
    }
  }
  EXPECT_EQ(wrong_colour, 0);
  EXPECT_EQ(wrong_alpha, 0);
  EXPECT_GT(transparent, 100);
  EXPECT_GT(opaque, 100);
  EXPECT_GT(partial, 50);  // edges inside output pixels
}

// libwebp's decode of `webp` at full size.
std::vector<uint8_t> DecodeWholeWebp(const std::string& webp) {
  int width = 0, height = 0;
  uint8_t* rgba =
      WebPDecodeRGBA(reinterpret_cast<const uint8_t*>(webp.data()), webp.size(), &width, &height);
  EXPECT_EQ(width, kWidth);
  EXPECT_EQ(height, kHeight);
  std::vector<uint8_t> pixels;
  if (rgba != nullptr && width == kWidth && height == kHeight)
    pixels.assign(rgba, rgba + size_t{kWidth} * kHeight * 4);
  WebPFree(rgba);
  return pixels;
}

class AlphaTest : public ::testing::TestWithParam<Scene> {
 protected:
  const Scene& scene() const { return GetParam(); }
  std::string Named(const std::string& kind) const { return kind + ", " + scene().name; }
};

TEST_P(AlphaTest, PngRgba) {
  ExpectNoFringes({Named("RGBA PNG"), PngRgba8(scene()), 4, Rgba8(scene(), false)});
}

TEST_P(AlphaTest, PngRgba16) {
  ExpectNoFringes({Named("16-bit RGBA PNG"), PngRgba16(scene()), 4, Rgba8(scene(), false)});
}

TEST_P(AlphaTest, PngGreyAlpha) {
  const Scene grey = Grey(scene());
  ExpectNoFringes({Named("grey+alpha PNG"), PngGreyAlpha(grey), 2, Rgba8(grey, false)});
}

TEST_P(AlphaTest, PngPaletteWithTrns) {
  ExpectNoFringes(
      {Named("palette PNG with tRNS"), PngPaletteWithTrns(scene()), 4, Rgba8(scene(), false)});
}

TEST_P(AlphaTest, GifTransparency) {
  ExpectNoFringes({Named("GIF"), Gif(scene()), 4, Rgba8(scene(), /*hard=*/true)});
}

TEST_P(AlphaTest, WebpLossless) {
  ExpectNoFringes({Named("lossless WebP"), Webp(scene(), true), 4, Rgba8(scene(), false)});
}

TEST_P(AlphaTest, WebpLossy) {
  // VP8 changes colours near the edges by itself (alpha is kept losslessly): the reference is
  // the file decoded whole.
  const std::string file = Webp(scene(), false);
  ExpectNoFringes({Named("lossy WebP"), file, 4, DecodeWholeWebp(file)});
}

TEST_P(AlphaTest, TiffUnassociated) {
  const Scene grey = Grey(scene());
  ExpectNoFringes({Named("RGBA TIFF, unassociated alpha"), Tiff(scene(), false, false), 4,
                   Rgba8(scene(), false)});
  ExpectNoFringes({Named("grey+alpha TIFF, unassociated alpha"), Tiff(grey, true, false), 2,
                   Rgba8(grey, false)});
}

TEST_P(AlphaTest, TiffAssociated) {
  const Scene grey = Grey(scene());
  ExpectNoFringes({Named("RGBA TIFF, associated alpha"), Tiff(scene(), false, true), 4,
                   Rgba8(scene(), false), true});
  ExpectNoFringes({Named("grey+alpha TIFF, associated alpha"), Tiff(grey, true, true), 2,
                   Rgba8(grey, false), true});
}

TEST_P(AlphaTest, HeifLossless) {
  ExpectNoFringes({Named("lossless HEIF"), Heif(scene()), 4, Rgba8(scene(), false)});
}

INSTANTIATE_TEST_SUITE_P(Scenes, AlphaTest, ::testing::Values(kWhiteOnBlack, kDarkOnWhite),
                         [](const ::testing::TestParamInfo<Scene>& info) {
                           return info.index == 0 ? std::string("WhiteOnBlack")
                                                  : std::string("DarkOnWhite");
                         });

}  // namespace
}  // namespace thumbpipe
