#include "worker/decoders/png/unfilter.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace thumbpipe {
namespace {

// The Paeth predictor (specification, section 9.4) without branches: on photographs the
// choice is close to random, and a mispredicted branch per byte costs more than the rest of
// the filter together.
inline int Paeth(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
  const int b_or_c = pb <= pc ? b : c;
  return pa <= std::min(pb, pc) ? a : b_or_c;
}

// Sub, Average and Paeth depend on the pixel to the left: they keep its bytes (and those of
// the one above it) in registers rather than reading back what was just stored, which would
// put a store-to-load round trip into every byte's chain. `predict(left, above, upper_left)`.
template <size_t kBpp, typename Predict>
void UnfilterFromLeft(const uint8_t* in, const uint8_t* prior, uint8_t* out, size_t stride,
                      Predict predict) {
  int left[kBpp] = {}, upper_left[kBpp] = {};
  for (size_t i = 0; i < stride; i += kBpp) {
    for (size_t k = 0; k < kBpp; ++k) {
      const int above = prior[i + k];
      const auto value = static_cast<uint8_t>(in[i + k] + predict(left[k], above, upper_left[k]));
      out[i + k] = value;
      left[k] = value;
      upper_left[k] = above;
    }
  }
}

// `kBpp` is a constant so the compiler can vectorize and unroll. `stride` is a multiple of
// kBpp for every pixel size but the packed ones (kBpp 1), where any stride is.
template <size_t kBpp>
bool Unfilter(uint8_t filter, const uint8_t* in, const uint8_t* prior, uint8_t* out,
              size_t stride) {
  switch (filter) {
    case 0:
      if (out != in) std::memmove(out, in, stride);
      return true;
    case 1:
      UnfilterFromLeft<kBpp>(in, prior, out, stride, [](int left, int, int) { return left; });
      return true;
    case 2:
      for (size_t i = 0; i < stride; ++i) out[i] = static_cast<uint8_t>(in[i] + prior[i]);
      return true;
    case 3:
      UnfilterFromLeft<kBpp>(in, prior, out, stride,
                             [](int left, int above, int) { return (left + above) >> 1; });
      return true;
    case 4:
      UnfilterFromLeft<kBpp>(in, prior, out, stride, Paeth);
      return true;
    default:
      return false;
  }
}

}  // namespace

bool UnfilterRow(uint8_t filter, const uint8_t* in, const uint8_t* prior, uint8_t* out,
                 size_t stride, size_t bpp) {
  switch (bpp) {
    case 1:
      return Unfilter<1>(filter, in, prior, out, stride);
    case 2:
      return Unfilter<2>(filter, in, prior, out, stride);
    case 3:
      return Unfilter<3>(filter, in, prior, out, stride);
    case 4:
      return Unfilter<4>(filter, in, prior, out, stride);
    case 6:
      return Unfilter<6>(filter, in, prior, out, stride);
    case 8:
      return Unfilter<8>(filter, in, prior, out, stride);
    default:
      return false;
  }
}

}  // namespace thumbpipe
