// The JPEG 2000 decoder on files opj_compress writes here, as JP2 files and raw codestreams:
// lossless ones from pictures the tests make (RGB, RGBA, grey, grey+alpha, 16-bit, 12-bit
// signed), compared pixel for pixel with their sources; a lower resolution level decoded when
// it is twice the thumbnail; sYCC with subsampled chroma; and JP2 files put together here around
// opj_compress's codestreams for what it does not write: a palette, an ICC profile, CMYK, a
// tile with fewer levels than its main header. Then truncated, damaged and oversized files.
#include "worker/decoders/jp2_decoder.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/encoders.h"
#include "tests/support/images.h"
#include "tests/support/support.h"
#include "tests/worker/decoders/decode_helpers.h"
#include "worker/sniff.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;
using testing::Decoded;
using testing::DecodeWith;
using testing::ThumbnailOf;
using Rgb = std::vector<int>;

// opj_compress's output for `source` into `name` (.jp2 or .j2k) with `options` (none:
// lossless, 6 levels); fails the test when opj_compress cannot run.
std::string Jp2(const testing::TempDir& dir, const std::string& source, const std::string& name,
                const std::vector<std::string>& options = {}) {
  const std::string out = dir / name;
  const std::string error = testing::EncodeJp2(source, out, options);
  EXPECT_EQ(error, "");
  return error.empty() ? testing::ReadFile(out) : std::string();
}

Decoded Decode(const std::string& file, uint64_t max_pixels = 0, Size needed = {0, 0}) {
  return DecodeWith(Jp2Decoder(), file, max_pixels, needed);
}

Format Sniff(const std::string& file) {
  return SniffFormat({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
}

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::string Be16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }

std::string Box(const std::string& type, const std::string& payload) {
  return Be32(static_cast<uint32_t>(8 + payload.size())) + type + payload;
}

// A JP2 file around `codestream` (a raw J2K of `components` 8-bit components): the signature
// and file type boxes, a header box with the image header and `header_boxes` (a colour
// specification at least), and the codestream box.
std::string WrapJp2(const std::string& codestream, Size size, uint16_t components,
                    const std::string& header_boxes) {
  const std::string ihdr = Be32(size.height) + Be32(size.width) + Be16(components) +
                           std::string("\x07\x07\x00\x00", 4);  // 8 bits, wavelet, no IPR
  return Box("jP  ", "\r\n\x87\n") + Box("ftyp", "jp2 " + Be32(0) + "jp2 ") +
         Box("jp2h", Box("ihdr", ihdr) + header_boxes) + Box("jp2c", codestream);
}

std::string EnumeratedColour(uint32_t space) {
  return Box("colr", std::string("\x01\x00\x00", 3) + Be32(space));
}

TEST(Jp2DecoderTest, LosslessJp2AndJ2kComeOutAsTheirSource) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(160, 120, 3);
  testing::WritePng(dir / "rgb.png", source);
  for (const std::string name : {"out.jp2", "out.j2k"}) {
    const std::string file = Jp2(dir, dir / "rgb.png", name);
    ASSERT_FALSE(file.empty());
    EXPECT_EQ(Sniff(file), Format::kJpeg2000) << name;
    const Decoded decoded = Decode(file);
    ASSERT_TRUE(decoded.status.ok()) << name << ": " << decoded.status.message();
    EXPECT_EQ(decoded.full, (Size{160, 120}));
    EXPECT_EQ(decoded.rows, (Size{160, 120}));
    EXPECT_EQ(decoded.block, 1u);
    EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0) << name;
    EXPECT_TRUE(decoded.colours.empty());
  }
}

TEST(Jp2DecoderTest, AlphaIsKept) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(96, 64, 4);
  testing::WritePng(dir / "rgba.png", source);
  // The JP2 names its alpha component; the codestream cannot, and its fourth is taken as alpha.
  for (const std::string name : {"out.jp2", "out.j2k"}) {
    const std::string file = Jp2(dir, dir / "rgba.png", name);
    ASSERT_FALSE(file.empty());
    const Decoded decoded = Decode(file);
    ASSERT_TRUE(decoded.status.ok()) << name << ": " << decoded.status.message();
    ASSERT_EQ(decoded.image.channels, 4u) << name;
    EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0) << name;
  }
  const Thumbnail t = ThumbnailOf(testing::ReadFile(dir / "out.jp2"), {48, 48});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.format, Format::kJpeg2000);
  EXPECT_EQ(t.image.size(), (Size{48, 32}));
  EXPECT_EQ(t.image.channels, 4u);
  EXPECT_EQ(t.image.row(10)[47 * 4 + 3], 0) << "the transparent right quarter stays transparent";
}

