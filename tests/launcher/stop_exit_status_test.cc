#include "launcher/stop_exit_status.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

TEST(StopExitStatus, ServiceStopOfAWatchRunIsNotAFailure) {
  EXPECT_EQ(StopExitStatus(true, SIGTERM, 0), 0);
  EXPECT_EQ(StopExitStatus(true, SIGTERM, 1), 1);  // it had failed before the stop
  EXPECT_EQ(StopExitStatus(true, SIGINT, 0), 130);
  EXPECT_EQ(StopExitStatus(true, SIGHUP, 0), 129);
  EXPECT_EQ(StopExitStatus(false, SIGTERM, 0), 143);
  EXPECT_EQ(StopExitStatus(false, SIGTERM, 1), 143);
  EXPECT_EQ(StopExitStatus(false, SIGINT, 143), 143);  // the first signal decides
  EXPECT_EQ(StopExitStatus(true, SIGTERM, 130), 130);
}

}  // namespace
}  // namespace thumbpipe
