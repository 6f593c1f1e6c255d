#include "worker/thumbnailer.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/options.h"
#include "tests/support/images.h"
#include "tests/support/support.h"
#include "worker/decoders/decoder.h"
#include "worker/decoders/jpeg_decoder.h"
#include "worker/thumbnail_name.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

class ThumbnailerTest : public ::testing::Test {
 protected:
  Thumbnail Make(const std::string& bytes, Size box = {200, 200}) {
    ThumbnailRequest request;
    request.box = box;
    request.max_pixels = kDefaultMaxPixels;
    Thumbnail thumbnail;
    MakeThumbnail({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, request,
                  &thumbnail);
    return thumbnail;
  }
  Thumbnail MakeFromCorpus(const std::string& relative, Size box = {200, 200}) {
    return Make(testing::ReadFile(testing::CorpusPath(relative)), box);
  }
};

TEST(ChooseJpegScaleDenominator, LargestShrinkThatStillCovers) {
  EXPECT_EQ(ChooseJpegScaleDenominator({1800, 1200}, {200, 133}), 8);  // 225x150
  EXPECT_EQ(ChooseJpegScaleDenominator({1500, 1000}, {200, 133}), 4);  // 1/8 gives 188
  EXPECT_EQ(ChooseJpegScaleDenominator({600, 400}, {200, 133}), 2);
  EXPECT_EQ(ChooseJpegScaleDenominator({1600, 1064}, {200, 133}), 8);  // exactly covers
  EXPECT_EQ(ChooseJpegScaleDenominator({300, 200}, {200, 133}), 1);
  EXPECT_EQ(ChooseJpegScaleDenominator({128, 128}, {128, 128}), 1);
  EXPECT_EQ(ChooseJpegScaleDenominator({1601, 9}, {200, 1}), 8);  // 201x2, rounds up
}

TEST_F(ThumbnailerTest, ExifOrientedPhotosFitTheBoxUpright) {
  for (int v = 0; v <= 8; ++v) {
    const Thumbnail landscape =
        MakeFromCorpus("exif-orientation/Landscape_" + std::to_string(v) + ".jpg");
    ASSERT_EQ(landscape.outcome, Outcome::kThumbnail) << landscape.reason;
    EXPECT_EQ(landscape.image.size(), (Size{200, 133})) << v;
    const Thumbnail portrait =
        MakeFromCorpus("exif-orientation/Portrait_" + std::to_string(v) + ".jpg");
    ASSERT_EQ(portrait.outcome, Outcome::kThumbnail) << portrait.reason;
    EXPECT_EQ(portrait.image.size(), (Size{133, 200})) << v;
    EXPECT_EQ(portrait.image.channels, 3u);
  }
}

TEST_F(ThumbnailerTest, NonSquareBox) {
  const Thumbnail t = MakeFromCorpus("exif-orientation/Portrait_6.jpg", {320, 240});
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{160, 240}));
}

TEST_F(ThumbnailerTest, SmallImagesAreNotEnlarged) {
  for (const char* name :
       {"pillow/formats/hopper.jpg", "pillow/formats/hopper.png", "pillow/formats/hopper.webp",
        "pillow/formats/hopper.bmp", "pillow/formats/hopper.ppm", "pillow/formats/hopper.tif"}) {
    const Thumbnail t = MakeFromCorpus(name);
    ASSERT_EQ(t.outcome, Outcome::kThumbnail) << name << ": " << t.reason;
    EXPECT_EQ(t.image.size(), (Size{128, 128})) << name;
    EXPECT_EQ(t.image.channels, 3u) << name;
  }
}

TEST_F(ThumbnailerTest, GreyAndAlphaAreKept) {
  struct Case {
    const char* name;
    uint32_t channels;
  };
  for (const Case& c :
       {Case{"pillow/formats/hopper_8bit.pgm", 1},
        Case{"pillow/formats/mode_grayscale_alpha.png", 2},
        Case{"pillow/formats/mode_palette_alpha.png", 4}, Case{"pillow/formats/mode_16bit.png", 4},
        Case{"pngsuite/tbbn0g04.png", 2}, Case{"pngsuite/basn0g08.png", 1},
        Case{"pillow/formats/1_trns.png", 2}, Case{"pngsuite/basn4a16.png", 2},
        Case{"pngsuite/basn6a08.png", 4}, Case{"libjpeg-turbo/monkey16.png", 3}}) {
    const Thumbnail t = MakeFromCorpus(c.name);
    ASSERT_EQ(t.outcome, Outcome::kThumbnail) << c.name << ": " << t.reason;
    EXPECT_EQ(t.image.channels, c.channels) << c.name;
  }
}