TEST(Jp2DecoderTest, GreyAndGreyAlphaStayGrey) {
  testing::TempDir dir;
  const cv::Mat grey = testing::Picture(64, 48, 1);
  testing::WritePng(dir / "grey.png", grey);
  std::string file = Jp2(dir, dir / "grey.png", "grey.jp2");
  ASSERT_FALSE(file.empty());
  Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 1u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, grey), 0);

  cv::Mat grey_alpha;
  std::vector<cv::Mat> planes;
  cv::split(testing::Picture(64, 48, 4), planes);
  cv::merge(std::vector<cv::Mat>{grey, planes[3]}, grey_alpha);
  testing::WriteGreyAlphaPam(dir / "grey-alpha.pam", grey_alpha);
  file = Jp2(dir, dir / "grey-alpha.pam", "grey-alpha.jp2");
  ASSERT_FALSE(file.empty());
  decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 2u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, grey_alpha), 0);
}

TEST(Jp2DecoderTest, SixteenBitSamplesBecomeEightBit) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(64, 48, 3, /*sixteen=*/true);
  testing::WritePng(dir / "deep.png", source);
  const std::string file = Jp2(dir, dir / "deep.png", "deep.jp2");
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(testing::MaxDifference(decoded.image, testing::To8Bit(source)), 0);
}

// 12-bit signed samples, -2048 to 2047, written raw (big-endian) for opj_compress: -2048 is
// black, 2047 white, v between them round((v + 2048) * 255 / 4095).
TEST(Jp2DecoderTest, SignedTwelveBitSamplesBecomeEightBit) {
  testing::TempDir dir;
  const int w = 64, h = 48;
  std::string raw;
  cv::Mat expected(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int v = (x * h + y) * 4095 / (w * h - 1) - 2048;
      raw += Be16(static_cast<uint16_t>(static_cast<int16_t>(v)));
      expected.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround((v + 2048) * 255.0 / 4095.0));
    }
  }
  testing::WriteFile(dir / "signed.raw", raw);
  const std::string file = Jp2(dir, dir / "signed.raw", "signed.j2k", {"-F", "64,48,1,12,s"});
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 1u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, expected), 0);
  EXPECT_EQ(decoded.image.row(0)[0], 0);
  EXPECT_EQ(decoded.image.row(h - 1)[w - 1], 255);
}

TEST(Jp2DecoderTest, TheSmallestLevelTwiceTheNeedIsDecoded) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(640, 480, 3);
  testing::WritePng(dir / "big.png", source);
  const std::string file = Jp2(dir, dir / "big.png", "big.jp2");
  ASSERT_FALSE(file.empty());
  // Each level halves both sides: for 80x60 the 1/4 level (160x120) is twice the need, for
  // 81x60 the 1/2 level; 1/32 is the smallest of six levels.
  const std::vector<std::pair<Size, Size>> cases = {
      {{80, 60}, {160, 120}}, {{81, 60}, {320, 240}},  {{40, 30}, {80, 60}},
      {{10, 7}, {20, 15}},    {{1, 1}, {20, 15}},      {{320, 240}, {640, 480}},
      {{321, 1}, {640, 480}}, {{640, 480}, {640, 480}}};
  for (const auto& [needed, rows] : cases) {
    const Decoded decoded = Decode(file, 0, needed);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    EXPECT_EQ(decoded.full, (Size{640, 480}));
    EXPECT_EQ(decoded.rows, rows) << "needed " << needed.width << "x" << needed.height;
    EXPECT_EQ(decoded.block, 1u);
  }
  // The thumbnail made from the 1/4 level looks like the picture shrunk.
  const Thumbnail t = ThumbnailOf(file, {80, 80});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{80, 60}));
  cv::Mat shrunk;
  cv::resize(source, shrunk, {80, 60}, 0, 0, cv::INTER_AREA);
  EXPECT_GT(cv::PSNR(testing::ToMat(t.image), shrunk), 30.0);
}

