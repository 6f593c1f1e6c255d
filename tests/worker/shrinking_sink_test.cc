#include "worker/shrinking_sink.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "worker/area_reducer.h"

namespace thumbpipe {
namespace {

// A gradient with noise of +-`noise` levels.
Image TestImage(Size size, uint32_t channels, uint32_t seed, int noise = 32) {
  std::mt19937 random(seed);
  Image image;
  image.Allocate(size.width, size.height, channels);
  for (uint32_t y = 0; y < size.height; ++y) {
    for (uint32_t x = 0; x < size.width; ++x) {
      uint8_t* p = image.row(y) + size_t{x} * channels;
      for (uint32_t c = 0; c < channels; ++c) {
        const int ramp = static_cast<int>((x * 200 / size.width + y * 50 / size.height + c * 20));
        const int v = ramp + static_cast<int>(random() % (2 * noise + 1)) - noise;
        p[c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  return image;
}

// A profile-free description that converts: gamma 1.0 with sRGB's primaries.
ColourSource Linear() {
  ColourSource source;
  source.file_gamma = 1.0;
  return source;
}

Image Shrink(const Image& image, Size to, bool convert) {
  ShrinkingSink sink(Format::kPng, [to](Size) { return to; });
  if (convert) sink.SetColour(Linear());
  EXPECT_TRUE(sink.Begin(image.size(), image.size(), image.channels, 1).ok());
  for (uint32_t y = 0; y < image.height; ++y) sink.Row(image.row(y));
  Image out;
  EXPECT_TRUE(sink.Finish(&out).ok());
  return out;
}

// The exact answer: every pixel converted, then averaged.
Image ConvertThenShrink(const Image& image, Size to) {
  const auto transform = ColourTransform::ToSrgb(Linear(), image.channels);
  Image converted;
  converted.Allocate(image.width, image.height, image.channels);
  for (uint32_t y = 0; y < image.height; ++y)
    transform->Convert(image.row(y), converted.row(y), image.width);
  Image out;
  EXPECT_TRUE(ReduceImage(converted, to, &out).ok());
  return out;
}

TEST(ShrinkingSink, WithoutColoursToConvertItIsTheAreaAverage) {
  const Image image = TestImage({1801, 1203}, 4, 1);
  Image direct;
  ASSERT_TRUE(ReduceImage(image, {200, 134}, &direct).ok());
  EXPECT_EQ(Shrink(image, {200, 134}, false).pixels, direct.pixels);
}

// Converting every pixel, or at four times the thumbnail's size: the difference.
struct Difference {
  double mean = 0;
  int max = 0;
};

Difference Compare(const Image& got, const Image& exact) {
  EXPECT_EQ(got.size(), exact.size());
  Difference d;
  for (size_t i = 0; i < got.pixels.size(); ++i) {
    const int v = std::abs(int{got.pixels[i]} - int{exact.pixels[i]});
    d.mean += v;
    d.max = std::max(d.max, v);
  }
  d.mean /= static_cast<double>(got.pixels.size());
  return d;
}

TEST(ShrinkingSink, ConvertsEveryPixelOfImagesUnderFourTimesTheThumbnail) {
  for (uint32_t channels : {1u, 2u, 3u, 4u}) {
    const Image image = TestImage({700, 300}, channels, channels);
    const Difference d =
        Compare(Shrink(image, {200, 86}, true), ConvertThenShrink(image, {200, 86}));
    EXPECT_EQ(d.max, 0) << channels;
  }
}

TEST(ShrinkingSink, ConvertsLargeImagesAtFourTimesTheThumbnail) {
  // Noise of +-4 levels on gradients, through a gamma of 1.0 (a steep conversion): a grainy
  // photo. Colours that change sharply inside a sixteenth of a thumbnail pixel differ more;
  // tests/e2e/colour_test.cc measures real photos.
  for (uint32_t channels : {1u, 2u, 3u, 4u}) {
    for (const auto& [from, to] :
         {std::pair{Size{1801, 1203}, Size{200, 134}}, std::pair{Size{999, 57}, Size{50, 3}},
          std::pair{Size{640, 480}, Size{160, 120}}}) {
      SCOPED_TRACE(::testing::Message() << channels << " channels, " << from.width << "x"
                                        << from.height << " to " << to.width << "x" << to.height);
      const Image image = TestImage(from, channels, from.width + channels, 4);
      const Difference d = Compare(Shrink(image, to, true), ConvertThenShrink(image, to));
      EXPECT_LE(d.mean, 0.5);
      EXPECT_LE(d.max, 8);  // the tolerance tests/e2e/colour_test.cc allows
    }
  }
}

TEST(ShrinkingSink, RowsDeliveredAtTheOversampledSizeAreConvertedAsTheyCome) {
  // As libwebp delivers them when asked for four times the thumbnail: every pixel converted,
  // then averaged 4x4.
  const Image rows = TestImage({800, 536}, 3, 7);
  ShrinkingSink sink(Format::kWebp, [](Size) { return Size{200, 134}; });
  sink.SetColour(Linear());
  ASSERT_TRUE(sink.Begin({4000, 2680}, rows.size(), 3, 1).ok());
  for (uint32_t y = 0; y < rows.height; ++y) sink.Row(rows.row(y));
  Image got;
  ASSERT_TRUE(sink.Finish(&got).ok());
  EXPECT_EQ(Compare(got, ConvertThenShrink(rows, {200, 134})).max, 0);
}

// Several sizes from the same rows: each is what a sink of that size alone makes of them.
std::vector<Image> ShrinkToSeveral(const Image& rows, Size full, uint32_t block,
                                   const std::vector<Size>& sizes, bool convert) {
  ShrinkingSink sink(Format::kJpeg, [sizes](Size) { return sizes; });
  if (convert) sink.SetColour(Linear());
  EXPECT_TRUE(sink.Begin(full, rows.size(), rows.channels, block).ok());
  for (uint32_t y = 0; y < rows.height; ++y) sink.Row(rows.row(y));
  std::vector<Image> out;
  EXPECT_TRUE(sink.Finish(&out).ok());
  return out;
}

// One size, as a single-size run makes it.
Image ShrinkAlone(const Image& rows, Size full, uint32_t block, Size to, bool convert) {
  ShrinkingSink sink(Format::kJpeg, [to](Size) { return to; });
  if (convert) sink.SetColour(Linear());
  EXPECT_TRUE(sink.Begin(full, rows.size(), rows.channels, block).ok());
  for (uint32_t y = 0; y < rows.height; ++y) sink.Row(rows.row(y));
  Image out;
  EXPECT_TRUE(sink.Finish(&out).ok());
  return out;
}

TEST(ShrinkingSink, SeveralSizesAreEachWhatTheirOwnSinkMakesOfTheRows) {
  const std::vector<Size> sizes = {{25, 17}, {200, 134}, {50, 33}, {400, 268}, {200, 134}};
  for (const bool convert : {false, true}) {
    for (uint32_t channels : {1u, 3u, 4u}) {
      SCOPED_TRACE(::testing::Message() << channels << " channels, convert " << convert);
      // Whole rows, and rows of a JPEG decoded at 1/2 (each pixel stands for 2x2).
      for (const auto& [full, block] :
           {std::pair{Size{1801, 1203}, 1u}, std::pair{Size{1801, 1203}, 2u}}) {
        const Size rows_size{(full.width + block - 1) / block, (full.height + block - 1) / block};
        const Image rows = TestImage(rows_size, channels, channels + block);
        const std::vector<Image> several = ShrinkToSeveral(rows, full, block, sizes, convert);
        ASSERT_EQ(several.size(), sizes.size());
        for (size_t i = 0; i < sizes.size(); ++i) {
          EXPECT_EQ(several[i].size(), sizes[i]) << i;
          EXPECT_EQ(several[i].pixels, ShrinkAlone(rows, full, block, sizes[i], convert).pixels)
              << i;
        }
      }
    }
  }
}

TEST(ShrinkingSink, SeveralSizesOfRowsAtTheLargestOversampledSize) {
  // libwebp asked for four times the largest thumbnail: that one is converted as the rows
  // come, the smaller ones averaged first, each as its own sink would.
  const Image rows = TestImage({800, 536}, 3, 9);
  const std::vector<Size> sizes = {{200, 134}, {50, 34}};
  const std::vector<Image> several = ShrinkToSeveral(rows, {4000, 2680}, 1, sizes, true);
  ASSERT_EQ(several.size(), 2u);
  EXPECT_EQ(Compare(several[0], ConvertThenShrink(rows, {200, 134})).max, 0);
  EXPECT_EQ(several[1].pixels, ShrinkAlone(rows, {4000, 2680}, 1, {50, 34}, true).pixels);
}

}  // namespace
}  // namespace thumbpipe
