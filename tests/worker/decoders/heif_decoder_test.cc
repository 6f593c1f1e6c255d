// The HEIF decoder on files heif-enc writes here from PNGs the tests make (four coloured
// quadrants, so a turn or a mirror shows) and from the corpus's EXIF-oriented JPEGs: HEIC and
// AVIF, alpha, rotation by irot, mirroring by imir, EXIF orientation ignored, the embedded
// thumbnail, truncation and --max-pixels.
#include "worker/decoders/decoder.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/log.h"
#include "tests/fakes/image_sink.h"
#include "tests/support/images.h"
#include "tests/support/support.h"
#include "worker/sniff.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;
using Rgb = std::vector<int>;

const Rgb kRed{230, 30, 30}, kGreen{30, 200, 30}, kBlue{30, 30, 230}, kWhite{240, 240, 240};

// A w x h PNG (RGB, or RGBA with the right half transparent) whose quadrants are red (top
// left), green (top right), blue (bottom left) and white.
std::string QuadrantsPng(const testing::TempDir& dir, int w, int h, bool alpha = false) {
  cv::Mat image(h, w, alpha ? CV_8UC4 : CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const Rgb& c = y < h / 2 ? (x < w / 2 ? kRed : kGreen) : (x < w / 2 ? kBlue : kWhite);
      const uint8_t a = alpha && x >= w / 2 ? 0 : 255;
      uint8_t* p = image.ptr<uint8_t>(y) + x * image.channels();
      p[0] = static_cast<uint8_t>(c[2]);  // OpenCV writes BGR(A)
      p[1] = static_cast<uint8_t>(c[1]);
      p[2] = static_cast<uint8_t>(c[0]);
      if (alpha) p[3] = a;
    }
  }
  const std::string path = dir / (alpha ? "quadrants-alpha.png" : "quadrants.png");
  EXPECT_TRUE(cv::imwrite(path, image));
  return path;
}

// heif-enc's output for `source` with `options`; fails the test when heif-enc cannot run.
std::string Heif(const testing::TempDir& dir, const std::string& source,
                 const std::vector<std::string>& options = {"-q", "90"},
                 const std::string& name = "out.heic") {
  const std::string out = dir / name;
  const std::string error = testing::EncodeHeif(source, out, options);
  EXPECT_EQ(error, "");
  return error.empty() ? testing::ReadFile(out) : std::string();
}

struct Decoded {
  Status status;
  Image image;
  Size full;
};

Decoded Decode(const std::string& file, uint64_t max_pixels = 0,
               Size needed = {0, 0} /* 0: the full size */) {
  MemoryInput input({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
  DecodeRequest request;
  request.needed_size = [needed](Size full) { return needed.width == 0 ? full : needed; };
  request.max_pixels = max_pixels;
  testing::ImageSink sink;
  Decoded decoded;
  decoded.status = DecoderFor(Format::kHeif)->Decode(input, request, &sink);
  decoded.image = std::move(sink.image());
  decoded.full = sink.full();
  return decoded;
}

Thumbnail MakeThumbnailOf(const std::string& file, Size box, uint64_t max_pixels = 0) {
  ThumbnailRequest request;
  request.box = box;
  request.max_pixels = max_pixels;
  Thumbnail thumbnail;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, request, &thumbnail);
  return thumbnail;
}

Rgb Pixel(const Image& image, uint32_t x, uint32_t y) {
  const uint8_t* p = image.row(y) + size_t{x} * image.channels;
  return Rgb(p, p + image.channels);
}

// True when the first three channels of `pixel` are within `tolerance` of `colour`.
bool Near(const Rgb& pixel, const Rgb& colour, int tolerance = 24) {
  for (size_t i = 0; i < 3; ++i) {
    if (std::abs(pixel[i] - colour[i]) > tolerance) return false;
  }
  return true;
}

// The colours at the centres of the four quadrants: top left, top right, bottom left, bottom
// right.
std::vector<Rgb> Quadrants(const Image& image) {
  const uint32_t w = image.width, h = image.height;
  return {Pixel(image, w / 4, h / 4), Pixel(image, 3 * w / 4, h / 4),
          Pixel(image, w / 4, 3 * h / 4), Pixel(image, 3 * w / 4, 3 * h / 4)};
}

void ExpectQuadrants(const Image& image, const std::vector<Rgb>& colours) {
  const std::vector<Rgb> got = Quadrants(image);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(Near(got[i], colours[i]))
        << "quadrant " << i << ": " << got[i][0] << "," << got[i][1] << "," << got[i][2];
  }
}

cv::Mat ToMat(const Image& image) {
  cv::Mat mat(static_cast<int>(image.height), static_cast<int>(image.width),
              CV_8UC(static_cast<int>(image.channels)));
  for (uint32_t y = 0; y < image.height; ++y)
    std::memcpy(mat.ptr(static_cast<int>(y)), image.row(y), image.stride());
  return mat;
}

