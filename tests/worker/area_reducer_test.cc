#include "worker/area_reducer.h"

#include <algorithm>
#include <random>
#include <tuple>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace thumbpipe {
namespace {

Image Random(uint32_t w, uint32_t h, uint32_t c, uint32_t seed) {
  std::mt19937 random(seed);
  Image image;
  image.Allocate(w, h, c);
  // Smooth plus noise, like a photo.
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w * c; ++x) {
      image.row(y)[x] = static_cast<uint8_t>((x * 7 + y * 3) % 200 + random() % 56);
    }
  }
  return image;
}

cv::Mat View(const Image& image) {
  return cv::Mat(static_cast<int>(image.height), static_cast<int>(image.width),
                 CV_8UC(static_cast<int>(image.channels)),
                 const_cast<uint8_t*>(image.pixels.data()));
}

// Without alpha, the reducer is OpenCV's INTER_AREA done in integers: the same up to rounding.
TEST(AreaReducer, MatchesOpenCvAreaResize) {
  const struct {
    Size from, to;
  } cases[] = {{{1800, 1200}, {200, 133}}, {{225, 150}, {200, 133}}, {{640, 480}, {320, 240}},
               {{1001, 7}, {13, 3}},       {{5, 5000}, {1, 200}},    {{3, 3}, {2, 2}},
               {{200, 133}, {200, 133}}};
  for (uint32_t channels : {1u, 3u}) {
    for (const auto& c : cases) {
      const Image source = Random(c.from.width, c.from.height, channels, c.from.width);
      Image ours;
      ASSERT_TRUE(ReduceImage(source, c.to, &ours).ok());
      ASSERT_EQ(ours.size(), c.to);
      cv::Mat theirs;
      cv::resize(View(source), theirs,
                 cv::Size(static_cast<int>(c.to.width), static_cast<int>(c.to.height)), 0, 0,
                 cv::INTER_AREA);
      EXPECT_LE(cv::norm(View(ours), theirs, cv::NORM_INF), 1)
          << c.from.width << "x" << c.from.height << " -> " << c.to.width << "x" << c.to.height;
    }
  }
}

TEST(AreaReducer, WholeBlocksAreExactAverages) {
  Image image;
  image.Allocate(4, 2, 1);
  image.pixels = {0, 1, 10, 20, 2, 4, 30, 41};
  Image out;
  ASSERT_TRUE(ReduceImage(image, {2, 1}, &out).ok());
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{2, 25}));  // 7/4 = 1.75 -> 2, 101/4 = 25.25 -> 25
}

TEST(AreaReducer, TransparentPixelsDoNotBleed) {
  // Red opaque next to green fully transparent: the average is pure red, half transparent.
  Image image;
  image.Allocate(2, 1, 4);
  image.pixels = {255, 0, 0, 255, 0, 255, 0, 0};
  Image out;
  ASSERT_TRUE(ReduceImage(image, {1, 1}, &out).ok());
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{255, 0, 0, 128}));
  // Fully transparent everywhere: colour 0.
  image.pixels = {255, 10, 10, 0, 1, 2, 3, 0};
  ASSERT_TRUE(ReduceImage(image, {1, 1}, &out).ok());
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 0, 0, 0}));
  // Grey and alpha: weighted by alpha.
  image.Allocate(2, 1, 2);
  image.pixels = {200, 255, 100, 85};  // (200*255 + 100*85) / 340 = 175
  ASSERT_TRUE(ReduceImage(image, {1, 1}, &out).ok());
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{175, 170}));
}

TEST(AreaReducer, RefusesToEnlarge) {
  AreaReducer reducer;
  EXPECT_EQ(reducer.Begin({10, 10}, {11, 10}, 3).message(), "cannot shrink 10x10 to 11x10");
  EXPECT_FALSE(reducer.Begin({10, 10}, {0, 10}, 3).ok());
  EXPECT_FALSE(reducer.Begin({10, 10}, {5, 5}, 5).ok());
}