// Odd sizes and an image that does not start at the grid's origin round the levels up.
TEST(Jp2DecoderTest, ReducedLevelsOfOddSizesStillCoverTheNeed) {
  testing::TempDir dir;
  testing::WritePng(dir / "odd.png", testing::Picture(641, 483, 3));
  for (const std::vector<std::string>& options :
       std::vector<std::vector<std::string>>{{}, {"-d", "3,5"}}) {
    const std::string file = Jp2(dir, dir / "odd.png", "odd.j2k", options);
    ASSERT_FALSE(file.empty());
    for (const Size needed : {Size{41, 31}, Size{40, 30}, Size{21, 16}, Size{100, 76}}) {
      const Decoded decoded = Decode(file, 0, needed);
      ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
      EXPECT_EQ(decoded.full, (Size{641, 483}));
      EXPECT_GE(decoded.rows.width, 2 * needed.width);
      EXPECT_GE(decoded.rows.height, 2 * needed.height);
      EXPECT_LT(decoded.rows.width, 4 * needed.width + 2) << "not the smallest level";
      EXPECT_EQ(decoded.image.size(), decoded.rows);
    }
  }
}

// sYCC, as opj_compress writes raw 4:2:0 input, with the chroma components at half size.
TEST(Jp2DecoderTest, SyccWithSubsampledChromaComesOutRgb) {
  testing::TempDir dir;
  const int w = 64, h = 48;
  const std::vector<Rgb> colours = {{230, 30, 30}, {30, 200, 30}, {30, 30, 230}, {240, 240, 240}};
  // The colour of each quadrant: top left, top right, bottom left, bottom right.
  const auto quadrant = [&](int x, int y) { return (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1); };
  const auto ycc = [](const Rgb& c) {
    const double y = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    return std::vector<uint8_t>{static_cast<uint8_t>(std::lround(y)),
                                static_cast<uint8_t>(std::lround(128 + (c[2] - y) / 1.772)),
                                static_cast<uint8_t>(std::lround(128 + (c[0] - y) / 1.402))};
  };
  std::string planes[3];
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) planes[0] += static_cast<char>(ycc(colours[quadrant(x, y)])[0]);
  }
  for (int y = 0; y < h; y += 2) {
    for (int x = 0; x < w; x += 2) {
      planes[1] += static_cast<char>(ycc(colours[quadrant(x, y)])[1]);
      planes[2] += static_cast<char>(ycc(colours[quadrant(x, y)])[2]);
    }
  }
  testing::WriteFile(dir / "420.raw", planes[0] + planes[1] + planes[2]);
  // As a JP2 the colour space says sYCC; a codestream says nothing, and its subsampled second
  // and third components are taken as chroma.
  for (const std::string name : {"420.jp2", "420.j2k"}) {
    const std::string file =
        Jp2(dir, dir / "420.raw", name, {"-F", "64,48,3,8,u@1x1:2x2:2x2", "-mct", "0"});
    ASSERT_FALSE(file.empty());
    const Decoded decoded = Decode(file);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    ASSERT_EQ(decoded.image.size(), (Size{64, 48}));
    ASSERT_EQ(decoded.image.channels, 3u);
    for (int y = 2; y < h; y += 4) {
      for (int x = 2; x < w; x += 4) {
        const uint8_t* p = decoded.image.row(static_cast<uint32_t>(y)) + x * 3;
        const Rgb& c = colours[quadrant(x, y)];
        for (int i = 0; i < 3; ++i)
          ASSERT_NEAR(p[i], c[i], 3) << name << " at " << x << "," << y << " channel " << i;
      }
    }
  }
}