TEST(HeifDecoderTest, HeicDecodesToItsSizeAndColours) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 320, 240));
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(SniffFormat({reinterpret_cast<const uint8_t*>(file.data()), file.size()}),
            Format::kHeif);
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.full, (Size{320, 240}));
  ASSERT_EQ(decoded.image.size(), (Size{320, 240}));
  ASSERT_EQ(decoded.image.channels, 3u);
  ExpectQuadrants(decoded.image, {kRed, kGreen, kBlue, kWhite});
}

TEST(HeifDecoderTest, PhotoComesOutCloseToItsSource) {
  testing::TempDir dir;
  const std::string source = testing::CorpusPath("exif-orientation/Landscape_1.jpg");
  const std::string file = Heif(dir, source);
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{1800, 1200}));
  cv::Mat original = cv::imread(source, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  cv::cvtColor(original, original, cv::COLOR_BGR2RGB);
  EXPECT_GT(testing::PsnrGrey(ToMat(decoded.image), original), 35.0);
}

TEST(HeifDecoderTest, AvifDecodesThroughTheSameDecoder) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 320, 240), {"-A", "-q", "90"}, "out.avif");
  ASSERT_FALSE(file.empty());
  ASSERT_EQ(SniffFormat({reinterpret_cast<const uint8_t*>(file.data()), file.size()}),
            Format::kHeif);
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{320, 240}));
  ExpectQuadrants(decoded.image, {kRed, kGreen, kBlue, kWhite});
  const Thumbnail t = MakeThumbnailOf(file, {100, 100});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{100, 75}));
}

TEST(HeifDecoderTest, AlphaGivesRgba) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 320, 240, /*alpha=*/true));
  ASSERT_FALSE(file.empty());
  const Decoded decoded = Decode(file);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.channels, 4u);
  EXPECT_GE(Pixel(decoded.image, 40, 60)[3], 250);
  EXPECT_LE(Pixel(decoded.image, 280, 60)[3], 5);
  EXPECT_TRUE(Near(Pixel(decoded.image, 40, 60), kRed));
  const Thumbnail t = MakeThumbnailOf(file, {32, 32});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.channels, 4u);
}

TEST(HeifDecoderTest, IrotTurnsTheImage) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 320, 240));
  ASSERT_FALSE(file.empty());
  // A quarter turn anticlockwise brings the top right to the top left.
  std::string turned = file;
  ASSERT_TRUE(testing::RotateHeif(&turned, 1));
  Decoded decoded = Decode(turned);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.full, (Size{240, 320}));
  ASSERT_EQ(decoded.image.size(), (Size{240, 320}));
  ExpectQuadrants(decoded.image, {kGreen, kWhite, kRed, kBlue});
  // Three quarters: the bottom left to the top left.
  turned = file;
  ASSERT_TRUE(testing::RotateHeif(&turned, 3));
  decoded = Decode(turned);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{240, 320}));
  ExpectQuadrants(decoded.image, {kBlue, kRed, kWhite, kGreen});
  // And the thumbnail is upright in the box.
  const Thumbnail t = MakeThumbnailOf(turned, {200, 200});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{150, 200}));
  ExpectQuadrants(t.image, {kBlue, kRed, kWhite, kGreen});
}

TEST(HeifDecoderTest, ImirMirrorsTheImage) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 320, 240));
  ASSERT_FALSE(file.empty());
  // libheif 1.15 reads axis 0 as top and bottom changing places ...
  std::string mirrored = file;
  ASSERT_TRUE(testing::MirrorHeif(&mirrored, 0));
  Decoded decoded = Decode(mirrored);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{320, 240}));
  ExpectQuadrants(decoded.image, {kBlue, kWhite, kRed, kGreen});
  // ... and axis 1 as left and right.
  mirrored = file;
  ASSERT_TRUE(testing::MirrorHeif(&mirrored, 1));
  decoded = Decode(mirrored);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectQuadrants(decoded.image, {kGreen, kRed, kWhite, kBlue});
}

