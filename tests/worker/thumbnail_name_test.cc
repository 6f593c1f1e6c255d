#include "worker/thumbnail_name.h"

#include <random>

#include <gtest/gtest.h>

#include "tests/support/images.h"

namespace thumbpipe {
namespace {

// Digests made outside the code under test:
//   printf '2x1x3\n\xff\x00\x00\x00\xff\x00' | sha256sum
//   printf '1x1x2\n\x80\x40' | sha256sum
TEST(ThumbnailName, KnownDigests) {
  Image rgb;
  rgb.Allocate(2, 1, 3);
  rgb.pixels = {255, 0, 0, 0, 255, 0};
  EXPECT_EQ(ThumbnailName(rgb),
            "2fefe595bf2155ec4ae94eadd10c0c334c053fc6c3380f3dc3899748d6923112.png");
  Image grey_alpha;
  grey_alpha.Allocate(1, 1, 2);
  grey_alpha.pixels = {0x80, 0x40};
  EXPECT_EQ(ThumbnailName(grey_alpha),
            "44d864ce2103f87d1913ba1ea6f5495e6346fb65571f18e47681c51e1b69e50e.png");
}

TEST(ThumbnailName, MatchesOpenSslOnRandomImages) {
  std::mt19937 random(7);
  for (int channels = 1; channels <= 4; ++channels) {
    Image image;
    image.Allocate(1 + random() % 300, 1 + random() % 300, channels);
    for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(random());
    const cv::Mat mat(static_cast<int>(image.height), static_cast<int>(image.width),
                      CV_8UC(channels), image.pixels.data());
    EXPECT_EQ(ThumbnailName(image), testing::ExpectedName(mat));
  }
}

TEST(ThumbnailName, ShapeIsPartOfTheName) {
  Image a, b;
  a.Allocate(2, 3, 1);
  b.Allocate(3, 2, 1);
  EXPECT_NE(ThumbnailName(a), ThumbnailName(b));
}

}  // namespace
}  // namespace thumbpipe
