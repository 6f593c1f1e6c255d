#include "worker/encoders/jpeg_encoder.h"

#include <string>

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/worker/encoders/encode_helpers.h"

namespace thumbpipe {
namespace {

using testing::AsMat;
using testing::DecodeBack;
using testing::SmoothImage;

TEST(JpegEncoder, RgbDecodesBackCloseAtTheDefaultQuality) {
  const Image image = SmoothImage(200, 133, 3);
  std::vector<uint8_t> jpeg;
  ASSERT_TRUE(EncodeJpeg(image, 85, &jpeg).ok());
  const cv::Mat back = DecodeBack(jpeg);
  ASSERT_EQ(back.cols, 200);
  ASSERT_EQ(back.rows, 133);
  ASSERT_EQ(back.channels(), 3);
  EXPECT_GT(testing::Psnr(back, AsMat(image)), 35.0);
}

TEST(JpegEncoder, GreyStaysOneComponent) {
  const Image image = SmoothImage(97, 61, 1);
  std::vector<uint8_t> jpeg;
  ASSERT_TRUE(EncodeJpeg(image, 85, &jpeg).ok());
  const cv::Mat back = DecodeBack(jpeg);
  ASSERT_EQ(back.channels(), 1);
  ASSERT_EQ(back.cols, 97);
  ASSERT_EQ(back.rows, 61);
  EXPECT_GT(testing::Psnr(back, AsMat(image)), 38.0);
  // The frame header's component count (SOF0: marker, length, precision, h, w, components).
  const std::string bytes(jpeg.begin(), jpeg.end());
  const size_t sof = bytes.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  EXPECT_EQ(bytes[sof + 9], 1);
}

TEST(JpegEncoder, QualityTradesBytesForFidelity) {
  const Image image = SmoothImage(200, 200, 3);
  std::vector<uint8_t> low, high;
  ASSERT_TRUE(EncodeJpeg(image, 20, &low).ok());
  ASSERT_TRUE(EncodeJpeg(image, 95, &high).ok());
  EXPECT_LT(low.size(), high.size());
  EXPECT_LT(testing::Psnr(DecodeBack(low), AsMat(image)),
            testing::Psnr(DecodeBack(high), AsMat(image)));
}

// Noise does not compress: the file spans many of the encoder's output chunks.
TEST(JpegEncoder, LargeFilesComeOutWhole) {
  Image image = SmoothImage(640, 480, 3);
  uint32_t state = 1;
  for (uint8_t& sample : image.pixels) {
    state = state * 1664525u + 1013904223u;
    sample = static_cast<uint8_t>(sample / 2 + (state >> 25));
  }
  std::vector<uint8_t> jpeg;
  ASSERT_TRUE(EncodeJpeg(image, 100, &jpeg).ok());
  EXPECT_GT(jpeg.size(), 200'000u);
  const cv::Mat back = DecodeBack(jpeg);
  ASSERT_EQ(back.cols, 640);
  ASSERT_EQ(back.rows, 480);
  // As OpenCV's encoder (the same libjpeg, the same settings but the Huffman tables) makes it.
  cv::Mat bgr;
  cv::cvtColor(AsMat(image), bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> reference;
  ASSERT_TRUE(cv::imencode(".jpg", bgr, reference, {cv::IMWRITE_JPEG_QUALITY, 100}));
  EXPECT_GT(testing::Psnr(back, DecodeBack(reference)), 50.0);
}

TEST(JpegEncoder, OnePixelAndOddSizes) {
  for (auto [w, h] : {std::pair{1u, 1u}, {1u, 200u}, {200u, 1u}, {15u, 17u}}) {
    const Image image = SmoothImage(w, h, 3);
    std::vector<uint8_t> jpeg;
    ASSERT_TRUE(EncodeJpeg(image, 85, &jpeg).ok()) << w << "x" << h;
    const cv::Mat back = DecodeBack(jpeg);
    EXPECT_EQ(back.cols, static_cast<int>(w));
    EXPECT_EQ(back.rows, static_cast<int>(h));
  }
}

TEST(JpegEncoder, RefusesAlphaAndEmptyImages) {
  std::vector<uint8_t> jpeg;
  EXPECT_FALSE(EncodeJpeg(SmoothImage(8, 8, 4), 85, &jpeg).ok());
  EXPECT_FALSE(EncodeJpeg(SmoothImage(8, 8, 2), 85, &jpeg).ok());
  EXPECT_FALSE(EncodeJpeg(Image(), 85, &jpeg).ok());
}

// A JFIF header and the image: no EXIF (APP1), ICC (APP2), other application segment, or
// comment.
TEST(JpegEncoder, NoMetadataBeyondTheJfifHeader) {
  std::vector<uint8_t> jpeg;
  ASSERT_TRUE(EncodeJpeg(SmoothImage(64, 48, 3), 85, &jpeg).ok());
  ASSERT_GE(jpeg.size(), 4u);
  ASSERT_EQ(jpeg[0], 0xFF);
  ASSERT_EQ(jpeg[1], 0xD8);
  std::vector<int> markers;
  for (size_t at = 2; at + 4 <= jpeg.size() && jpeg[at] == 0xFF;) {
    const int marker = jpeg[at + 1];
    markers.push_back(marker);
    if (marker == 0xDA) break;  // entropy-coded data follows
    at += 2 + (jpeg[at + 2] << 8 | jpeg[at + 3]);
  }
  ASSERT_FALSE(markers.empty());
  EXPECT_EQ(markers[0], 0xE0);  // APP0: JFIF
  for (size_t i = 1; i < markers.size(); ++i) {
    EXPECT_FALSE(markers[i] >= 0xE0 && markers[i] <= 0xEF) << "APP" << markers[i] - 0xE0;
    EXPECT_NE(markers[i], 0xFE) << "a comment";
  }
  EXPECT_EQ(markers.back(), 0xDA);
}

}  // namespace
}  // namespace thumbpipe