TEST_F(ThumbnailerTest, PngWithALargeTextChunkDecodes) {
  // XMP or C2PA data of megabytes before the image data: skipped, as any text chunk is.
  const std::string file = testing::ReadFile(testing::CorpusPath("pngsuite/f00n2c08.png"));
  std::string text = "XML:com.adobe.xmp" + std::string(5, '\0') + std::string(5 << 20, 'x');
  std::string chunk;
  for (int shift = 24; shift >= 0; shift -= 8) chunk += static_cast<char>(text.size() >> shift);
  const std::string body = "iTXt" + text;
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  chunk += body;
  for (int shift = 24; shift >= 0; shift -= 8) chunk += static_cast<char>(crc >> shift);
  const Thumbnail t = Make(file.substr(0, 8 + 25) + chunk + file.substr(8 + 25));
  EXPECT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
}

TEST_F(ThumbnailerTest, SixteenBitComesDownToEightBit) {
  // basn0g16 is a 16-bit grey ramp; its 8-bit thumbnail must match OpenCV's own reduction.
  // Without its gAMA chunk, so that no colour conversion comes into it.
  const std::string file = testing::PngWithoutChunk(
      testing::ReadFile(testing::CorpusPath("pngsuite/basn0g16.png")), "gAMA");
  const Thumbnail t = Make(file);
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  cv::Mat reference =
      cv::imread(testing::CorpusPath("pngsuite/basn0g16.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(reference.depth(), CV_16U);
  reference.convertTo(reference, CV_8U, 1.0 / 257.0);
  const cv::Mat got(static_cast<int>(t.image.height), static_cast<int>(t.image.width), CV_8UC1,
                    const_cast<uint8_t*>(t.image.pixels.data()));
  EXPECT_EQ(cv::norm(got, reference, cv::NORM_INF), 0);
}

// sRGB's encoding of a linear light level in [0, 1], in 8 bits.
double SrgbEncode(double linear) {
  const double v = linear <= 0.0031308 ? 12.92 * linear : 1.055 * std::pow(linear, 1 / 2.4) - 0.055;
  return 255 * v;
}

TEST_F(ThumbnailerTest, PngGammaIsHonoured) {
  // PngSuite's g* files carry only a gAMA chunk: a sample s means linear light
  // (s / 255) ^ (1 / gamma). The thumbnail holds its sRGB encoding.
  for (const auto& [name, gamma] :
       {std::pair{"pngsuite/g10n0g16.png", 1.0}, std::pair{"pngsuite/g25n0g16.png", 2.5},
        std::pair{"pngsuite/g03n0g16.png", 0.35}}) {
    const Thumbnail t = MakeFromCorpus(name);
    ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
    cv::Mat samples = cv::imread(testing::CorpusPath(name), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(samples.depth(), CV_16U) << name;
    samples.convertTo(samples, CV_8U, 1.0 / 257.0);
    ASSERT_EQ(t.image.size(), (Size{32, 32})) << name;
    ASSERT_EQ(t.image.channels, 1u) << name;
    int worst = 0, changed = 0;
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) {
        const int sample = samples.at<uint8_t>(y, x);
        const double expected = SrgbEncode(std::pow(sample / 255.0, 1 / gamma));
        const int got = t.image.row(static_cast<uint32_t>(y))[x];
        worst = std::max(worst, static_cast<int>(std::lround(std::fabs(got - expected))));
        changed += got != sample;
      }
    }
    EXPECT_LE(worst, 1) << name;
    EXPECT_GT(changed, 512) << name << ": the samples were not converted";
  }
}

TEST_F(ThumbnailerTest, CmykJpegComesOutInSaneColours) {
  const Thumbnail t = MakeFromCorpus("pillow/formats/pil_sample_cmyk.jpg");
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.channels, 3u);
  // OpenCV turns Adobe CMYK into RGB by formula, without a profile; thumbpipe reads it through
  // the default CMYK profile, so the two differ, but not by much (the exact colours are checked
  // against lcms2 in tests/e2e/colour_test.cc).
  cv::Mat reference =
      cv::imread(testing::CorpusPath("pillow/formats/pil_sample_cmyk.jpg"), cv::IMREAD_COLOR);
  cv::cvtColor(reference, reference, cv::COLOR_BGR2RGB);
  const cv::Mat got(static_cast<int>(t.image.height), static_cast<int>(t.image.width), CV_8UC3,
                    const_cast<uint8_t*>(t.image.pixels.data()));
  ASSERT_EQ(got.size(), reference.size());
  EXPECT_GT(cv::PSNR(got, reference), 20);
}

