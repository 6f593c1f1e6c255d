#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

constexpr LogTarget kJournal{true, false};
constexpr LogTarget kTerminal{false, true};
constexpr LogTarget kPlain{false, false};

TEST(Log, UnderTheJournalEveryLineStartsWithItsPriority) {
  EXPECT_EQ(FormatLogLine(LogPriority::kError, kJournal, "thumbpipe", "it broke"),
            "<3>thumbpipe: it broke\n");
  EXPECT_EQ(FormatLogLine(LogPriority::kWarning, kJournal, "thumbpipe-sink", "failed: 'a'"),
            "<4>thumbpipe-sink: failed: 'a'\n");
  EXPECT_EQ(FormatLogLine(LogPriority::kInfo, kJournal, "thumbpipe", "Finished in 1.00 s"),
            "<6>thumbpipe: Finished in 1.00 s\n");
  EXPECT_EQ(FormatLogLine(LogPriority::kDebug, kJournal, "thumbpipe-worker[0]", "Processing"),
            "<7>thumbpipe-worker[0]: Processing\n");
}

TEST(Log, OnATerminalEveryLineFirstErasesTheProgressLine) {
  EXPECT_EQ(FormatLogLine(LogPriority::kWarning, kTerminal, "thumbpipe-sink", "failed: 'a'"),
            "\r\033[Kthumbpipe-sink: failed: 'a'\n");
}

TEST(Log, ElsewhereLinesAreAsTheyWere) {
  EXPECT_EQ(FormatLogLine(LogPriority::kError, kPlain, "thumbpipe", "x"), "thumbpipe: x\n");
}

TEST(Log, JournalStreamNamesDeviceAndInodeInDecimal) {
  EXPECT_TRUE(JournalStreamNames("8:12345", 8, 12345));
  EXPECT_TRUE(JournalStreamNames("64769:9223372036854775807", 64769, 9223372036854775807u));
  EXPECT_FALSE(JournalStreamNames("8:12346", 8, 12345));
  EXPECT_FALSE(JournalStreamNames("9:12345", 8, 12345));
  for (const char* bad : {"", ":", "8:", ":12345", "8;12345", "8:12345x", "x8:12345", "-8:12345",
                          "8:12345:1", " 8:12345"}) {
    EXPECT_FALSE(JournalStreamNames(bad, 8, 12345)) << "'" << bad << "'";
  }
}

class LogTargetTest : public ::testing::Test {
 protected:
  std::string DevIno(int fd) {
    struct stat st;
    EXPECT_EQ(::fstat(fd, &st), 0);
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }
  testing::TempDir dir_;
};

TEST_F(LogTargetTest, AFileIsTheJournalOnlyWhenJournalStreamNamesIt) {
  const int fd = ::open((dir_ / "err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const int other = ::open((dir_ / "other").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(other, 0);
  const LogTarget named = DetectLogTarget(fd, DevIno(fd).c_str());
  EXPECT_TRUE(named.journal);
  EXPECT_FALSE(named.terminal);
  // A child whose stderr was sent elsewhere inherits the variable: it is not the journal's.
  EXPECT_FALSE(DetectLogTarget(fd, DevIno(other).c_str()).journal);
  EXPECT_FALSE(DetectLogTarget(fd, nullptr).journal);
  EXPECT_FALSE(DetectLogTarget(fd, nullptr).terminal);
  ::close(fd);
  ::close(other);
}

TEST_F(LogTargetTest, APseudoTerminalIsATerminal) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  const LogTarget target = DetectLogTarget(slave, nullptr);
  EXPECT_TRUE(target.terminal);
  EXPECT_FALSE(target.journal);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  EXPECT_FALSE(DetectLogTarget(pipe_fds[1], nullptr).terminal);
  for (int fd : {master, slave, pipe_fds[0], pipe_fds[1]}) ::close(fd);
}

}  // namespace
}  // namespace thumbpipe