// A JP2 whose one component indexes a palette of four colours. Its levels would average the
// indexes, so it is decoded whole however small the need.
TEST(Jp2DecoderTest, PaletteImageIsDecodedAtFullSize) {
  testing::TempDir dir;
  const int w = 64, h = 48;
  cv::Mat indexes(h, w, CV_8UC1);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) indexes.at<uint8_t>(y, x) = static_cast<uint8_t>((x / 4 + y) % 4);
  }
  testing::WritePng(dir / "indexes.png", indexes);
  const std::string codestream = Jp2(dir, dir / "indexes.png", "indexes.j2k");
  ASSERT_FALSE(codestream.empty());
  const std::vector<Rgb> palette = {{250, 0, 0}, {0, 250, 0}, {0, 0, 250}, {250, 250, 250}};
  std::string pclr = Be16(4) + '\x03' + std::string("\x07\x07\x07", 3);
  for (const Rgb& c : palette) {
    for (int v : c) pclr += static_cast<char>(v);
  }
  std::string cmap;
  for (int i = 0; i < 3; ++i) cmap += Be16(0) + '\x01' + static_cast<char>(i);
  const std::string file = WrapJp2(codestream, {64, 48}, 1,
                                   EnumeratedColour(16) + Box("pclr", pclr) + Box("cmap", cmap));
  const Decoded decoded = Decode(file, 0, {8, 6});
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.rows, (Size{64, 48}));
  ASSERT_EQ(decoded.image.channels, 3u);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = decoded.image.row(static_cast<uint32_t>(y)) + x * 3;
      const Rgb& c = palette[indexes.at<uint8_t>(y, x)];
      ASSERT_EQ(Rgb(p, p + 3), c) << x << "," << y;
    }
  }
}

TEST(Jp2DecoderTest, EmbeddedIccProfileIsHandedOver) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(64, 48, 3);
  testing::WritePng(dir / "rgb.png", source);
  const std::string codestream = Jp2(dir, dir / "rgb.png", "rgb.j2k");
  ASSERT_FALSE(codestream.empty());
  const std::string icc = testing::ReadFile(testing::CorpusPath("libjpeg-turbo/test3.icc"));
  ASSERT_GT(icc.size(), 128u);
  const std::string file =
      WrapJp2(codestream, {64, 48}, 3, Box("colr", std::string("\x02\x00\x00", 3) + icc));
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0);
  ASSERT_EQ(decoded.colours.size(), 1u);
  EXPECT_EQ(std::string(decoded.colours[0].icc.begin(), decoded.colours[0].icc.end()), icc);
}

TEST(Jp2DecoderTest, CmykIsRefusedWithAClearReason) {
  testing::TempDir dir;
  testing::WritePng(dir / "four.png", testing::Picture(64, 48, 4));
  const std::string codestream = Jp2(dir, dir / "four.png", "four.j2k");
  ASSERT_FALSE(codestream.empty());
  const Thumbnail t = ThumbnailOf(WrapJp2(codestream, {64, 48}, 4, EnumeratedColour(12)), {32, 32});
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "JPEG 2000 file uses CMYK, which thumbpipe does not support");
}

// The marker segments of a codestream's main header, by marker (0xFF52 COD, ...), and where
// its first tile-part (SOT) starts.
struct MainHeader {
  std::map<uint16_t, std::string> segments;
  size_t first_tile = 0;
};

MainHeader ReadMainHeader(const std::string& codestream) {
  MainHeader header;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(codestream[i]); };
  size_t at = 2;  // after SOC
  while (at + 4 <= codestream.size()) {
    const uint16_t marker = static_cast<uint16_t>(byte(at) << 8 | byte(at + 1));
    if (marker == 0xFF90) {
      header.first_tile = at;
      break;
    }
    const size_t length = size_t{byte(at + 2)} << 8 | byte(at + 3);
    header.segments[marker] = codestream.substr(at, 2 + length);
    at += 2 + length;
  }
  return header;
}

