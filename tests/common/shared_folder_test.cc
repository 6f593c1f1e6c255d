// OutputDir as on a network file system that refuses O_TMPFILE (forced with
// THUMBPIPE_NO_TMPFILE=1): thumbnails go through a uniquely named temporary file that is linked
// into place, so several processes (of several hosts) writing the same names into one folder
// leave only whole files and no temporaries.
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::ListFolder;
using testing::ReadFile;
using testing::TempDir;

std::span<const unsigned char> Bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// The content of a thumbnail named `name`: large enough that writing it takes several calls.
std::string ContentOf(const std::string& name) {
  std::string content;
  while (content.size() < 300'000) content += name + ";";
  return content;
}

class SharedFolderTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv(kNoTmpfileVariable, "1", 1); }
  void TearDown() override { ::unsetenv(kNoTmpfileVariable); }
};

// The names created in `folder` while `write` runs, in order (inotify IN_CREATE).
std::vector<std::string> NamesCreated(const std::string& folder,
                                      const std::function<void()>& write) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_GE(::inotify_add_watch(fd, folder.c_str(), IN_CREATE), 0);
  write();
  std::vector<std::string> names;
  alignas(inotify_event) char buffer[16384];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    for (char* p = buffer; p < buffer + n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(p);
      if (event->len > 0) names.emplace_back(event->name);
      p += sizeof(inotify_event) + event->len;
    }
  }
  ::close(fd);
  return names;
}

TEST_F(SharedFolderTest, WritesThroughAUniqueTemporaryNameAndLinksIt) {
  TempDir dir;
  std::unique_ptr<OutputDir> out;
  ASSERT_TRUE(OutputDir::Open(dir.path(), &out).ok());
  bool existed = true;
  const std::vector<std::string> created = NamesCreated(dir.path(), [&] {
    ASSERT_TRUE(out->WriteOnce("a.png", Bytes("first"), &existed).ok());
    ASSERT_TRUE(out->WriteOnce("b.png", Bytes("other"), &existed).ok());
  });
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const std::string pid = std::to_string(::getpid());
  // O_TMPFILE would create the final names only. The temporary names end in a counter.
  ASSERT_EQ(created.size(), 4u) << ::testing::PrintToString(created);
  const std::string a_start = ".a.png." + std::string(host) + "." + pid + ".";
  const std::string b_start = ".b.png." + std::string(host) + "." + pid + ".";
  EXPECT_TRUE(created[0].starts_with(a_start) && created[0].ends_with(".tmp")) << created[0];
  EXPECT_EQ(created[1], "a.png");
  EXPECT_TRUE(created[2].starts_with(b_start) && created[2].ends_with(".tmp")) << created[2];
  EXPECT_EQ(created[3], "b.png");
  EXPECT_NE(created[0].substr(a_start.size()), created[2].substr(b_start.size()));
  EXPECT_FALSE(existed);
  ASSERT_TRUE(out->WriteOnce("a.png", Bytes("second"), &existed).ok());
  EXPECT_TRUE(existed);
  EXPECT_EQ(ReadFile(dir / "a.png"), "first");
  EXPECT_EQ(ListFolder(dir.path()), (std::vector<std::string>{"a.png", "b.png"}));
}

TEST_F(SharedFolderTest, WithoutTheVariableTheUnnamedFileIsUsed) {
  ::unsetenv(kNoTmpfileVariable);
  TempDir dir;
  std::unique_ptr<OutputDir> out;
  ASSERT_TRUE(OutputDir::Open(dir.path(), &out).ok());
  bool existed = true;
  const std::vector<std::string> created = NamesCreated(
      dir.path(), [&] { ASSERT_TRUE(out->WriteOnce("a.png", Bytes("first"), &existed).ok()); });
  EXPECT_EQ(created, std::vector<std::string>{"a.png"});
}

TEST_F(SharedFolderTest, WritersOfTheSameNamesAtOnceLeaveOnlyWholeFiles) {
  TempDir dir;
  constexpr int kWriters = 4;
  constexpr int kNames = 60;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      std::unique_ptr<OutputDir> out;
      if (!OutputDir::Open(dir.path(), &out).ok()) ::_exit(3);
      for (int i = 0; i < kNames; ++i) {
        // Each writer goes through the names from another place, so they meet on every one.
        const std::string name = std::to_string((i + w * kNames / kWriters) % kNames) + ".png";
        bool existed = false;
        if (!out->WriteOnce(name, Bytes(ContentOf(name)), &existed).ok()) ::_exit(4);
      }
      ::_exit(0);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  const std::vector<std::string> names = ListFolder(dir.path());
  EXPECT_EQ(names.size(), static_cast<size_t>(kNames));
  for (const std::string& name : names) {
    EXPECT_NE(name[0], '.') << "a temporary file was left: " << name;
    EXPECT_EQ(ReadFile(dir / name), ContentOf(name)) << name;
  }
}

}  // namespace
}  // namespace thumbpipe