TEST(AreaReducer, MissingRowsAreAnError) {
  AreaReducer reducer;
  ASSERT_TRUE(reducer.Begin({4, 4}, {2, 2}, 1).ok());
  const uint8_t row[4] = {1, 2, 3, 4};
  for (int i = 0; i < 3; ++i) reducer.PushRow(row);
  Image out;
  EXPECT_EQ(reducer.Finish(&out).message(), "image ended after 3 of 4 rows");
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

// A 19x11 image of 8x8 blocks, each one value, against what a JPEG decoded at 1/8 gives for it:
// one pixel per block, the last column and row standing for 3 pixels only. Shrinking either
// must give the same picture.
TEST(AreaReducer, BlocksOfAScaledDecodeCoverOnlyTheImage) {
  const uint32_t values[3][2] = {{10, 200}, {90, 40}, {250, 0}};  // [block x][block y]
  Image full, blocks;
  full.Allocate(19, 11, 1);
  blocks.Allocate(3, 2, 1);
  for (uint32_t y = 0; y < 11; ++y) {
    for (uint32_t x = 0; x < 19; ++x) full.row(y)[x] = static_cast<uint8_t>(values[x / 8][y / 8]);
  }
  for (uint32_t y = 0; y < 2; ++y) {
    for (uint32_t x = 0; x < 3; ++x) blocks.row(y)[x] = static_cast<uint8_t>(values[x][y]);
  }
  for (const Size to : {Size{2, 2}, Size{5, 3}, Size{3, 2}, Size{1, 1}}) {
    Image from_full, from_blocks;
    ASSERT_TRUE(ReduceImage(full, to, &from_full).ok());
    AreaReducer reducer;
    ASSERT_TRUE(reducer.Begin(blocks.size(), to, 1, 8, full.size()).ok());
    for (uint32_t y = 0; y < blocks.height; ++y) reducer.PushRow(blocks.row(y));
    ASSERT_TRUE(reducer.Finish(&from_blocks).ok());
    EXPECT_EQ(from_blocks.pixels, from_full.pixels) << to.width << "x" << to.height;
  }
  AreaReducer reducer;
  EXPECT_FALSE(reducer.Begin({4, 2}, {2, 2}, 1, 8, {19, 11}).ok());  // 4 blocks cannot make 19
}

// The definition, pixel by pixel: every source pixel's overlap with the output pixel, in the
// units area_reducer.cc uses, summed in whole numbers, then divided once.
Image ExactReference(const Image& rows, Size to, uint32_t block, Size full) {
  const uint32_t c = rows.channels;
  const bool alpha = c == 2 || c == 4;
  const auto overlap = [block](uint32_t i, uint32_t out, uint32_t full_side, uint32_t to_side) {
    const uint64_t lo = std::min<uint64_t>(uint64_t{i} * block, full_side) * to_side;
    const uint64_t hi = std::min<uint64_t>(uint64_t{i + 1} * block, full_side) * to_side;
    const uint64_t out_lo = uint64_t{out} * full_side, out_hi = out_lo + full_side;
    return std::max(lo, out_lo) < std::min(hi, out_hi) ? std::min(hi, out_hi) - std::max(lo, out_lo)
                                                       : uint64_t{0};
  };
  const uint64_t area = uint64_t{full.width} * full.height;
  Image out;
  out.Allocate(to.width, to.height, c);
  for (uint32_t y = 0; y < to.height; ++y) {
    for (uint32_t x = 0; x < to.width; ++x) {
      uint64_t sum[4] = {0, 0, 0, 0};
      for (uint32_t j = 0; j < rows.height; ++j) {
        const uint64_t wy = overlap(j, y, full.height, to.height);
        if (wy == 0) continue;
        for (uint32_t i = 0; i < rows.width; ++i) {
          const uint64_t w = wy * overlap(i, x, full.width, to.width);
          if (w == 0) continue;
          const uint8_t* px = rows.row(j) + size_t{i} * c;
          const uint64_t a = alpha ? px[c - 1] : 1;
          for (uint32_t ch = 0; ch < c; ++ch) {
            sum[ch] += (alpha && ch == c - 1) ? w * a : w * a * px[ch];
          }
        }
      }
      uint8_t* o = out.row(y) + size_t{x} * c;
      for (uint32_t ch = 0; ch < c; ++ch) {
        if (alpha && ch + 1 < c) {
          o[ch] = sum[c - 1] == 0
                      ? 0
                      : static_cast<uint8_t>((2 * sum[ch] + sum[c - 1]) / (2 * sum[c - 1]));
        } else {
          o[ch] = static_cast<uint8_t>((2 * sum[ch] + area) / (2 * area));
        }
      }
    }
  }
  return out;
}

TEST(AreaReducer, EqualsTheDefinitionSummedPixelByPixel) {
  for (uint32_t c : {1u, 2u, 3u, 4u}) {
    for (const auto& [full, block, to] :
         {std::tuple{Size{97, 61}, 1u, Size{13, 9}}, std::tuple{Size{97, 61}, 1u, Size{96, 60}},
          std::tuple{Size{203, 150}, 4u, Size{17, 11}},
          std::tuple{Size{203, 150}, 8u, Size{25, 18}}, std::tuple{Size{50, 300}, 2u, Size{1, 7}},
          std::tuple{Size{64, 64}, 1u, Size{64, 1}}}) {
      SCOPED_TRACE(::testing::Message()
                   << c << " channels, " << full.width << "x" << full.height << " at 1/" << block
                   << " to " << to.width << "x" << to.height);
      const Image rows = Random((full.width + block - 1) / block, (full.height + block - 1) / block,
                                c, full.width + c);
      AreaReducer reducer;
      ASSERT_TRUE(reducer.Begin(rows.size(), to, c, block, full).ok());
      for (uint32_t y = 0; y < rows.height; ++y) reducer.PushRow(rows.row(y));
      Image got;
      ASSERT_TRUE(reducer.Finish(&got).ok());
      EXPECT_EQ(got.pixels, ExactReference(rows, to, block, full).pixels);
    }
  }
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

// Column sums are kept in 32 bits only where they cannot outgrow them: an opaque image of more
// than 16,843,009 rows, or one with alpha of more than 66,051, needs 64. All-white columns that
// tall would wrap around in 32 bits, and come out nearly black.
TEST(AreaReducer, SumsTooLargeForThirtyTwoBitsStayExact) {
  for (const auto& [channels, height] :
       {std::pair{1u, 16'843'010u}, std::pair{2u, 66'052u}, std::pair{4u, 66'052u}}) {
    SCOPED_TRACE(::testing::Message() << channels << " channels, " << height << " rows");
    Image tall;
    tall.Allocate(1, height, channels);
    std::fill(tall.pixels.begin(), tall.pixels.end(), uint8_t{255});
    Image out;
    ASSERT_TRUE(ReduceImage(tall, {1, 1}, &out).ok());
    EXPECT_EQ(out.pixels, std::vector<uint8_t>(channels, 255));
  }
}

}  // namespace
}  // namespace thumbpipe
