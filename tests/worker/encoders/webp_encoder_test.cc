#include "worker/encoders/webp_encoder.h"

#include <string>

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/worker/encoders/encode_helpers.h"

namespace thumbpipe {
namespace {

using testing::AsMat;
using testing::DecodeBack;
using testing::SmoothImage;

TEST(WebpEncoder, RgbDecodesBackCloseAtTheDefaultQuality) {
  const Image image = SmoothImage(200, 133, 3);
  std::vector<uint8_t> webp;
  ASSERT_TRUE(EncodeWebp(image, 85, &webp).ok());
  const cv::Mat back = DecodeBack(webp);
  ASSERT_EQ(back.cols, 200);
  ASSERT_EQ(back.rows, 133);
  ASSERT_EQ(back.channels(), 3);
  EXPECT_GT(testing::Psnr(back, AsMat(image)), 33.0);
}

// Alpha is compressed losslessly even in a lossy WebP; the colours stay close wherever they
// can be seen.
TEST(WebpEncoder, AlphaIsKeptExactly) {
  const Image image = SmoothImage(150, 100, 4);
  std::vector<uint8_t> webp;
  ASSERT_TRUE(EncodeWebp(image, 85, &webp).ok());
  const cv::Mat back = DecodeBack(webp);
  ASSERT_EQ(back.channels(), 4);
  ASSERT_EQ(back.cols, 150);
  ASSERT_EQ(back.rows, 100);
  cv::Mat alpha_in, alpha_out;
  cv::extractChannel(AsMat(image), alpha_in, 3);
  cv::extractChannel(back, alpha_out, 3);
  EXPECT_EQ(cv::norm(alpha_in, alpha_out, cv::NORM_INF), 0.0);
  // Colours where alpha is at least half.
  cv::Mat rgb_in, rgb_out, opaque;
  cv::cvtColor(AsMat(image), rgb_in, cv::COLOR_RGBA2RGB);
  cv::cvtColor(back, rgb_out, cv::COLOR_RGBA2RGB);
  cv::compare(alpha_in, 128, opaque, cv::CMP_GE);
  cv::Mat difference;
  cv::absdiff(rgb_in, rgb_out, difference);
  EXPECT_LT(cv::mean(difference, opaque)[0], 4.0);
}

TEST(WebpEncoder, QualityTradesBytesForFidelity) {
  const Image image = SmoothImage(200, 200, 3);
  std::vector<uint8_t> low, high;
  ASSERT_TRUE(EncodeWebp(image, 20, &low).ok());
  ASSERT_TRUE(EncodeWebp(image, 95, &high).ok());
  EXPECT_LT(low.size(), high.size());
  EXPECT_LT(testing::Psnr(DecodeBack(low), AsMat(image)),
            testing::Psnr(DecodeBack(high), AsMat(image)));
}

TEST(WebpEncoder, OnePixelAndOddSizes) {
  for (auto [w, h] : {std::pair{1u, 1u}, {1u, 200u}, {200u, 1u}, {15u, 17u}}) {
    std::vector<uint8_t> webp;
    ASSERT_TRUE(EncodeWebp(SmoothImage(w, h, 3), 85, &webp).ok()) << w << "x" << h;
    const cv::Mat back = DecodeBack(webp);
    EXPECT_EQ(back.cols, static_cast<int>(w));
    EXPECT_EQ(back.rows, static_cast<int>(h));
  }
}

TEST(WebpEncoder, RefusesGreyAndEmptyImages) {
  std::vector<uint8_t> webp;
  EXPECT_FALSE(EncodeWebp(SmoothImage(8, 8, 1), 85, &webp).ok());
  EXPECT_FALSE(EncodeWebp(SmoothImage(8, 8, 2), 85, &webp).ok());
  EXPECT_FALSE(EncodeWebp(Image(), 85, &webp).ok());
}

// RIFF, then only image chunks: no EXIF, XMP or ICCP.
TEST(WebpEncoder, NoMetadataChunks) {
  for (uint32_t channels : {3u, 4u}) {
    std::vector<uint8_t> webp;
    ASSERT_TRUE(EncodeWebp(SmoothImage(64, 48, channels), 85, &webp).ok());
    const std::string bytes(webp.begin(), webp.end());
    ASSERT_EQ(bytes.substr(0, 4), "RIFF");
    ASSERT_EQ(bytes.substr(8, 4), "WEBP");
    for (size_t at = 12; at + 8 <= bytes.size();) {
      const std::string type = bytes.substr(at, 4);
      EXPECT_TRUE(type == "VP8 " || type == "VP8L" || type == "VP8X" || type == "ALPH")
          << "a " << type << " chunk";
      const uint32_t size = webp[at + 4] | webp[at + 5] << 8 | webp[at + 6] << 16 |
                            static_cast<uint32_t>(webp[at + 7]) << 24;
      at += 8 + size + (size & 1);
    }
  }
}

}  // namespace
}  // namespace thumbpipe
