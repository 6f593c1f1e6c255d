#include "common/real_path.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(IsInsideRoot, ComparesWholeNamesNotPrefixes) {
  EXPECT_TRUE(IsInsideRoot("/photos/a.jpg", "/photos"));
  EXPECT_TRUE(IsInsideRoot("/photos/2019/a.jpg", "/photos"));
  EXPECT_TRUE(IsInsideRoot("/photos", "/photos"));
  EXPECT_FALSE(IsInsideRoot("/photos2/a.jpg", "/photos"));
  EXPECT_FALSE(IsInsideRoot("/photo", "/photos"));
  EXPECT_FALSE(IsInsideRoot("/etc/shadow", "/photos"));
  EXPECT_TRUE(IsInsideRoot("/etc/shadow", "/"));
  EXPECT_FALSE(IsInsideRoot("/photos/a.jpg", ""));
}

TEST(RealPathOf, ResolvesEverySymlinkOnTheWay) {
  TempDir dir;
  std::filesystem::create_directories(dir / "real/sub");
  WriteFile(dir / "real/sub/a.jpg", "a");
  std::filesystem::create_directory_symlink(dir / "real", dir / "alias");
  std::filesystem::create_symlink("sub/a.jpg", dir / "real/link.jpg");
  const int fd = ::open((dir / "alias/link.jpg").c_str(), O_PATH | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string path;
  const Status status = RealPathOf(fd, &path);
  ::close(fd);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(path, std::filesystem::canonical(dir / "real/sub/a.jpg").string());
}

TEST(RealPathOf, FailsForWhatHasNoPath) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string path;
  const Status status = RealPathOf(fds[0], &path);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(status.message(),
            "'/proc/self/fd/" + std::to_string(fds[0]) + "' does not give a path");
}

}  // namespace
}  // namespace thumbpipe
