#include "worker/encoders/png_encoder.h"

#include <gtest/gtest.h>

#include "tests/worker/encoders/encode_helpers.h"

namespace thumbpipe {
namespace {

// Lossless at every level; the level changes only the size.
TEST(PngEncoder, EveryLevelDecodesBackExactly) {
  for (uint32_t channels = 1; channels <= 4; ++channels) {
    const Image image = testing::SmoothImage(120, 80, channels);
    std::vector<uint8_t> fast, small;
    ASSERT_TRUE(EncodePng(image, 0, &fast).ok());
    ASSERT_TRUE(EncodePng(image, 9, &small).ok());
    EXPECT_LT(small.size(), fast.size());
    for (const auto* png : {&fast, &small}) {
      const cv::Mat back = testing::DecodeBack(*png);
      // OpenCV reads grey+alpha as four channels; the other kinds come back as they were.
      if (channels == 2) continue;
      ASSERT_EQ(back.channels(), static_cast<int>(channels));
      EXPECT_EQ(cv::norm(back, testing::AsMat(image), cv::NORM_INF), 0.0) << channels;
    }
  }
}

}  // namespace
}  // namespace thumbpipe
