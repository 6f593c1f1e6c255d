#include "worker/colour/matrix_shaper.h"

#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace thumbpipe {
namespace {

// Linear light to its place in MatrixShaper's encoding table, clipped to [0, 1]; a NaN gives
// 0. With SSE the clipping is two instructions (maxss returns its second operand for a NaN)
// and the conversion rounds to nearest; written with comparisons, compilers branch.
inline uint32_t EncodeIndex(float v) {
#if defined(__SSE2__)
  __m128 x = _mm_max_ss(_mm_set_ss(v), _mm_setzero_ps());
  x = _mm_min_ss(x, _mm_set_ss(1.0f));
  x = _mm_mul_ss(x, _mm_set_ss(static_cast<float>(MatrixShaper::kEncodeSteps)));
  return static_cast<uint32_t>(_mm_cvtss_si32(x));
#else
  v = v > 0.0f ? v : 0.0f;
  v = v < 1.0f ? v : 1.0f;
  return static_cast<uint32_t>(v * static_cast<float>(MatrixShaper::kEncodeSteps) + 0.5f);
#endif
}

}  // namespace

MatrixShaper::MatrixShaper(const float (&linear)[3][256], const double (&to_srgb)[3][3],
                           const double (&srgb_steps)[255], uint32_t channels)
    : encode_(kEncodeSteps + 1), channels_(channels) {
  for (int c = 0; c < 3; ++c) {
    std::copy(std::begin(linear[c]), std::end(linear[c]), linear_[c]);
    for (int j = 0; j < 3; ++j) matrix_[c][j] = static_cast<float>(to_srgb[c][j]);
  }
  // The level of each step: how many of srgb_steps lie at or below it.
  uint32_t level = 0;
  for (uint32_t i = 0; i <= kEncodeSteps; ++i) {
    const double v = static_cast<double>(i) / kEncodeSteps;
    while (level < 255 && srgb_steps[level] <= v) ++level;
    encode_[i] = static_cast<uint8_t>(level);
  }
}

void MatrixShaper::Convert(const uint8_t* in, uint8_t* out, uint32_t width) const {
  // Everything read per pixel is copied to locals first: the byte stores below could alias
  // any member, and would make the compiler load them again for every pixel.
  const float m00 = matrix_[0][0], m01 = matrix_[0][1], m02 = matrix_[0][2];
  const float m10 = matrix_[1][0], m11 = matrix_[1][1], m12 = matrix_[1][2];
  const float m20 = matrix_[2][0], m21 = matrix_[2][1], m22 = matrix_[2][2];
  const float* red_curve = linear_[0];
  const float* green_curve = linear_[1];
  const float* blue_curve = linear_[2];
  const uint8_t* encode = encode_.data();
  const auto level = [encode](float v) { return encode[EncodeIndex(v)]; };
  const uint32_t step = channels_;
  for (uint32_t x = 0; x < width; ++x, in += step, out += step) {
    const float r = red_curve[in[0]], g = green_curve[in[1]], b = blue_curve[in[2]];
    const uint8_t red = level(m00 * r + m01 * g + m02 * b);
    const uint8_t green = level(m10 * r + m11 * g + m12 * b);
    const uint8_t blue = level(m20 * r + m21 * g + m22 * b);
    const uint8_t alpha = step == 4 ? in[3] : 0;
    out[0] = red;
    out[1] = green;
    out[2] = blue;
    if (step == 4) out[3] = alpha;
  }
}

}  // namespace thumbpipe
