#include "launcher/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

TEST(ProgressLine, WhileTheWalkGoesOnItSaysSoAndGivesNoEstimate) {
  ProgressCounts c;
  c.found = 1234;
  c.done = 567;
  c.failed = 3;
  c.elapsed_seconds = 12.7;
  c.rate = 85.26;
  EXPECT_EQ(ProgressLine(c), "1234 found so far, 567 done, 3 failed, 85.3 files/s, 12 s elapsed");
}

TEST(ProgressLine, OnceTheWalkIsDoneItEstimatesTheTimeLeft) {
  ProgressCounts c;
  c.found = 1000;
  c.walk_done = true;
  c.done = 400;
  c.elapsed_seconds = 65;
  c.rate = 250;
  EXPECT_EQ(ProgressLine(c),
            "1000 found, 400 done, 0 failed, 250 files/s, 1:05 elapsed, about 3 s left");
  c.rate = -1;  // not known yet: neither rate nor estimate
  EXPECT_EQ(ProgressLine(c), "1000 found, 400 done, 0 failed, 1:05 elapsed");
  c.rate = 0;  // stalled: no estimate
  EXPECT_EQ(ProgressLine(c), "1000 found, 400 done, 0 failed, 0.0 files/s, 1:05 elapsed");
}

TEST(ProgressLine, UnchangedAndSkippedAppearWhenThereAreAny) {
  ProgressCounts c;
  c.found = 10;
  c.walk_done = true;
  c.done = 10;
  c.unchanged = 900;
  c.skipped_failed = 2;
  c.elapsed_seconds = 3725;
  EXPECT_EQ(ProgressLine(c),
            "10 found, 10 done, 0 failed, 900 unchanged, 2 failed before (skipped), "
            "1:02:05 elapsed");
}

TEST(FormatDuration, SecondsMinutesHours) {
  EXPECT_EQ(FormatDuration(0), "0 s");
  EXPECT_EQ(FormatDuration(59.9), "59 s");
  EXPECT_EQ(FormatDuration(60), "1:00");
  EXPECT_EQ(FormatDuration(3599), "59:59");
  EXPECT_EQ(FormatDuration(3600), "1:00:00");
  EXPECT_EQ(FormatDuration(-1), "0 s");
}

TEST(RateMeter, RateOverTheRecentWindowOnceItSpansASecond) {
  RateMeter meter(5 * kSecond);
  EXPECT_LT(meter.Rate(), 0);
  meter.Add(0, 0);
  meter.Add(500 * kMs, 10);
  EXPECT_LT(meter.Rate(), 0);
  meter.Add(kSecond, 20);
  EXPECT_DOUBLE_EQ(meter.Rate(), 20);
  // A burst long ago leaves the window: the rate follows what happens now.
  for (int64_t t = 2; t <= 20; ++t) meter.Add(t * kSecond, 20 + static_cast<uint64_t>(t - 1) * 5);
  EXPECT_DOUBLE_EQ(meter.Rate(), 5);
}

class ProgressTest : public ::testing::Test {
 protected:
  ProgressTest() {
    block_.started_ns = 100 * kSecond;
    output_.write_terminal = [this](std::string_view bytes) { written_.emplace_back(bytes); };
    output_.log_line = [this](const std::string& text) { logged_.push_back(text); };
    output_.columns = [this] { return columns_; };
  }
  ControlBlock block_{};
  ProgressOutput output_;
  std::vector<std::string> written_, logged_;
  int columns_ = 200;
};

TEST_F(ProgressTest, OnATerminalTheLineIsRedrawnAtMostTenTimesASecondAndErasedAtTheEnd) {
  Progress progress(&block_, Progress::Mode::kTerminal, output_);
  block_.counters.found = 7;
  int64_t now = block_.started_ns;
  for (int i = 0; i < 100; ++i) progress.Tick(now += 10 * kMs);  // one second, 100 ticks
  EXPECT_EQ(written_.size(), 10u);
  EXPECT_EQ(written_.back(), "\r\033[Kthumbpipe: 7 found so far, 0 done, 0 failed, 1 s elapsed");
  EXPECT_TRUE(logged_.empty());
  progress.Finish();
  EXPECT_EQ(written_.back(), "\r\033[K");
}

TEST_F(ProgressTest, TheLineIsCutToTheTerminalsWidthSoItNeverWraps) {
  columns_ = 20;
  Progress progress(&block_, Progress::Mode::kTerminal, output_);
  progress.Tick(block_.started_ns + kSecond);
  ASSERT_EQ(written_.size(), 1u);
  EXPECT_EQ(written_[0], "\r\033[Kthumbpipe: 0 found ");  // 19 columns
}

TEST_F(ProgressTest, ElsewhereALogLineEveryTenSeconds) {
  Progress progress(&block_, Progress::Mode::kLines, output_);
  block_.walk_done = 1;
  block_.counters.found = 100;
  int64_t now = block_.started_ns;
  for (int i = 1; i <= 250; ++i) {
    block_.counters.thumbnails = static_cast<uint64_t>(i / 5);  // 2 files a second
    progress.Tick(now += 100 * kMs);
  }
  EXPECT_TRUE(written_.empty());
  ASSERT_EQ(logged_.size(), 2u);
  EXPECT_EQ(logged_[0], "100 found, 20 done, 0 failed, 2.0 files/s, 10 s elapsed, about 40 s left");
  EXPECT_EQ(logged_[1], "100 found, 40 done, 0 failed, 2.0 files/s, 20 s elapsed, about 30 s left");
  progress.Finish();
  EXPECT_TRUE(written_.empty());
}

TEST_F(ProgressTest, ElsewhereNothingNewMeansNoLine) {
  // A watching service waits for files for hours: no line until something happens.
  Progress progress(&block_, Progress::Mode::kLines, output_);
  block_.walk_done = 1;
  block_.counters.found = 3;
  block_.counters.thumbnails = 3;
  int64_t now = block_.started_ns;
  for (int i = 1; i <= 600; ++i) progress.Tick(now += 100 * kMs);
  ASSERT_EQ(logged_.size(), 1u);
  block_.counters.found = 4;
  block_.counters.thumbnails = 4;
  for (int i = 1; i <= 100; ++i) progress.Tick(now += 100 * kMs);
  ASSERT_EQ(logged_.size(), 2u);
  EXPECT_THAT(logged_[1], ::testing::StartsWith("4 found, 4 done, 0 failed"));
}

TEST_F(ProgressTest, OffMeansNothing) {
  Progress progress(&block_, Progress::Mode::kOff, output_);
  for (int i = 1; i <= 200; ++i) progress.Tick(block_.started_ns + i * 100 * kMs);
  progress.Finish();
  EXPECT_TRUE(written_.empty());
  EXPECT_TRUE(logged_.empty());
}

TEST(ProgressMode, TerminalLinesOrOff) {
  EXPECT_EQ(Progress::ModeFor(true, LogTarget{false, true}), Progress::Mode::kTerminal);
  EXPECT_EQ(Progress::ModeFor(true, LogTarget{true, false}), Progress::Mode::kLines);
  EXPECT_EQ(Progress::ModeFor(true, LogTarget{false, false}), Progress::Mode::kLines);
  EXPECT_EQ(Progress::ModeFor(false, LogTarget{false, true}), Progress::Mode::kOff);
}

}  // namespace
}  // namespace thumbpipe
