#include "common/atomic_file.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

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
