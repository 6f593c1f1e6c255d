// The JPEG XL decoder on files cjxl writes here: lossless ones from pictures the tests make
// (RGB, RGBA, grey, grey+alpha, 16-bit), compared pixel for pixel with their sources; lossy
// and recompressed photos from the corpus; EXIF orientation from the corpus's JPEGs, applied
// once; colour profiles; truncated and damaged files; --max-pixels.
#include "worker/decoders/decoder.h"

#include <gtest/gtest.h>
#include <zlib.h>

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

// cjxl's output for `source` with `options`; fails the test when cjxl cannot run.
std::string Jxl(const testing::TempDir& dir, const std::string& source,
                const std::vector<std::string>& options = {"-d", "0", "-e", "1"},
                const std::string& name = "out.jxl") {
  const std::string out = dir / name;
  const std::string error = testing::EncodeJxl(source, out, options);
  EXPECT_EQ(error, "");
  return error.empty() ? testing::ReadFile(out) : std::string();
}

Decoded Decode(const std::string& file, uint64_t max_pixels = 0) {
  return DecodeWith(*DecoderFor(Format::kJpegXl), file, max_pixels);
}

Format Sniff(const std::string& file) {
  return SniffFormat({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
}

TEST(JxlDecoderTest, LosslessRgbComesOutAsItsSource) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(160, 120, 3);
  testing::WritePng(dir / "rgb.png", source);
  const std::string file = Jxl(dir, dir / "rgb.png");
  ASSERT_FALSE(file.empty());
  ASSERT_EQ(file.substr(0, 2), "\xFF\x0A");  // a bare codestream
  EXPECT_EQ(Sniff(file), Format::kJpegXl);
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.full, (Size{160, 120}));
  EXPECT_EQ(decoded.rows, (Size{160, 120}));
  EXPECT_EQ(decoded.block, 1u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0);
  EXPECT_TRUE(decoded.colours.empty()) << "an sRGB image needs no colour description";
}

TEST(JxlDecoderTest, AlphaIsKept) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(96, 64, 4);
  testing::WritePng(dir / "rgba.png", source);
  const std::string file = Jxl(dir, dir / "rgba.png");
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 4u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0);
  const Thumbnail t = ThumbnailOf(file, {48, 48});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{48, 32}));
  EXPECT_EQ(t.image.channels, 4u);
  EXPECT_EQ(t.image.row(10)[47 * 4 + 3], 0) << "the transparent right quarter stays transparent";
}

TEST(JxlDecoderTest, GreyAndGreyAlphaStayGrey) {
  testing::TempDir dir;
  const cv::Mat grey = testing::Picture(64, 48, 1);
  testing::WritePng(dir / "grey.png", grey);
  std::string file = Jxl(dir, dir / "grey.png");
  ASSERT_FALSE(file.empty());
  Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 1u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, grey), 0);

  cv::Mat grey_alpha;
  const cv::Mat alpha = testing::Picture(64, 48, 4);
  std::vector<cv::Mat> planes;
  cv::split(alpha, planes);
  cv::merge(std::vector<cv::Mat>{grey, planes[3]}, grey_alpha);
  testing::WriteGreyAlphaPam(dir / "grey-alpha.pam", grey_alpha);
  file = Jxl(dir, dir / "grey-alpha.pam");
  ASSERT_FALSE(file.empty());
  decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 2u);
  EXPECT_EQ(testing::MaxDifference(decoded.image, grey_alpha), 0);
}

TEST(JxlDecoderTest, SixteenBitSamplesBecomeEightBit) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(64, 48, 3, /*sixteen=*/true);
  testing::WritePng(dir / "deep.png", source);
  const std::string file = Jxl(dir, dir / "deep.png");
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 3u);
  // libjxl rounds through floating point; one step either way is its rounding, not an error.
  const int difference = testing::MaxDifference(decoded.image, testing::To8Bit(source));
  EXPECT_GE(difference, 0);
  EXPECT_LE(difference, 1);
}

