// floor(n / d) for a divisor used many times (the area of every thumbnail pixel): a
// multiplication by a reciprocal and a shift instead of a division, several times faster, and
// exact for every n below 2^63 (Granlund and Montgomery, "Division by invariant integers
// using multiplication", 1994, theorem 4.2: with 2^(l-1) < d <= 2^l and m = ceil(2^(63+l) / d),
// floor(n * m / 2^(63+l)) = floor(n / d) for 0 <= n < 2^63; m fits in 64 bits). Larger n, and
// d = 1, are divided. Worker only.
#pragma once

#include <cstdint>

namespace thumbpipe {

class ExactDivider {
  __extension__ typedef unsigned __int128 Wide;  // GCC's and Clang's; __extension__: not ISO

 public:
  explicit ExactDivider(uint64_t d) : d_(d) {
    while (l_ < 64 && (uint64_t{1} << l_) < d) ++l_;
    const Wide power = Wide{1} << (63 + l_);
    m_ = static_cast<uint64_t>((power + d - 1) / d);
  }

  uint64_t operator()(uint64_t n) const {
    if (n >> 63 != 0 || l_ == 0) return n / d_;
    const auto high = static_cast<uint64_t>((Wide{n} * m_) >> 64);
    return high >> (l_ - 1);
  }

 private:
  uint64_t d_;
  uint64_t m_ = 0;
  uint32_t l_ = 0;  // d <= 2^l
};

}  // namespace thumbpipe
