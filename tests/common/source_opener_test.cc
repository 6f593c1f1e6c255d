#include "common/source_opener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr const char* kSymlinkOnPath =
    "not opened: a symlink lies on its path below ROOT (--symlinks none)";

// ROOT is base/photos, with album/a.jpg and b.jpg; base/outside/album/a.jpg lies outside.
class SourceOpenerTest : public ::testing::Test {
 protected:
  SourceOpenerTest() {
    std::filesystem::create_directories(base_ / "photos/album");
    std::filesystem::create_directories(base_ / "outside/album");
    WriteFile(base_ / "photos/album/a.jpg", "inside a");
    WriteFile(base_ / "photos/b.jpg", "inside b");
    WriteFile(base_ / "outside/album/a.jpg", "outside a");
    real_base_ = std::filesystem::canonical(base_.path());
  }

  std::unique_ptr<SourceOpener> Create(SymlinkPolicy policy, bool use_openat2 = true) {
    std::unique_ptr<SourceOpener> opener;
    const Status status = SourceOpener::Create(policy, root(), &opener, use_openat2);
    EXPECT_TRUE(status.ok()) << status.message();
    return opener;
  }

  // What Open() gave: the file's bytes, or the error.
  static std::string Read(const SourceOpener& opener, const std::string& path) {
    int fd = -1;
    if (Status status = opener.Open(path, &fd); !status.ok()) return "error: " + status.message();
    std::string bytes;
    char buffer[256];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) bytes.append(buffer, n);
    ::close(fd);
    return bytes;
  }

  // After the walk, album/ is moved aside and a symlink to `target` takes its place.
  void SwapAlbumFor(const std::string& target) {
    std::filesystem::rename(In("album"), In("album.moved"));
    std::filesystem::create_directory_symlink(target, In("album"));
  }

  std::string root() const { return base_ / "photos"; }
  std::string In(const std::string& name) const { return base_ / ("photos/" + name); }

  TempDir base_;
  std::string real_base_;  // base_, every symlink resolved
};

TEST_F(SourceOpenerTest, AllOpensWhateverThePathLeadsTo) {
  SwapAlbumFor(base_ / "outside/album");
  EXPECT_EQ(Read(SourceOpener(), In("album/a.jpg")), "outside a");
  EXPECT_EQ(Read(*Create(SymlinkPolicy::kAll), In("album/a.jpg")), "outside a");
  EXPECT_EQ(Read(SourceOpener(), In("missing.jpg")),
            "error: cannot open: No such file or directory");
}

TEST_F(SourceOpenerTest, InsideOpensFilesAndLinksThatStayInsideRoot) {
  std::filesystem::create_symlink("album/a.jpg", In("link.jpg"));
  std::filesystem::create_symlink("/proc/self/root" + In("b.jpg"), In("proc-link.jpg"));
  const auto opener = Create(SymlinkPolicy::kInside);
  EXPECT_EQ(opener->real_root(), real_base_ + "/photos");
  EXPECT_EQ(Read(*opener, In("b.jpg")), "inside b");
  EXPECT_EQ(Read(*opener, In("link.jpg")), "inside a");
  EXPECT_EQ(Read(*opener, In("proc-link.jpg")), "inside b");
  SwapAlbumFor("album.moved");  // a swap that stays inside is no harm
  EXPECT_EQ(Read(*opener, In("album/a.jpg")), "inside a");
}

TEST_F(SourceOpenerTest, InsideRefusesAFolderSwappedForALinkOut) {
  const auto opener = Create(SymlinkPolicy::kInside);
  SwapAlbumFor(base_ / "outside/album");
  EXPECT_EQ(Read(*opener, In("album/a.jpg")),
            "error: not opened: it resolves to '" + real_base_ +
                "/outside/album/a.jpg', outside ROOT (--symlinks inside)");
}