TEST_F(ThumbnailerTest, NotImages) {
  Thumbnail t = Make("");
  EXPECT_EQ(t.outcome, Outcome::kNotImage);
  EXPECT_EQ(t.reason, "empty file");
  t = Make("just some text, named photo.jpg by someone\n");
  EXPECT_EQ(t.outcome, Outcome::kNotImage);
  EXPECT_EQ(t.reason, "not an image");
}

TEST_F(ThumbnailerTest, HonestFailures) {
  Thumbnail t = MakeFromCorpus("libjpeg-turbo/monkey12.jpg");
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "JPEG file uses 12-bit samples, which thumbpipe does not support");
}

TEST_F(ThumbnailerTest, TruncatedFilesFail) {
  const std::string jpeg =
      testing::ReadFile(testing::CorpusPath("exif-orientation/Landscape_1.jpg"));
  Thumbnail t = Make(jpeg.substr(0, jpeg.size() / 2));
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "JPEG data ends early (the file is truncated)");
  const std::string png = testing::ReadFile(testing::CorpusPath("pillow/formats/hopper.png"));
  t = Make(png.substr(0, png.size() / 2));
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "PNG data ends early (the file is truncated)");
}

// A refusal by the run's limits is marked as such (not the file's fault, see worker.cc); a
// damaged or unsupported file is not.
TEST_F(ThumbnailerTest, OnlyTheRunsLimitsMakeAFailureOverLimit) {
  const Thumbnail too_large = Make(testing::PngClaiming(100'000, 100'000, 2));
  EXPECT_EQ(too_large.outcome, Outcome::kFailed);
  EXPECT_TRUE(too_large.transient) << too_large.reason;
  EXPECT_NE(too_large.reason.find("(--max-pixels)"), std::string::npos) << too_large.reason;
  const std::string jpeg =
      testing::ReadFile(testing::CorpusPath("exif-orientation/Landscape_1.jpg"));
  const Thumbnail truncated = Make(jpeg.substr(0, jpeg.size() / 2));
  EXPECT_EQ(truncated.outcome, Outcome::kFailed);
  EXPECT_FALSE(truncated.transient);
  const Thumbnail unsupported = MakeFromCorpus("libjpeg-turbo/monkey12.jpg");
  EXPECT_EQ(unsupported.outcome, Outcome::kFailed);
  EXPECT_FALSE(unsupported.transient);
}

// libpng refuses sides above a million pixels unless told otherwise; the pixel limit is what
// decides, so this is a thumbnail, not a "damaged header".
TEST_F(ThumbnailerTest, PngWiderThanAMillionPixelsIsDecoded) {
  const Thumbnail t = Make(testing::PngClaiming(1'500'000, 2, 2));
  ASSERT_EQ(t.outcome, Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{200, 1}));
}

TEST_F(ThumbnailerTest, NameFollowsTheNamingRule) {
  const Thumbnail t = MakeFromCorpus("pillow/formats/mode_grayscale_alpha.png");
  ASSERT_EQ(t.outcome, Outcome::kThumbnail);
  const cv::Mat mat(static_cast<int>(t.image.height), static_cast<int>(t.image.width), CV_8UC2,
                    const_cast<uint8_t*>(t.image.pixels.data()));
  EXPECT_EQ(t.name, testing::ExpectedName(mat));
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

std::string EncodeWithOpenCv(const cv::Mat& image, const std::string& extension,
                             std::vector<int> params = {}) {
  std::vector<uchar> bytes;
  EXPECT_TRUE(cv::imencode(extension, image, bytes, params));
  return std::string(bytes.begin(), bytes.end());
}

// What the thumbnail should look like: full decode, exact area average (OpenCV's INTER_AREA).
cv::Mat Reference(const std::string& bytes, cv::Size size) {
  cv::Mat full = cv::imdecode(
      cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())),
      cv::IMREAD_COLOR);
  cv::Mat out;
  cv::resize(full, out, size, 0, 0, cv::INTER_AREA);
  cv::cvtColor(out, out, cv::COLOR_BGR2RGB);
  return out;
}