// A codestream whose main header says 6 resolution levels and whose one tile says 3 (its own
// COD and QCD, which take precedence): asked for the 1/32 level, OpenJPEG finds out only at
// the tile, and the image is decoded again at full size.
TEST(Jp2DecoderTest, TileWithFewerLevelsIsDecodedAgainAtFullSize) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(640, 480, 3);
  testing::WritePng(dir / "big.png", source);
  const std::string six = Jp2(dir, dir / "big.png", "six.j2k", {"-n", "6"});
  const std::string three = Jp2(dir, dir / "big.png", "three.j2k", {"-n", "3"});
  ASSERT_FALSE(six.empty());
  ASSERT_FALSE(three.empty());
  const MainHeader main = ReadMainHeader(six);
  const MainHeader tile = ReadMainHeader(three);
  ASSERT_NE(main.first_tile, 0u);
  ASSERT_NE(tile.first_tile, 0u);
  ASSERT_EQ(tile.segments.count(0xFF52), 1u);
  ASSERT_EQ(tile.segments.count(0xFF5C), 1u);
  // SOT (12 bytes, its Psot counting the whole tile-part), then the tile's COD and QCD, then
  // the rest of three's tile-part.
  const std::string coding = tile.segments.at(0xFF52) + tile.segments.at(0xFF5C);
  std::string sot = three.substr(tile.first_tile, 12);
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(sot[i]); };
  const uint32_t psot =
      uint32_t{byte(6)} << 24 | uint32_t{byte(7)} << 16 | uint32_t{byte(8)} << 8 | byte(9);
  ASSERT_GT(psot, 12u);
  sot.replace(6, 4, Be32(psot + static_cast<uint32_t>(coding.size())));
  const std::string file = six.substr(0, main.first_tile) + sot + coding +
                           three.substr(tile.first_tile + 12, psot - 12) + "\xFF\xD9";

  const Decoded decoded = Decode(file, 0, {10, 8});
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.rows, (Size{640, 480}));
  EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0);
  // Levels the tile has are used as usual.
  EXPECT_EQ(Decode(file, 0, {80, 60}).rows, (Size{160, 120}));
}

TEST(Jp2DecoderTest, TruncatedFileFailsWithAClearReason) {
  testing::TempDir dir;
  testing::WritePng(dir / "rgb.png", testing::Picture(160, 120, 3));
  for (const std::string name : {"out.jp2", "out.j2k"}) {
    const std::string file = Jp2(dir, dir / "rgb.png", name);
    ASSERT_FALSE(file.empty());
    for (size_t size : {size_t{12}, size_t{60}, size_t{200}, file.size() / 2, file.size() - 3}) {
      const Decoded decoded = Decode(file.substr(0, size));
      EXPECT_EQ(decoded.status.message(), "JPEG 2000 data ends early (the file is truncated)")
          << name << " cut to " << size << " of " << file.size() << " bytes";
    }
    const Thumbnail t = ThumbnailOf(file.substr(0, file.size() / 2), {64, 64});
    EXPECT_EQ(t.outcome, Outcome::kFailed);
    EXPECT_EQ(t.format, Format::kJpeg2000);
    EXPECT_EQ(t.reason, "JPEG 2000 data ends early (the file is truncated)");
  }
}

TEST(Jp2DecoderTest, DamagedFileFailsWithAClearReason) {
  testing::TempDir dir;
  testing::WritePng(dir / "rgb.png", testing::Picture(160, 120, 3));
  std::string file = Jp2(dir, dir / "rgb.png", "out.j2k");
  ASSERT_FALSE(file.empty());
  // The coding style (COD) asks for 40 wavelet decompositions, more than the standard allows.
  const size_t cod = file.find("\xFF\x52");
  ASSERT_NE(cod, std::string::npos);
  file[cod + 9] = 40;
  const Thumbnail t = ThumbnailOf(file, {64, 64});
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "JPEG 2000 header is damaged");
}

TEST(Jp2DecoderTest, MaxPixelsRefusesBeforeDecoding) {
  testing::TempDir dir;
  testing::WritePng(dir / "rgb.png", testing::Picture(640, 480, 3));
  std::string file = Jp2(dir, dir / "rgb.png", "out.j2k");
  ASSERT_FALSE(file.empty());
  // Wreck the tiles (from the first start-of-tile marker on): only a decoder that decodes
  // notices.
  const size_t tiles = file.find("\xFF\x90");
  ASSERT_NE(tiles, std::string::npos);
  for (size_t i = tiles + 14; i < file.size(); ++i) file[i] = '\xff';
  Decoded decoded = Decode(file, 100'000);
  EXPECT_EQ(
      decoded.status.message(),
      "JPEG 2000 image is 640x480 (0.3 megapixels), more than the limit of 0.1 (--max-pixels)");
  const Thumbnail t = ThumbnailOf(file, {200, 200}, 100'000);
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason,
            "JPEG 2000 image is 640x480 (0.3 megapixels), more than the limit of 0.1 "
            "(--max-pixels)");
  // Within the limit, the wrecked data is what fails.
  decoded = Decode(file, 307'200);
  EXPECT_FALSE(decoded.status.ok());
  EXPECT_EQ(decoded.status.message().find("image is"), std::string::npos)
      << decoded.status.message();
}

}  // namespace
}  // namespace thumbpipe
