#include "worker/geometry.h"

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

TEST(FitInBox, KeepsAspectWithLongSideOnTheBox) {
  EXPECT_EQ(FitInBox({1800, 1200}, {200, 200}), (Size{200, 133}));  // 133.33
  EXPECT_EQ(FitInBox({1200, 1800}, {200, 200}), (Size{133, 200}));
  EXPECT_EQ(FitInBox({1000, 1000}, {200, 200}), (Size{200, 200}));
  EXPECT_EQ(FitInBox({1000, 600}, {200, 200}), (Size{200, 120}));
  EXPECT_EQ(FitInBox({3000, 1999}, {200, 200}), (Size{200, 133}));  // 133.27
  EXPECT_EQ(FitInBox({3000, 2001}, {200, 200}), (Size{200, 133}));  // 133.4
  EXPECT_EQ(FitInBox({1999, 3000}, {200, 200}), (Size{133, 200}));
  EXPECT_EQ(FitInBox({400, 301}, {200, 200}), (Size{200, 151}));  // 150.5 rounds up
}

TEST(FitInBox, NeverEnlarges) {
  EXPECT_EQ(FitInBox({128, 128}, {200, 200}), (Size{128, 128}));
  EXPECT_EQ(FitInBox({200, 100}, {200, 200}), (Size{200, 100}));
  EXPECT_EQ(FitInBox({1, 1}, {200, 200}), (Size{1, 1}));
}

TEST(FitInBox, ThinImagesKeepAtLeastOnePixel) {
  EXPECT_EQ(FitInBox({1, 5000}, {200, 200}), (Size{1, 200}));
  EXPECT_EQ(FitInBox({5000, 1}, {200, 200}), (Size{200, 1}));
  EXPECT_EQ(FitInBox({2, 5000}, {200, 200}), (Size{1, 200}));  // 0.08 would round to 0
  EXPECT_EQ(FitInBox({5000, 3}, {200, 200}), (Size{200, 1}));
}

TEST(FitInBox, NonSquareBox) {
  EXPECT_EQ(FitInBox({1800, 1200}, {320, 240}), (Size{320, 213}));  // width bound
  EXPECT_EQ(FitInBox({1200, 1800}, {320, 240}), (Size{160, 240}));  // height bound
  EXPECT_EQ(FitInBox({4000, 3000}, {320, 240}), (Size{320, 240}));  // same aspect
  EXPECT_EQ(FitInBox({1000, 100}, {50, 400}), (Size{50, 5}));
  EXPECT_EQ(FitInBox({65535, 65535}, {65535, 1}), (Size{1, 1}));
}

// A 3x2 image whose pixels are numbered 1..6 row by row.
Image Numbered() {
  Image image;
  image.Allocate(3, 2, 1);
  for (uint8_t i = 0; i < 6; ++i) image.pixels[i] = i + 1;
  return image;
}

std::vector<uint8_t> Pixels(const Image& image) { return image.pixels; }

TEST(ApplyOrientation, AllEightValues) {
  // Stored:  1 2 3     What each orientation must show upright.
  //          4 5 6
  struct Case {
    int orientation;
    Size size;
    std::vector<uint8_t> pixels;
  };
  const Case cases[] = {
      {1, {3, 2}, {1, 2, 3, 4, 5, 6}}, {2, {3, 2}, {3, 2, 1, 6, 5, 4}},  // mirror left-right
      {3, {3, 2}, {6, 5, 4, 3, 2, 1}},                                   // turn 180
      {4, {3, 2}, {4, 5, 6, 1, 2, 3}},                                   // mirror top-bottom
      {5, {2, 3}, {1, 4, 2, 5, 3, 6}},                                   // transpose
      {6, {2, 3}, {4, 1, 5, 2, 6, 3}},                                   // turn 90 clockwise
      {7, {2, 3}, {6, 3, 5, 2, 4, 1}},                                   // transverse
      {8, {2, 3}, {3, 6, 2, 5, 1, 4}},  // turn 90 counter-clockwise
      {0, {3, 2}, {1, 2, 3, 4, 5, 6}},  // out of range: unchanged
      {9, {3, 2}, {1, 2, 3, 4, 5, 6}},
  };
  for (const Case& c : cases) {
    const Image out = ApplyOrientation(Numbered(), c.orientation);
    EXPECT_EQ(out.size(), c.size) << c.orientation;
    EXPECT_EQ(Pixels(out), c.pixels) << c.orientation;
    EXPECT_EQ(Oriented({3, 2}, c.orientation), c.size) << c.orientation;
  }
}

TEST(ApplyOrientation, MovesWholePixels) {
  Image image;
  image.Allocate(2, 1, 3);
  image.pixels = {1, 2, 3, 4, 5, 6};
  const Image out = ApplyOrientation(image, 6);
  EXPECT_EQ(out.size(), (Size{1, 2}));
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  const Image mirrored = ApplyOrientation(image, 2);
  EXPECT_EQ(mirrored.pixels, (std::vector<uint8_t>{4, 5, 6, 1, 2, 3}));
}

}  // namespace
}  // namespace thumbpipe
