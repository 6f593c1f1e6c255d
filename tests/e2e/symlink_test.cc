// --symlinks with the real binaries on corpus images: what each policy lets into the manifest,
// and a folder swapped for a symlink after the walk (tests/fakes/fake_worker.cc makes the swap).
#include <filesystem>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// ROOT (photos_) holds two images and links of every kind; beside it, outside_ holds an image
// and a folder that the links lead to.
class SymlinkTest : public E2eTest {
 protected:
  SymlinkTest() {
    fs::create_directories(photos_ / "album");
    fs::create_directories(outside_ / "folder");
    fs::copy_file(CorpusPath("exif-orientation/Landscape_1.jpg"), photos_ / "landscape.jpg");
    fs::copy_file(CorpusPath("exif-orientation/Portrait_1.jpg"), photos_ / "album/portrait.jpg");
    fs::copy_file(CorpusPath("pillow/formats/hopper.png"), outside_ / "outside.png");
    fs::copy_file(CorpusPath("pillow/formats/hopper.jpg"), outside_ / "folder/in-folder.jpg");
    fs::create_symlink(photos_ / "album/portrait.jpg", photos_ / "link-inside.jpg");
    fs::create_symlink(outside_ / "outside.png", photos_ / "link-outside.png");
    fs::create_symlink(fs::relative(outside_ / "outside.png", photos_ / "album"),
                       photos_ / "album/climb-out.png");
    fs::create_symlink("/proc/self/root" + (outside_ / "outside.png"), photos_ / "proc-root.png");
    fs::create_directory_symlink(outside_ / "folder", photos_ / "linked-folder");
    real_outside_ = fs::canonical(outside_.path());
  }

  std::set<std::string> Under(const std::string& root, std::vector<std::string> names) {
    std::set<std::string> paths;
    for (const std::string& name : names) paths.insert(root + "/" + name);
    return paths;
  }

  // Runs thumbpipe with `args`; checks it finished with `thumbnails` thumbnails and nothing
  // else, and returns the sources of its manifest.
  std::set<std::string> RunExpecting(const std::vector<std::string>& args, long thumbnails,
                                     CommandResult* run_out = nullptr) {
    const CommandResult run = Thumbpipe(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const Summary summary = ParseSummary(run.err);
    EXPECT_TRUE(summary.found) << run.err;
    EXPECT_EQ(summary.thumbnails, thumbnails) << run.err;
    EXPECT_EQ(summary.not_images, 0) << run.err;
    EXPECT_EQ(summary.failed, 0) << run.err;
    if (run_out != nullptr) *run_out = run;
    return Sources(VerifyOutputs(200, 200, /*others_allowed=*/true));
  }

  TempDir photos_, outside_;
  std::string real_outside_;  // outside_, every symlink resolved
};

TEST_F(SymlinkTest, AllFollowsEveryLinkToAFileWhereverItPoints) {
  const auto expected =
      Under(photos_.path(), {"album/climb-out.png", "album/portrait.jpg", "landscape.jpg",
                             "link-inside.jpg", "link-outside.png", "proc-root.png"});
  EXPECT_EQ(RunExpecting({photos_.path(), "2"}, 6), expected);  // the default
  EXPECT_EQ(RunExpecting({"--symlinks", "all", photos_.path(), "2"}, 6), expected);
}

TEST_F(SymlinkTest, InsideFollowsOnlyLinksThatStayInsideRoot) {
  CommandResult run;
  EXPECT_EQ(RunExpecting({"--symlinks", "inside", "-v", photos_.path(), "2"}, 3, &run),
            Under(photos_.path(), {"album/portrait.jpg", "landscape.jpg", "link-inside.jpg"}));
  for (auto [link, target] : {std::pair{"link-outside.png", "outside.png"},
                              {"album/climb-out.png", "outside.png"},
                              {"proc-root.png", "outside.png"},
                              {"linked-folder", "folder"}}) {
    EXPECT_THAT(run.err, HasSubstr("thumbpipe-producer: not following symlink '" +
                                   (photos_ / link) + "': its target '" + real_outside_ + "/" +
                                   target + "' lies outside ROOT (--symlinks inside)\n"));
  }
}

TEST_F(SymlinkTest, NoneFollowsNoLink) {
  CommandResult run;
  EXPECT_EQ(RunExpecting({"--symlinks", "none", "-v", photos_.path(), "2"}, 2, &run),
            Under(photos_.path(), {"album/portrait.jpg", "landscape.jpg"}));
  EXPECT_THAT(run.err, HasSubstr("thumbpipe-producer: not following symlink '" +
                                 (photos_ / "link-inside.jpg") + "' (--symlinks none)\n"));
}

// As a service over /home/photos where /home -> /data/home: ROOT is resolved once, and the
// manifest keeps the path as given.
TEST_F(SymlinkTest, InsideWithRootGivenThroughASymlink) {
  TempDir aliases;
  fs::create_directory_symlink(photos_.path(), aliases / "photos");
  const std::string root = aliases / "photos";
  EXPECT_EQ(RunExpecting({"--symlinks", "inside", root, "2"}, 3),
            Under(root, {"album/portrait.jpg", "landscape.jpg", "link-inside.jpg"}));
}

TEST_F(SymlinkTest, UnknownPolicyIsAUsageError) {
  const CommandResult run = Thumbpipe({"--symlinks", "bogus", photos_.path()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "thumbpipe: --symlinks must be all, inside or none, not 'bogus'\n");
  EXPECT_FALSE(fs::exists(manifest()));
}

// The walk saw album/photo.jpg in a real folder; before the worker opens it, album/ becomes a
// symlink to a folder outside ROOT that holds a photo.jpg of its own.
TEST_F(SymlinkTest, AFolderSwappedAfterTheWalkIsFailedNotRead) {
  StandInRoles roles;
  for (auto [policy, reason] :
       {std::pair<std::string, std::string>{"inside", "not opened: it resolves to '" +
                                                          real_outside_ +
                                                          "/album/photo.jpg', outside ROOT "
                                                          "(--symlinks inside)"},
        {"none", "not opened: a symlink lies on its path below ROOT (--symlinks none)"}}) {
    TempDir photos;
    fs::create_directories(photos / "album");
    fs::create_directories(outside_ / "album");
    fs::copy_file(CorpusPath("exif-orientation/Landscape_1.jpg"), photos / "album/photo.jpg");
    fs::copy_file(CorpusPath("exif-orientation/Portrait_1.jpg"), photos / "z.jpg");
    fs::copy_file(CorpusPath("pillow/formats/hopper.jpg"), outside_ / "album/photo.jpg",
                  fs::copy_options::overwrite_existing);
    CommandOptions options;
    options.env = roles.env("swap-folder-on=album/photo.jpg");
    options.env["FAKE_WORKER_SWAP_TO"] = outside_ / "album";
    const CommandResult run = Thumbpipe({"--symlinks", policy, photos.path(), "1"}, options);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.err,
                HasSubstr("failed: '" + (photos / "album/photo.jpg") + "': " + reason + "\n"));
    const Summary summary = ParseSummary(run.err);
    EXPECT_EQ(summary.thumbnails, 1) << run.err;
    EXPECT_EQ(summary.failed, 1) << run.err;
    EXPECT_EQ(Sources(VerifyOutputs(200, 200, /*others_allowed=*/true)),
              std::set<std::string>{photos / "z.jpg"});
    EXPECT_TRUE(fs::is_symlink(photos / "album")) << "the swap did not happen";
  }
}

}  // namespace
}  // namespace thumbpipe::testing