// A lossy file (XYB, libjxl renders it to sRGB) and a JPEG recompressed without loss (in a
// container) both come out close to the photo.
TEST(JxlDecoderTest, PhotosComeOutCloseToTheirSource) {
  testing::TempDir dir;
  const std::string source = testing::CorpusPath("exif-orientation/Landscape_1.jpg");
  cv::Mat original = cv::imread(source, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  cv::cvtColor(original, original, cv::COLOR_BGR2RGB);
  for (const auto& options : std::vector<std::vector<std::string>>{
           {"--lossless_jpeg=0", "-d", "1", "-e", "3"}, {"--lossless_jpeg=1"}}) {
    const std::string file = Jxl(dir, source, options);
    ASSERT_FALSE(file.empty());
    EXPECT_EQ(Sniff(file), Format::kJpegXl);
    const Decoded decoded = Decode(file);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    ASSERT_EQ(decoded.image.size(), (Size{1800, 1200}));
    EXPECT_TRUE(decoded.colours.empty());
    EXPECT_GT(testing::PsnrGrey(testing::ToMat(decoded.image), original), 35.0) << options[0];
  }
}

// cjxl moves a JPEG's EXIF orientation into the codestream, which libjxl applies; the EXIF
// kept in the file must not turn the image a second time.
TEST(JxlDecoderTest, ExifOrientationIsAppliedOnce) {
  testing::TempDir dir;
  const Thumbnail upright = ThumbnailOf(
      testing::ReadFile(testing::CorpusPath("exif-orientation/Landscape_1.jpg")), {200, 200});
  ASSERT_EQ(upright.outcome, Outcome::kThumbnail) << upright.reason;
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const std::string name = "Landscape_" + std::to_string(orientation) + ".jpg";
    const std::string file =
        Jxl(dir, testing::CorpusPath("exif-orientation/" + name), {"--lossless_jpeg=1"});
    ASSERT_FALSE(file.empty());
    ASSERT_NE(file.find("Exif"), std::string::npos) << name << ": cjxl kept no EXIF";
    const Thumbnail t = ThumbnailOf(file, {200, 200});
    ASSERT_EQ(t.outcome, Outcome::kThumbnail) << name << ": " << t.reason;
    ASSERT_EQ(t.image.size(), (Size{200, 133})) << name;
    // A wrongly turned one scores about 10-15 dB.
    EXPECT_GT(testing::PsnrGrey(testing::ToMat(t.image), testing::ToMat(upright.image)), 30.0)
        << name;
  }
}

TEST(JxlDecoderTest, ColoursOtherThanSrgbAreDescribed) {
  testing::TempDir dir;
  const cv::Mat source = testing::Picture(64, 48, 3);
  cv::Mat bgr;
  cv::cvtColor(source, bgr, cv::COLOR_RGB2BGR);
  ASSERT_TRUE(cv::imwrite(dir / "p3.ppm", bgr));
  const std::vector<std::string> p3 = {"-x", "color_space=RGB_D65_DCI_Rel_SRG"};

  // Lossless: the rows are in Display P3, and its profile is handed over.
  std::vector<std::string> options = p3;
  options.insert(options.end(), {"-d", "0", "-e", "1"});
  std::string file = Jxl(dir, dir / "p3.ppm", options);
  ASSERT_FALSE(file.empty());
  Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(testing::MaxDifference(decoded.image, source), 0);
  ASSERT_EQ(decoded.colours.size(), 1u);
  const std::vector<uint8_t>& icc = decoded.colours[0].icc;
  ASSERT_GT(icc.size(), 128u);
  EXPECT_EQ(std::string(icc.begin() + 36, icc.begin() + 40), "acsp");  // an ICC profile
  EXPECT_EQ(std::string(icc.begin() + 16, icc.begin() + 20), "RGB ");

  // Lossy (XYB): libjxl renders sRGB rows itself, so there is nothing to describe.
  options = p3;
  options.insert(options.end(), {"-d", "1", "-e", "3"});
  file = Jxl(dir, dir / "p3.ppm", options);
  ASSERT_FALSE(file.empty());
  decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_TRUE(decoded.colours.empty());

  // A PNG's embedded profile survives lossless coding and is handed over as it was.
  const std::string with_icc = testing::CorpusPath("libjpeg-turbo/vgl_5674_0098.png");
  file = Jxl(dir, with_icc);
  ASSERT_FALSE(file.empty());
  decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.colours.size(), 1u);
  EXPECT_EQ(decoded.colours[0].icc.size(), 3024u);
}

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string PngChunk(const std::string& type, const std::string& data) {
  const std::string body = type + data;
  return Be32(static_cast<uint32_t>(data.size())) + body +
         Be32(static_cast<uint32_t>(
             crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

// An animated PNG of w x h RGB frames, each all one colour, shown a tenth of a second each.
std::string AnimatedPng(uint32_t w, uint32_t h, const std::vector<std::vector<uint8_t>>& frames) {
  std::string png("\x89PNG\r\n\x1A\n", 8);
  png += PngChunk("IHDR", Be32(w) + Be32(h) + std::string("\x08\x02\x00\x00\x00", 5));
  png += PngChunk("acTL", Be32(static_cast<uint32_t>(frames.size())) + Be32(0));
  uint32_t sequence = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    png += PngChunk("fcTL", Be32(sequence++) + Be32(w) + Be32(h) + Be32(0) + Be32(0) +
                                std::string("\x00\x01\x00\x0A\x00\x00", 6));
    std::string rows;
    for (uint32_t y = 0; y < h; ++y) {
      rows += '\0';  // filter: none
      for (uint32_t x = 0; x < w; ++x) rows.append(frames[i].begin(), frames[i].end());
    }
    std::string packed(compressBound(rows.size()), '\0');
    uLongf size = packed.size();
    EXPECT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &size,
                       reinterpret_cast<const Bytef*>(rows.data()), rows.size()),
              Z_OK);
    packed.resize(size);
    png += i == 0 ? PngChunk("IDAT", packed) : PngChunk("fdAT", Be32(sequence++) + packed);
  }
  return png + PngChunk("IEND", "");
}

