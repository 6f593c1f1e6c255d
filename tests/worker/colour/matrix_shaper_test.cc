#include "worker/colour/matrix_shaper.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

// IEC 61966-2-1's decoding curve.
double SrgbToLinear(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

struct Tables {
  float linear[3][256];
  double steps[255];
};

Tables SrgbTables() {
  Tables t;
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) t.linear[c][v] = static_cast<float>(SrgbToLinear(v / 255.0));
  }
  for (int k = 0; k < 255; ++k) t.steps[k] = SrgbToLinear((k + 0.5) / 255);
  return t;
}

constexpr double kIdentity[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};

// sRGB in, sRGB out: every level of every channel comes back as it was, and alpha is copied.
TEST(MatrixShaper, SrgbToSrgbKeepsEveryLevel) {
  const Tables t = SrgbTables();
  for (uint32_t channels : {3u, 4u}) {
    const MatrixShaper shaper(t.linear, kIdentity, t.steps, channels);
    std::vector<uint8_t> in;
    for (int v = 0; v < 256; ++v) {
      in.insert(in.end(), {static_cast<uint8_t>(v), static_cast<uint8_t>(255 - v),
                           static_cast<uint8_t>(v / 2)});
      if (channels == 4) in.push_back(static_cast<uint8_t>(v * 7));
    }
    std::vector<uint8_t> out(in.size());
    shaper.Convert(in.data(), out.data(), 256);
    EXPECT_EQ(out, in) << channels << " channels";
  }
}

// Colours the matrix takes out of sRGB's gamut are clipped, channel by channel.
TEST(MatrixShaper, OutOfGamutIsClipped) {
  const Tables t = SrgbTables();
  // Red doubled, green taken away from blue: white gives red 2 (255), blue 0 (0).
  const double matrix[3][3] = {{2, 0, 0}, {0, 1, 0}, {0, -1, 0.5}};
  const MatrixShaper shaper(t.linear, matrix, t.steps, 3);
  const uint8_t in[6] = {255, 255, 255, 100, 100, 0};
  uint8_t out[6];
  shaper.Convert(in, out, 2);
  EXPECT_EQ(out[0], 255);
  EXPECT_EQ(out[1], 255);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[5], 0);
  // Red: level 100 is 0.1274 in linear light, doubled 0.2549, which sRGB encodes as 138.
  EXPECT_EQ(out[3], 138);
}

}  // namespace
}  // namespace thumbpipe
