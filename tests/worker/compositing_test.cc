#include "worker/compositing.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/output_format.h"
#include "tests/support/images.h"
#include "worker/thumbnail_name.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

Image Pixels(uint32_t w, uint32_t h, uint32_t channels, std::vector<uint8_t> pixels) {
  Image image;
  image.Allocate(w, h, channels);
  image.pixels = std::move(pixels);
  return image;
}

TEST(CompositeOn, TransparentBecomesTheBackgroundAndOpaqueStays) {
  const Image rgba = Pixels(3, 1, 4, {10, 20, 30, 0, 10, 20, 30, 255, 200, 100, 0, 128});
  const Image on_white = CompositeOn(rgba, kWhite);
  ASSERT_EQ(on_white.channels, 3u);
  // Half: (200 * 128 + 255 * 127) / 255 = 227.4, (100 * 128 + 255 * 127) / 255 = 177.2,
  // (0 * 128 + 255 * 127) / 255 = 127.
  EXPECT_EQ(on_white.pixels, (std::vector<uint8_t>{255, 255, 255, 10, 20, 30, 227, 177, 127}));
  const Image on_colour = CompositeOn(rgba, 0x336699);
  EXPECT_EQ(on_colour.pixels, (std::vector<uint8_t>{0x33, 0x66, 0x99, 10, 20, 30, 126, 101, 76}));
}

TEST(CompositeOn, GreyAlphaStaysGreyOnGreyBackgrounds) {
  const Image grey_alpha = Pixels(2, 1, 2, {100, 0, 100, 255});
  const Image on_black = CompositeOn(grey_alpha, kBlack);
  ASSERT_EQ(on_black.channels, 1u);
  EXPECT_EQ(on_black.pixels, (std::vector<uint8_t>{0, 100}));
  const Image on_red = CompositeOn(grey_alpha, 0xFF0000);
  ASSERT_EQ(on_red.channels, 3u);
  EXPECT_EQ(on_red.pixels, (std::vector<uint8_t>{255, 0, 0, 100, 100, 100}));
}

TEST(CompositeOn, OpaqueImagesAreUnchanged) {
  const Image grey = Pixels(2, 1, 1, {7, 9});
  EXPECT_EQ(CompositeOn(grey, 0x123456).pixels, grey.pixels);
  EXPECT_EQ(CompositeOn(grey, 0x123456).channels, 1u);
}

TEST(GreyToRgb, CopiesGreyToEveryChannelAndKeepsAlpha) {
  EXPECT_EQ(GreyToRgb(Pixels(2, 1, 1, {7, 9})).pixels, (std::vector<uint8_t>{7, 7, 7, 9, 9, 9}));
  const Image rgba = GreyToRgb(Pixels(1, 1, 2, {7, 80}));
  EXPECT_EQ(rgba.channels, 4u);
  EXPECT_EQ(rgba.pixels, (std::vector<uint8_t>{7, 7, 7, 80}));
}

// The thumbnailer names what the encoder is given: for JPEG the composited pixels.
TEST(PrepareForFormat, TheNameHashesThePixelsTheFileShows) {
  // A PNG with transparency, through the whole thumbnailer.
  cv::Mat bgra(40, 60, CV_8UC4, cv::Scalar(0, 0, 255, 0));         // transparent red
  bgra(cv::Rect(0, 0, 30, 40)).setTo(cv::Scalar(255, 0, 0, 255));  // opaque blue
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", bgra, png));
  ThumbnailRequest request;
  request.format = OutputFormat::kJpeg;
  request.background = 0x00FF00;
  Thumbnail jpeg;
  MakeThumbnail(png, request, &jpeg);
  ASSERT_EQ(jpeg.outcome, Thumbnail::Outcome::kThumbnail) << jpeg.reason;
  ASSERT_EQ(jpeg.image.channels, 3u);
  EXPECT_TRUE(jpeg.png.empty());  // the small-PNG path is for PNG output only
  const uint8_t* left = jpeg.image.row(10) + 3 * 5;
  const uint8_t* right = jpeg.image.row(10) + 3 * 50;
  EXPECT_EQ(std::vector<uint8_t>(left, left + 3), (std::vector<uint8_t>{0, 0, 255}));
  EXPECT_EQ(std::vector<uint8_t>(right, right + 3), (std::vector<uint8_t>{0, 255, 0}));
  const cv::Mat mat(40, 60, CV_8UC3, jpeg.image.pixels.data());
  EXPECT_EQ(jpeg.name, testing::ExpectedName(mat, ".jpg"));

  request.format = OutputFormat::kPng;
  Thumbnail as_png;
  MakeThumbnail(png, request, &as_png);
  ASSERT_EQ(as_png.outcome, Thumbnail::Outcome::kThumbnail) << as_png.reason;
  EXPECT_EQ(as_png.image.channels, 4u);
  EXPECT_NE(as_png.name.substr(0, 64), jpeg.name.substr(0, 64));
}

TEST(PrepareForFormat, WebpOfGreyIsNamedByItsRgbPixels) {
  cv::Mat grey(30, 20, CV_8UC1);
  cv::randu(grey, 0, 255);
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", grey, png));
  ThumbnailRequest request;
  request.format = OutputFormat::kWebp;
  Thumbnail webp;
  MakeThumbnail(png, request, &webp);
  ASSERT_EQ(webp.outcome, Thumbnail::Outcome::kThumbnail) << webp.reason;
  ASSERT_EQ(webp.image.channels, 3u);
  const Image rgb =
      GreyToRgb(Pixels(20, 30, 1, std::vector<uint8_t>(grey.datastart, grey.dataend)));
  EXPECT_EQ(webp.image.pixels, rgb.pixels);
  EXPECT_EQ(webp.name, ThumbnailName(rgb, OutputFormat::kWebp));
  EXPECT_TRUE(webp.name.ends_with(".webp"));
}

}  // namespace
}  // namespace thumbpipe
