#include "launcher/service_reporter.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kTick = kSecond / 10;

class FakeNotifier : public ServiceNotifier {
 public:
  explicit FakeNotifier(int64_t watchdog_ns = 0) : watchdog_ns_(watchdog_ns) {}
  int64_t WatchdogIntervalNs() override { return watchdog_ns_; }
  Status Notify(std::string_view state) override {
    sent.emplace_back(state);
    return fail ? Status::Error("cannot notify the service manager: Connection refused")
                : Status::OK();
  }
  // What was sent since the last call.
  std::vector<std::string> Take() { return std::exchange(sent, {}); }

  std::vector<std::string> sent;
  bool fail = false;

 private:
  int64_t watchdog_ns_;
};

class ServiceReporterTest : public ::testing::Test {
 protected:
  ServiceReporterTest() : block_(std::make_unique<ControlBlock>()) {}
  ControlBlock& block() { return *block_; }
  void Count(uint64_t thumbnails, uint64_t not_images, uint64_t failed) {
    block().counters.found = thumbnails + not_images + failed;
    block().counters.thumbnails = thumbnails;
    block().counters.not_images = not_images;
    block().counters.failed = failed;
  }

 private:
  std::unique_ptr<ControlBlock> block_;
};

TEST_F(ServiceReporterTest, StatusTextNamesTheCountsAndThePhase) {
  Count(1873, 12, 1);
  const RunCounters& c = block().counters;
  EXPECT_EQ(ServiceStatusText(c, true, true, false),
            "1873 thumbnails, 12 not images, 1 failed; watching");
  EXPECT_EQ(ServiceStatusText(c, false, true, false),
            "1873 thumbnails, 12 not images, 1 failed; first pass, 1886 found");
  EXPECT_EQ(ServiceStatusText(c, true, false, false),
            "1873 thumbnails, 12 not images, 1 failed; finishing");
  EXPECT_EQ(ServiceStatusText(c, true, true, true),
            "1873 thumbnails, 12 not images, 1 failed; stopping");
  block().counters.unchanged = 1800;
  block().counters.skipped_failed = 1;
  EXPECT_EQ(ServiceStatusText(c, true, true, false),
            "1873 thumbnails, 12 not images, 1 failed; 1801 unchanged; watching");
}

TEST_F(ServiceReporterTest, WatchRunIsReadyOnceTheFirstPassIsDone) {
  FakeNotifier notifier;
  ServiceReporter reporter(&notifier, /*watch=*/true);
  Count(5, 0, 0);
  reporter.Tick(block(), 10 * kSecond);
  EXPECT_EQ(notifier.Take(),
            std::vector<std::string>{"STATUS=5 thumbnails, 0 not images, 0 failed; first pass, "
                                     "5 found"});
  Count(7, 1, 0);
  block().first_pass_done = 1;
  // Readiness does not wait for the status interval.
  reporter.Tick(block(), 10 * kSecond + kTick);
  EXPECT_EQ(notifier.Take(), std::vector<std::string>{
                                 "READY=1\nSTATUS=7 thumbnails, 1 not images, 0 failed; watching"});
  reporter.Tick(block(), 20 * kSecond);
  EXPECT_TRUE(notifier.Take().empty());  // once only, and nothing changed
}

TEST_F(ServiceReporterTest, SinglePassIsNeverReady) {
  FakeNotifier notifier;
  ServiceReporter reporter(&notifier, /*watch=*/false);
  Count(3, 0, 0);
  block().first_pass_done = 1;
  reporter.Tick(block(), kSecond);
  EXPECT_EQ(notifier.Take(),
            std::vector<std::string>{"STATUS=3 thumbnails, 0 not images, 0 failed; finishing"});
}

TEST_F(ServiceReporterTest, StatusAtMostOnceASecondAndOnlyWhenChanged) {
  FakeNotifier notifier;
  ServiceReporter reporter(&notifier, /*watch=*/true);
  int64_t now = 100 * kSecond;
  Count(1, 0, 0);
  reporter.Tick(block(), now);
  EXPECT_EQ(notifier.Take().size(), 1u);
  Count(2, 0, 0);
  reporter.Tick(block(), now + kSecond - kTick);
  EXPECT_TRUE(notifier.Take().empty());  // changed, but too soon
  reporter.Tick(block(), now + kSecond);
  EXPECT_EQ(notifier.Take(),
            std::vector<std::string>{"STATUS=2 thumbnails, 0 not images, 0 failed; first pass, "
                                     "2 found"});
  reporter.Tick(block(), now + 5 * kSecond);
  EXPECT_TRUE(notifier.Take().empty());  // not changed
}

TEST_F(ServiceReporterTest, WatchdogPingsFourTimesPerIntervalOnlyWhenAsked) {
  FakeNotifier without;
  ServiceReporter quiet(&without, true);
  for (int64_t now = 0; now < 10 * kSecond; now += kTick) quiet.Tick(block(), now);
  for (const std::string& sent : without.Take())
    EXPECT_EQ(sent.find("WATCHDOG"), std::string::npos);

  FakeNotifier with(/*watchdog_ns=*/4 * kSecond);
  ServiceReporter pinging(&with, true);
  int pings = 0;
  int64_t last = -kSecond;
  for (int64_t now = 0; now < 8 * kSecond; now += kTick) {
    pinging.Tick(block(), now);
    for (const std::string& sent : with.Take()) {
      if (sent != "WATCHDOG=1") continue;
      ++pings;
      EXPECT_GE(now - last, kSecond);
      last = now;
    }
  }
  EXPECT_EQ(pings, 8);
}

TEST_F(ServiceReporterTest, StoppingIsSentAtOnceWithTheCounts) {
  FakeNotifier notifier;
  ServiceReporter reporter(&notifier, true);
  Count(4, 0, 1);
  block().first_pass_done = 1;
  reporter.Tick(block(), kSecond);
  notifier.Take();
  reporter.Stopping(block(), kSecond + kTick);
  EXPECT_EQ(notifier.Take(),
            std::vector<std::string>{"STOPPING=1\nSTATUS=4 thumbnails, 0 not images, 1 failed; "
                                     "stopping"});
  reporter.Stopping(block(), kSecond + 2 * kTick);
  Count(5, 0, 1);
  reporter.Tick(block(), 3 * kSecond);
  EXPECT_EQ(notifier.Take(),
            std::vector<std::string>{"STATUS=5 thumbnails, 0 not images, 1 failed; stopping"});
}

TEST_F(ServiceReporterTest, StoppedBeforeReadyIsNeverReady) {
  FakeNotifier notifier;
  ServiceReporter reporter(&notifier, true);
  reporter.Stopping(block(), kSecond);
  block().first_pass_done = 1;
  reporter.Tick(block(), 3 * kSecond);
  for (const std::string& sent : notifier.Take()) EXPECT_EQ(sent.find("READY"), std::string::npos);
}

TEST_F(ServiceReporterTest, AFailingManagerDoesNotStopTheReports) {
  FakeNotifier notifier;
  notifier.fail = true;
  ServiceReporter reporter(&notifier, true);
  Count(1, 0, 0);
  reporter.Tick(block(), kSecond);
  Count(2, 0, 0);
  reporter.Tick(block(), 3 * kSecond);
  EXPECT_EQ(notifier.Take().size(), 2u);
}

}  // namespace
}  // namespace thumbpipe