// Landscape_6.jpg holds the photo turned a quarter anticlockwise (1200x1800) with EXIF
// orientation 6. heif-enc keeps the pixels as stored and the EXIF, and writes no irot.
TEST(HeifDecoderTest, ExifOrientationIsIgnoredAndIrotAppliedOnce) {
  testing::TempDir dir;
  const std::string file = Heif(dir, testing::CorpusPath("exif-orientation/Landscape_6.jpg"));
  ASSERT_FALSE(file.empty());
  ASSERT_NE(file.find("Exif"), std::string::npos) << "heif-enc kept no EXIF";
  const Thumbnail upright = MakeThumbnailOf(
      testing::ReadFile(testing::CorpusPath("exif-orientation/Landscape_1.jpg")), {200, 200});
  ASSERT_EQ(upright.outcome, Outcome::kThumbnail) << upright.reason;
  ASSERT_EQ(upright.image.size(), (Size{200, 133}));
  cv::Mat stored;
  cv::rotate(ToMat(upright.image), stored, cv::ROTATE_90_COUNTERCLOCKWISE);

  // No irot: shown as stored, the EXIF orientation not applied.
  Thumbnail t = MakeThumbnailOf(file, {200, 200});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{133, 200}));
  EXPECT_GT(testing::PsnrGrey(ToMat(t.image), stored), 28.0);

  // irot of three quarters anticlockwise (what EXIF 6 means): upright, turned once only.
  std::string turned = file;
  ASSERT_TRUE(testing::RotateHeif(&turned, 3));
  t = MakeThumbnailOf(turned, {200, 200});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{200, 133}));
  EXPECT_GT(testing::PsnrGrey(ToMat(t.image), ToMat(upright.image)), 28.0);
}

TEST(HeifDecoderTest, EmbeddedThumbnailUsedWhenItCoversTheBox) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 640, 480), {"-q", "90", "-t", "64"});
  ASSERT_FALSE(file.empty());
  SetLogVerbosity(Verbosity::kVerbose);
  ::testing::internal::CaptureStderr();
  Decoded decoded = Decode(file, 0, {40, 30});
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.full, (Size{640, 480}));
  EXPECT_EQ(decoded.image.size(), (Size{64, 48}));
  ExpectQuadrants(decoded.image, {kRed, kGreen, kBlue, kWhite});
  EXPECT_NE(log.find("HEIF: decoding the embedded 64x48 thumbnail, not the 640x480 image"),
            std::string::npos)
      << log;

  // 100x75 needed: the thumbnail is too small, the image itself is decoded.
  ::testing::internal::CaptureStderr();
  decoded = Decode(file, 0, {100, 75});
  log = ::testing::internal::GetCapturedStderr();
  SetLogVerbosity(Verbosity::kNormal);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.image.size(), (Size{640, 480}));
  EXPECT_NE(log.find("HEIF: decoding the 640x480 image (no embedded thumbnail covers 100x75)"),
            std::string::npos)
      << log;

  // Through the thumbnailer both ways give the same picture.
  const Thumbnail small = MakeThumbnailOf(file, {64, 64});
  ASSERT_EQ(small.outcome, Outcome::kThumbnail) << small.reason;
  EXPECT_EQ(small.image.size(), (Size{64, 48}));
  ExpectQuadrants(small.image, {kRed, kGreen, kBlue, kWhite});
}

TEST(HeifDecoderTest, TruncatedFileFailsWithAClearReason) {
  testing::TempDir dir;
  const std::string file = Heif(dir, QuadrantsPng(dir, 320, 240));
  ASSERT_FALSE(file.empty());
  for (size_t size : {size_t{20}, size_t{40}, size_t{200}, file.size() / 2, file.size() - 1}) {
    const Decoded decoded = Decode(file.substr(0, size));
    EXPECT_EQ(decoded.status.message(), "HEIF/AVIF data ends early (the file is truncated)")
        << size;
  }
  const Thumbnail t = MakeThumbnailOf(file.substr(0, file.size() / 2), {200, 200});
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.format, Format::kHeif);
  EXPECT_EQ(t.reason, "HEIF/AVIF data ends early (the file is truncated)");
}

TEST(HeifDecoderTest, MaxPixelsRefusesBeforeDecoding) {
  testing::TempDir dir;
  std::string file = Heif(dir, QuadrantsPng(dir, 640, 480));
  ASSERT_FALSE(file.empty());
  // Wreck the coded image: only a decoder that decodes notices.
  const size_t mdat = file.find("mdat");
  ASSERT_NE(mdat, std::string::npos);
  for (size_t i = mdat + 4; i < file.size(); ++i) file[i] = '\xff';
  Decoded decoded = Decode(file, 100'000);
  EXPECT_EQ(decoded.status.message(),
            "HEIF/AVIF image is 640x480 (0.3 megapixels), more than the limit of 0.1 "
            "(--max-pixels)");
  const Thumbnail t = MakeThumbnailOf(file, {200, 200}, 100'000);
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason,
            "HEIF/AVIF image is 640x480 (0.3 megapixels), more than the limit of 0.1 "
            "(--max-pixels)");
  // Within the limit, the wrecked data is what fails.
  decoded = Decode(file, 307'200);
  EXPECT_FALSE(decoded.status.ok());
  EXPECT_EQ(decoded.status.message().find("megapixels"), std::string::npos)
      << decoded.status.message();
}

}  // namespace
}  // namespace thumbpipe
