#include "launcher/sentinel_timer.h"

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kTick = kSecond / 10;

TEST(SentinelTimer, DueAfterTheWorkerHasWaitedAndAgainWhileItStillWaits) {
  SentinelTimer timer(kSecond);
  int64_t now = 5 * kSecond;
  EXPECT_FALSE(timer.Due(true, now));  // first seen waiting
  EXPECT_FALSE(timer.Due(true, now + kSecond - kTick));
  EXPECT_TRUE(timer.Due(true, now + kSecond));
  // Another worker took that sentinel and ended; this one still waits: one more, a wait later.
  EXPECT_FALSE(timer.Due(true, now + kSecond + kTick));
  EXPECT_FALSE(timer.Due(true, now + 2 * kSecond - kTick));
  EXPECT_TRUE(timer.Due(true, now + 2 * kSecond));
}

TEST(SentinelTimer, WorkOrAQueuedMessageStartsTheWaitOver) {
  SentinelTimer timer(kSecond);
  EXPECT_FALSE(timer.Due(true, 0));
  EXPECT_FALSE(timer.Due(true, kSecond - kTick));
  EXPECT_FALSE(timer.Due(false, kSecond));  // took a file, or something is queued
  EXPECT_FALSE(timer.Due(true, kSecond + kTick));
  EXPECT_FALSE(timer.Due(true, 2 * kSecond));
  EXPECT_TRUE(timer.Due(true, 2 * kSecond + kTick));
}

}  // namespace
}  // namespace thumbpipe
