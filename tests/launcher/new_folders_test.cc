#include "launcher/new_folders.h"

#include <cerrno>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

namespace fs = std::filesystem;

TEST(NewFolders, RemovesWhatItMadeAndNothingAbove) {
  testing::TempDir dir;
  NewFolders folders;
  ASSERT_EQ(folders.Make(dir / "a/b/c"), 0);
  ASSERT_EQ(folders.Make(dir / "a/b/d/"), 0);
  ASSERT_EQ(folders.Make(dir / "a/b/c"), 0);  // made already: nothing new
  EXPECT_TRUE(fs::is_directory(dir / "a/b/c"));
  EXPECT_TRUE(fs::is_directory(dir / "a/b/d"));
  folders.Remove();
  EXPECT_FALSE(fs::exists(dir / "a"));
  EXPECT_TRUE(fs::is_directory(dir.path()));
}

// A folder that was there, or that another process made first, is not ours to remove, even
// empty; nor is one of ours that another process put something in.
TEST(NewFolders, LeavesFoldersOthersMadeOrFilled) {
  testing::TempDir dir;
  fs::create_directories(dir / "theirs");
  NewFolders folders;
  ASSERT_EQ(folders.Make(dir / "theirs/ours"), 0);
  ASSERT_EQ(folders.Make(dir / "filled/ours"), 0);
  fs::create_directories(dir / "filled/another");
  folders.Remove();
  EXPECT_TRUE(fs::is_directory(dir / "theirs"));
  EXPECT_FALSE(fs::exists(dir / "theirs/ours"));
  EXPECT_TRUE(fs::is_directory(dir / "filled/another"));
  EXPECT_FALSE(fs::exists(dir / "filled/ours"));
}

TEST(NewFolders, SaysWhatIsInTheWay) {
  testing::TempDir dir;
  testing::WriteFile(dir / "file", "");
  NewFolders folders;
  EXPECT_EQ(folders.Make(dir / "file/below"), ENOTDIR);
  EXPECT_EQ(folders.Make(dir / "file"), ENOTDIR);
  folders.Remove();
  EXPECT_TRUE(fs::is_regular_file(dir / "file"));
}

TEST(NewFolders, MakesThemWithTheModeAsked) {
  testing::TempDir dir;
  NewFolders folders;
  ASSERT_EQ(folders.Make(dir / "cache/thumbnails", 0700), 0);
  for (const char* folder : {"cache", "cache/thumbnails"}) {
    EXPECT_EQ(fs::status(dir / folder).permissions() & fs::perms::all, fs::perms::owner_all)
        << folder;
  }
}

}  // namespace
}  // namespace thumbpipe
