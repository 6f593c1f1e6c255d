#include "worker/exact_divider.h"

#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

// Divisors of every size, among them powers of two and their neighbours, each against
// numerators at the edges of its multiples and at random, up to the largest there are.
TEST(ExactDivider, GivesWhatDivisionGives) {
  std::mt19937_64 random(7);
  constexpr uint64_t kTop = uint64_t{1} << 63;
  std::vector<uint64_t> divisors = {3, 5, 7, 10, 255, 257, 65535, 65537, 1'000'000'007, UINT64_MAX};
  // Every power of two from 2, and its neighbours (1 among them).
  for (uint32_t k = 1; k < 64; ++k) {
    const uint64_t power = uint64_t{1} << k;
    divisors.insert(divisors.end(), {power - 1, power, power + 1});
  }
  for (int i = 0; i < 200; ++i) divisors.push_back(random() >> (random() % 64) | 1);
  for (const uint64_t d : divisors) {
    const ExactDivider divide(d);
    std::vector<uint64_t> numerators = {0, 1, d - 1, d, d + 1, kTop - 1, kTop, UINT64_MAX};
    for (uint64_t q : {uint64_t{1}, uint64_t{2}, uint64_t{255}, uint64_t{511}, uint64_t{1} << 20}) {
      if (d > UINT64_MAX / (q + 1)) break;
      for (const uint64_t n : {q * d - 1, q * d, q * d + d - 1, q * d + d}) numerators.push_back(n);
    }
    for (int i = 0; i < 2000; ++i) numerators.push_back(random() >> (random() % 64));
    for (const uint64_t n : numerators) {
      ASSERT_EQ(divide(n), n / d) << n << " / " << d;
    }
  }
}

}  // namespace
}  // namespace thumbpipe