cv::Mat Photo(int w, int h) {
  cv::Mat image(h, w, CV_8UC3);
  cv::RNG rng(5);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(128 + 100 * std::sin(x / 37.0)),
                                            static_cast<uchar>(128 + 100 * std::cos(y / 23.0)),
                                            static_cast<uchar>((x + y) % 256));
    }
  }
  cv::Mat noise(h, w, CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 12);
  return image + noise;
}

class WebpTest : public ::testing::Test {
 protected:
  Thumbnail Make(const std::string& bytes) {
    ThumbnailRequest request;
    request.max_pixels = kDefaultMaxPixels;
    Thumbnail thumbnail;
    MakeThumbnail({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, request,
                  &thumbnail);
    return thumbnail;
  }
};

TEST_F(WebpTest, ShrinksWhileDecodingAsWellAsAFullDecode) {
  const std::string webp =
      EncodeWithOpenCv(Photo(1500, 1000), ".webp", {cv::IMWRITE_WEBP_QUALITY, 95});
  const Thumbnail t = Make(webp);
  ASSERT_EQ(t.outcome, Thumbnail::Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{200, 133}));
  const cv::Mat got(133, 200, CV_8UC3, const_cast<uint8_t*>(t.image.pixels.data()));
  EXPECT_GT(cv::PSNR(got, Reference(webp, {200, 133})), 40);
}

TEST_F(WebpTest, AlphaIsKept) {
  cv::Mat rgba;
  cv::cvtColor(Photo(800, 600), rgba, cv::COLOR_BGR2BGRA);
  rgba(cv::Rect(0, 0, 400, 600)).setTo(cv::Scalar(0, 0, 255, 0));  // left half transparent
  const Thumbnail t = Make(EncodeWithOpenCv(rgba, ".webp", {cv::IMWRITE_WEBP_QUALITY, 95}));
  ASSERT_EQ(t.outcome, Thumbnail::Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.channels, 4u);
  EXPECT_EQ(t.image.size(), (Size{200, 150}));
  EXPECT_EQ(t.image.row(75)[4 * 10 + 3], 0);     // left: transparent
  EXPECT_EQ(t.image.row(75)[4 * 190 + 3], 255);  // right: opaque
}

TEST_F(WebpTest, DamagedAndTruncated) {
  const std::string webp = EncodeWithOpenCv(Photo(300, 200), ".webp");
  Thumbnail t = Make(webp.substr(0, webp.size() / 2));
  EXPECT_EQ(t.outcome, Thumbnail::Outcome::kFailed);
  EXPECT_EQ(t.reason, "WebP data ends early (the file is truncated)");
  std::string damaged = webp;
  for (size_t i = 40; i < damaged.size(); i += 7) damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
  t = Make(damaged);
  EXPECT_NE(t.outcome, Thumbnail::Outcome::kNotImage);
}

}  // namespace
}  // namespace thumbpipe

#include <webp/encode.h>
#include <webp/mux.h>