TEST_F(SourceOpenerTest, InsideRefusesAFileSwappedForALinkOutThroughProc) {
  const auto opener = Create(SymlinkPolicy::kInside);
  const std::string outside = base_ / "outside/album/a.jpg";
  const std::string refused = "error: not opened: it resolves to '" + real_base_ +
                              "/outside/album/a.jpg', outside ROOT (--symlinks inside)";
  std::filesystem::remove(In("b.jpg"));
  std::filesystem::create_symlink("/proc/self/root" + outside, In("b.jpg"));
  EXPECT_EQ(Read(*opener, In("b.jpg")), refused);
  std::filesystem::remove(In("b.jpg"));
  std::filesystem::create_symlink(
      "/proc/self/cwd/" +
          std::filesystem::relative(outside, std::filesystem::current_path()).string(),
      In("b.jpg"));
  EXPECT_EQ(Read(*opener, In("b.jpg")), refused);
  std::filesystem::remove(In("b.jpg"));
  std::filesystem::create_symlink("../outside/album/a.jpg", In("b.jpg"));
  EXPECT_EQ(Read(*opener, In("b.jpg")), refused);
}

TEST_F(SourceOpenerTest, InsideSaysWhyAFileCannotBeOpened) {
  const auto opener = Create(SymlinkPolicy::kInside);
  std::filesystem::create_symlink("nowhere.jpg", In("dangling.jpg"));
  ASSERT_EQ(::mkfifo(In("fifo.jpg").c_str(), 0600), 0);
  EXPECT_EQ(Read(*opener, In("dangling.jpg")), "error: cannot open: No such file or directory");
  EXPECT_EQ(Read(*opener, In("fifo.jpg")), "error: not a regular file");  // and no wait
}

TEST_F(SourceOpenerTest, RootMayBeGivenThroughASymlink) {
  std::filesystem::create_directory_symlink(base_ / "photos", base_ / "alias");
  for (SymlinkPolicy policy : {SymlinkPolicy::kInside, SymlinkPolicy::kNone}) {
    std::unique_ptr<SourceOpener> opener;
    ASSERT_TRUE(SourceOpener::Create(policy, base_ / "alias", &opener).ok());
    EXPECT_EQ(opener->real_root(), real_base_ + "/photos");
    EXPECT_EQ(Read(*opener, base_ / "alias/album/a.jpg"), "inside a");
  }
}

TEST_F(SourceOpenerTest, MissingRootFailsCreate) {
  std::unique_ptr<SourceOpener> opener;
  const Status status = SourceOpener::Create(SymlinkPolicy::kInside, base_ / "gone", &opener);
  EXPECT_EQ(status.message(),
            "cannot open ROOT '" + (base_ / "gone") + "': No such file or directory");
  EXPECT_EQ(opener, nullptr);
}

// --symlinks none, with openat2 and without (as on kernels that lack it).
class SourceOpenerNoneTest : public SourceOpenerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SourceOpenerNoneTest, OpensOnlyPathsWithoutSymlinks) {
  const auto opener = Create(SymlinkPolicy::kNone, GetParam());
  EXPECT_EQ(Read(*opener, In("album/a.jpg")), "inside a");
  EXPECT_EQ(Read(*opener, In("missing.jpg")), "error: cannot open: No such file or directory");
  std::filesystem::create_symlink("b.jpg", In("link.jpg"));
  EXPECT_EQ(Read(*opener, In("link.jpg")), std::string("error: ") + kSymlinkOnPath);
  EXPECT_EQ(Read(*opener, base_ / "outside/album/a.jpg"),
            "error: not opened: it is not below ROOT '" + root() + "' (--symlinks none)");
}

TEST_P(SourceOpenerNoneTest, RefusesAFolderSwappedForALinkWhereverItPoints) {
  const auto opener = Create(SymlinkPolicy::kNone, GetParam());
  SwapAlbumFor(base_ / "outside/album");
  EXPECT_EQ(Read(*opener, In("album/a.jpg")), std::string("error: ") + kSymlinkOnPath);
  std::filesystem::remove(In("album"));
  std::filesystem::create_directory_symlink("album.moved", In("album"));
  EXPECT_EQ(Read(*opener, In("album/a.jpg")), std::string("error: ") + kSymlinkOnPath);
}

INSTANTIATE_TEST_SUITE_P(Openat2, SourceOpenerNoneTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "WithOpenat2" : "WithoutOpenat2";
                         });

}  // namespace
}  // namespace thumbpipe
