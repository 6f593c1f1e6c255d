#include "common/atomic_file.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::ListFolder;
using testing::ReadFile;
using testing::TempDir;

std::span<const unsigned char> Bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

TEST(OutputDir, WritesOnceAndNeverReplaces) {
  TempDir dir;
  std::unique_ptr<OutputDir> out;
  ASSERT_TRUE(OutputDir::Open(dir.path(), &out).ok());
  bool existed = true;
  ASSERT_TRUE(out->WriteOnce("a.png", Bytes("first"), &existed).ok());
  EXPECT_FALSE(existed);
  EXPECT_TRUE(out->Exists("a.png"));
  ASSERT_TRUE(out->WriteOnce("a.png", Bytes("second"), &existed).ok());
  EXPECT_TRUE(existed);
  EXPECT_EQ(ReadFile(dir / "a.png"), "first");
  EXPECT_EQ(ListFolder(dir.path()), std::vector<std::string>{"a.png"});
  struct stat st;
  ASSERT_EQ(::stat((dir / "a.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0600, 0600u);
}

TEST(OutputDir, MissingFolderIsAnError) {
  TempDir dir;
  std::unique_ptr<OutputDir> out;
  const Status status = OutputDir::Open(dir / "missing", &out);
  EXPECT_EQ(status.message(),
            "cannot open output folder '" + (dir / "missing") + "': No such file or directory");
}

// A write that hits the file size limit fails with the OS error and leaves nothing behind.
TEST(OutputDir, WriteErrorLeavesNoFile) {
  TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{10, 10};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::unique_ptr<OutputDir> out;
    if (!OutputDir::Open(dir.path(), &out).ok()) ::_exit(10);
    bool existed = false;
    const Status status = out->WriteOnce("big.png", Bytes(std::string(1000, 'x')), &existed);
    ::_exit(status.ok()                                                    ? 11
            : status.message().find("File too large") != std::string::npos ? 0
                                                                           : 12);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_TRUE(ListFolder(dir.path()).empty());
}

TEST(OutputDir, ReplaceWritesInSubfoldersWithTheExactMode) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir / "normal").c_str(), 0700), 0);
  std::unique_ptr<OutputDir> out;
  ASSERT_TRUE(OutputDir::Open(dir.path(), &out).ok());
  const mode_t umask = ::umask(0077);
  ASSERT_TRUE(out->Replace("normal/a.png", Bytes("first"), 0640).ok());
  ::umask(umask);
  ASSERT_TRUE(out->Replace("normal/a.png", Bytes("second"), 0600).ok());
  EXPECT_EQ(ReadFile(dir / "normal/a.png"), "second");
  EXPECT_EQ(ListFolder(dir / "normal"), std::vector<std::string>{"a.png"});
  struct stat st;
  ASSERT_EQ(::stat((dir / "normal/a.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_TRUE(out->Replace("b.png", Bytes("b"), 0640).ok());
  ASSERT_EQ(::stat((dir / "b.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u) << "not cut by the umask";
  EXPECT_TRUE(out->Remove("b.png"));
  EXPECT_FALSE(out->Remove("b.png"));
  const Status missing = out->Replace("large/a.png", Bytes("x"), 0600);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("No such file or directory"), std::string::npos)
      << missing.message();
}

TEST(OutputDir, ReplaceErrorLeavesTheOldFileAndNoTemporary) {
  TempDir dir;
  {
    std::unique_ptr<OutputDir> out;
    ASSERT_TRUE(OutputDir::Open(dir.path(), &out).ok());
    ASSERT_TRUE(out->Replace("a.png", Bytes("old"), 0600).ok());
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{10, 10};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::unique_ptr<OutputDir> out;
    if (!OutputDir::Open(dir.path(), &out).ok()) ::_exit(10);
    const Status status = out->Replace("a.png", Bytes(std::string(1000, 'x')), 0600);
    ::_exit(status.ok()                                                    ? 11
            : status.message().find("File too large") != std::string::npos ? 0
                                                                           : 12);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_EQ(ListFolder(dir.path()), std::vector<std::string>{"a.png"});
  EXPECT_EQ(ReadFile(dir / "a.png"), "old");
}

// What a killed writer, an earlier process with the same pid or a writer on another host may
// leave in a folder is never in Replace's way, with O_TMPFILE or without it.
TEST(OutputDir, ReplaceIsNotStoppedByLeftoverTemporaries) {
  for (const bool without_tmpfile : {false, true}) {
    SCOPED_TRACE(without_tmpfile ? "without O_TMPFILE" : "with O_TMPFILE");
    TempDir dir;
    ASSERT_EQ(::mkdir((dir / "normal").c_str(), 0700), 0);
    const std::vector<std::string> leftovers = {
        fmt::format(".a.png.{}.tmp", ::getpid()),
        fmt::format(".a.png.{}.tmp", ::getpid() + 1),
        ".a.png.otherhost.1234.0.tmp",
    };
    for (const std::string& name : leftovers) {
      testing::WriteFile(dir / ("normal/" + name), "stale");
    }
    if (without_tmpfile) ::setenv(kNoTmpfileVariable, "1", 1);
    std::unique_ptr<OutputDir> out;
    const Status opened = OutputDir::Open(dir.path(), &out);
    ::unsetenv(kNoTmpfileVariable);
    ASSERT_TRUE(opened.ok());
    for (const char* content : {"first", "second"}) {
      const Status status = out->Replace("normal/a.png", Bytes(content), 0600);
      ASSERT_TRUE(status.ok()) << status.message();
      EXPECT_EQ(ReadFile(dir / "normal/a.png"), content);
    }
    std::vector<std::string> expected = leftovers;
    expected.push_back("a.png");
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> found = ListFolder(dir / "normal");
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, expected) << "no temporary of its own left, no leftover touched";
  }
}

TEST(AtomicFileWriter, ReplacesOnlyOnCommit) {
  TempDir dir;
  const std::string path = dir / "processed.txt";
  testing::WriteFile(path, "old\n");
  {
    std::unique_ptr<AtomicFileWriter> writer;
    ASSERT_TRUE(AtomicFileWriter::Create(path, &writer).ok());
    ASSERT_TRUE(writer->Append("new\n").ok());
    EXPECT_EQ(ReadFile(path), "old\n");
  }  // abandoned
  EXPECT_EQ(ReadFile(path), "old\n");
  EXPECT_EQ(ListFolder(dir.path()), std::vector<std::string>{"processed.txt"});

  std::unique_ptr<AtomicFileWriter> writer;
  ASSERT_TRUE(AtomicFileWriter::Create(path, &writer).ok());
  ASSERT_TRUE(writer->Append("new\n").ok());
  ASSERT_TRUE(writer->Commit().ok());
  writer.reset();
  EXPECT_EQ(ReadFile(path), "new\n");
  EXPECT_EQ(ListFolder(dir.path()), std::vector<std::string>{"processed.txt"});
}

}  // namespace
}  // namespace thumbpipe