TEST(JxlDecoderTest, AnimationGivesItsFirstFrame) {
  testing::TempDir dir;
  testing::WriteFile(dir / "anim.png", AnimatedPng(16, 12, {{200, 20, 20}, {20, 20, 200}}));
  const std::string file = Jxl(dir, dir / "anim.png");
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{16, 12}));
  for (uint32_t y = 0; y < 12; ++y) {
    for (uint32_t x = 0; x < 16; ++x) {
      const uint8_t* p = decoded.image.row(y) + x * decoded.image.channels;
      ASSERT_EQ(std::vector<int>(p, p + 3), (std::vector<int>{200, 20, 20})) << x << "," << y;
    }
  }
}

TEST(JxlDecoderTest, TruncatedFileFailsWithAClearReason) {
  testing::TempDir dir;
  testing::WritePng(dir / "rgb.png", testing::Picture(160, 120, 3));
  for (const auto& options : std::vector<std::vector<std::string>>{
           {"-d", "0", "-e", "1"}, {"-d", "1", "-e", "3", "--container=1"}}) {
    const std::string file = Jxl(dir, dir / "rgb.png", options);
    ASSERT_FALSE(file.empty());
    for (size_t size : {size_t{1}, size_t{5}, size_t{20}, file.size() / 2, file.size() - 1}) {
      const Decoded decoded = Decode(file.substr(0, size));
      EXPECT_EQ(decoded.status.message(), "JPEG XL data ends early (the file is truncated)")
          << size << " of " << file.size() << " bytes, " << options.back();
    }
    const Thumbnail t = ThumbnailOf(file.substr(0, file.size() / 2), {200, 200});
    EXPECT_EQ(t.outcome, Outcome::kFailed);
    EXPECT_EQ(t.format, Format::kJpegXl);
    EXPECT_EQ(t.reason, "JPEG XL data ends early (the file is truncated)");
  }
}

TEST(JxlDecoderTest, DamagedFileFailsWithAClearReason) {
  testing::TempDir dir;
  testing::WritePng(dir / "rgb.png", testing::Picture(160, 120, 3));
  std::string file = Jxl(dir, dir / "rgb.png", {"-d", "1", "-e", "3"});
  ASSERT_FALSE(file.empty());
  // Scribble over the frame's data: the header still reads, the image does not.
  for (size_t i = file.size() / 3; i < file.size(); i += 7) file[i] = static_cast<char>(0xA5);
  // libjxl prints what went wrong to stderr; it is held back, and the reason is ours.
  ::testing::internal::CaptureStderr();
  const Thumbnail t = ThumbnailOf(file, {200, 200});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "JPEG XL file is damaged or of a kind thumbpipe does not support");
}

TEST(JxlDecoderTest, MaxPixelsRefusesBeforeDecoding) {
  testing::TempDir dir;
  testing::WritePng(dir / "rgb.png", testing::Picture(640, 480, 3));
  std::string file = Jxl(dir, dir / "rgb.png", {"-d", "1", "-e", "3"});
  ASSERT_FALSE(file.empty());
  // Wreck everything after the first bytes (the basic info): only a decoder that decodes
  // notices.
  for (size_t i = 16; i < file.size(); ++i) file[i] = '\xff';
  Decoded decoded = Decode(file, 100'000);
  EXPECT_EQ(decoded.status.message(),
            "JPEG XL image is 640x480 (0.3 megapixels), more than the limit of 0.1 (--max-pixels)");
  const Thumbnail t = ThumbnailOf(file, {200, 200}, 100'000);
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason,
            "JPEG XL image is 640x480 (0.3 megapixels), more than the limit of 0.1 "
            "(--max-pixels)");
  // Within the limit, the wrecked data is what fails.
  decoded = Decode(file, 307'200);
  EXPECT_FALSE(decoded.status.ok());
  EXPECT_EQ(decoded.status.message().find("image is"), std::string::npos)
      << decoded.status.message();
}

}  // namespace
}  // namespace thumbpipe