namespace thumbpipe {
namespace {

// An animation of two 300x200 frames, red then blue, made with libwebp's animation encoder.
std::string TwoFrameAnimation() {
  WebPAnimEncoderOptions options;
  WebPAnimEncoderOptionsInit(&options);
  WebPAnimEncoder* encoder = WebPAnimEncoderNew(300, 200, &options);
  WebPConfig config;
  WebPConfigInit(&config);
  int timestamp = 0;
  for (uint32_t argb : {0xFFFF0000u, 0xFF0000FFu}) {
    WebPPicture picture;
    WebPPictureInit(&picture);
    picture.use_argb = 1;
    picture.width = 300;
    picture.height = 200;
    WebPPictureAlloc(&picture);
    for (int i = 0; i < 300 * 200; ++i) picture.argb[i] = argb;
    WebPAnimEncoderAdd(encoder, &picture, timestamp, &config);
    WebPPictureFree(&picture);
    timestamp += 100;
  }
  WebPAnimEncoderAdd(encoder, nullptr, timestamp, nullptr);
  WebPData data;
  WebPDataInit(&data);
  WebPAnimEncoderAssemble(encoder, &data);
  std::string bytes(reinterpret_cast<const char*>(data.bytes), data.size);
  WebPDataClear(&data);
  WebPAnimEncoderDelete(encoder);
  return bytes;
}

TEST_F(WebpTest, AnimationGivesItsFirstFrame) {
  const Thumbnail t = Make(TwoFrameAnimation());
  ASSERT_EQ(t.outcome, Thumbnail::Outcome::kThumbnail) << t.reason;
  EXPECT_EQ(t.image.size(), (Size{200, 133}));
  const uint8_t* pixel = t.image.row(60) + t.image.channels * 100;
  EXPECT_GT(pixel[0], 200);  // red
  EXPECT_LT(pixel[2], 50);
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

TEST(TiffTest, OrientationTagIsAppliedOnce) {
  // Stored 88x590 with Orientation 6: upright it is 590x88, a line of text.
  const std::string bytes =
      testing::ReadFile(testing::CorpusPath("pillow/formats/g4_orientation_6.tif"));
  Thumbnail t;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, ThumbnailRequest(),
                &t);
  ASSERT_EQ(t.outcome, Thumbnail::Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{200, 30}));
  ASSERT_EQ(t.image.channels, 1u);
  // OpenCV turns TIFFs upright by their tag on its own: the same picture.
  cv::Mat reference =
      cv::imread(testing::CorpusPath("pillow/formats/g4_orientation_6.tif"), cv::IMREAD_GRAYSCALE);
  ASSERT_EQ(reference.size(), cv::Size(590, 88));
  cv::resize(reference, reference, cv::Size(200, 30), 0, 0, cv::INTER_AREA);
  const cv::Mat got(30, 200, CV_8UC1, t.image.pixels.data());
  EXPECT_GT(cv::PSNR(got, reference), 25);
}

TEST(TiffTest, SixteenBitGreyAndRgb) {
  for (const auto& [name, channels] : {std::pair{"pillow/formats/16bit.cropped.tif", 1u},
                                       std::pair{"pillow/formats/hopper.tif", 3u},
                                       std::pair{"pillow/formats/hopper.iccprofile.tif", 3u}}) {
    const std::string bytes = testing::ReadFile(testing::CorpusPath(name));
    Thumbnail t;
    MakeThumbnail({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                  ThumbnailRequest(), &t);
    ASSERT_EQ(t.outcome, Thumbnail::Outcome::kThumbnail) << name << ": " << t.reason;
    EXPECT_EQ(t.image.channels, channels) << name;
  }
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

// 2828x2121 is no multiple of 8: at 1/8 its last column and row of blocks are partial. The
// thumbnail must show the picture where it is, not stretched toward the right and bottom.
TEST(JpegThumbnailTest, PartialBlocksAtTheEdgesKeepThePictureInPlace) {
  const std::string jpeg =
      EncodeWithOpenCv(Photo(2828, 2121), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  Thumbnail t;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()}, ThumbnailRequest(),
                &t);
  ASSERT_EQ(t.outcome, Thumbnail::Outcome::kThumbnail) << t.reason;
  ASSERT_EQ(t.image.size(), (Size{200, 150}));
  const cv::Mat got(150, 200, CV_8UC3, t.image.pixels.data());
  const double psnr = cv::PSNR(got, Reference(jpeg, {200, 150}));
  RecordProperty("psnr", std::to_string(psnr));
  EXPECT_GT(psnr, 40) << psnr;
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

class SeveralBoxesTest : public ::testing::Test {
 protected:
  static Thumbnail Make(const std::string& bytes, Size box, std::vector<Size> more_boxes = {}) {
    ThumbnailRequest request;
    request.box = box;
    request.more_boxes = std::move(more_boxes);
    request.max_pixels = kDefaultMaxPixels;
    Thumbnail thumbnail;
    MakeThumbnail({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, request,
                  &thumbnail);
    return thumbnail;
  }
};

TEST_F(SeveralBoxesTest, EachBoxHasItsThumbnailUprightAndNamed) {
  const std::string photo =
      testing::ReadFile(testing::CorpusPath("exif-orientation/Portrait_6.jpg"));
  const Thumbnail thumbnail = Make(photo, {200, 200}, {{64, 64}, {1000, 100}, {600, 600}});
  ASSERT_EQ(thumbnail.outcome, Thumbnail::Outcome::kThumbnail) << thumbnail.reason;
  EXPECT_EQ(thumbnail.image.size(), (Size{133, 200}));
  ASSERT_EQ(thumbnail.more.size(), 3u);
  EXPECT_EQ(thumbnail.more[0].image.size(), (Size{43, 64}));
  EXPECT_EQ(thumbnail.more[1].image.size(), (Size{67, 100}));
  EXPECT_EQ(thumbnail.more[2].image.size(), (Size{400, 600}));
  for (const BoxThumbnail& more : thumbnail.more) {
    EXPECT_EQ(more.name, ThumbnailName(more.image));
    EXPECT_TRUE(more.png.empty());
  }
  // Upright: each looks like the one of the first box, shrunk.
  const cv::Mat first(static_cast<int>(thumbnail.image.height),
                      static_cast<int>(thumbnail.image.width), CV_8UC3,
                      const_cast<uint8_t*>(thumbnail.image.pixels.data()));
  const BoxThumbnail& large = thumbnail.more[2];
  const cv::Mat big(static_cast<int>(large.image.height), static_cast<int>(large.image.width),
                    CV_8UC3, const_cast<uint8_t*>(large.image.pixels.data()));
  cv::Mat shrunk;
  cv::resize(big, shrunk, first.size(), 0, 0, cv::INTER_AREA);
  EXPECT_GT(cv::PSNR(shrunk, first), 30.0);
}

TEST_F(SeveralBoxesTest, TheLargestIsTheThumbnailOfItsBoxAlone) {
  const std::string photo =
      testing::ReadFile(testing::CorpusPath("exif-orientation/Landscape_1.jpg"));
  const Thumbnail several = Make(photo, {100, 100}, {{400, 400}});
  const Thumbnail alone = Make(photo, {400, 400});
  ASSERT_EQ(several.more.size(), 1u);
  EXPECT_EQ(several.more[0].image.pixels, alone.image.pixels);
  EXPECT_EQ(several.more[0].name, alone.name);
}

TEST_F(SeveralBoxesTest, ASmallPngWithinEveryBoxIsItsOwnThumbnailInEach) {
  testing::TempDir dir;
  testing::WriteTestImage(dir / "small.png", 32, 32);
  const std::string png = testing::ReadFile(dir / "small.png");
  const Thumbnail within = Make(png, {64, 64}, {{32, 200}});  // 32x32
  ASSERT_EQ(within.outcome, Thumbnail::Outcome::kThumbnail) << within.reason;
  EXPECT_FALSE(within.png.empty());
  ASSERT_EQ(within.more.size(), 1u);
  EXPECT_EQ(within.more[0].png, within.png);
  EXPECT_EQ(within.more[0].name, within.name);
  // Larger than one box: decoded and shrunk for that box, not passed through for the other.
  const Thumbnail larger = Make(png, {64, 64}, {{16, 16}});
  ASSERT_EQ(larger.outcome, Thumbnail::Outcome::kThumbnail) << larger.reason;
  EXPECT_EQ(larger.image.size(), (Size{32, 32}));
  ASSERT_EQ(larger.more.size(), 1u);
  EXPECT_EQ(larger.more[0].image.size(), (Size{16, 16}));
  EXPECT_EQ(larger.name, within.name);
}

TEST_F(SeveralBoxesTest, FailuresAndNotImagesHaveNoThumbnails) {
  const Thumbnail text = Make("just text\n", {64, 64}, {{128, 128}});
  EXPECT_EQ(text.outcome, Thumbnail::Outcome::kNotImage);
  EXPECT_TRUE(text.more.empty());
  const std::string photo =
      testing::ReadFile(testing::CorpusPath("exif-orientation/Landscape_1.jpg"));
  const Thumbnail cut = Make(photo.substr(0, photo.size() / 2), {64, 64}, {{128, 128}});
  EXPECT_EQ(cut.outcome, Thumbnail::Outcome::kFailed);
}

}  // namespace
}  // namespace thumbpipe
