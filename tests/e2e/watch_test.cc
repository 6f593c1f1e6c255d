// End to end: --watch with the real binaries. After its first pass the run keeps the
// manifest and catalog in step with the tree: files that arrive complete, folders made or
// moved in, files and folders deleted or moved away; it stops cleanly on SIGTERM, and keeps
// working (by rescanning) when the kernel has no inotify watches left.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class WatchTest : public E2eTest {
 protected:
  void SetUp() override {
    photos_ = work() / "photos";
    fs::create_directories(photos_ + "/2019");
    fs::copy_file(CorpusPath("exif-orientation/Landscape_1.jpg"), photos_ + "/2019/first.jpg");
    const timespec old{::time(nullptr) - 3600, 0};
    const timespec times[2] = {old, old};
    ::utimensat(AT_FDCWD, (photos_ + "/2019/first.jpg").c_str(), times, 0);
  }

  std::unique_ptr<Command> StartWatching(std::vector<std::string> wrap = {}) {
    std::vector<std::string> args = {"--watch", "-j", "2", photos_};
    if (wrap.empty()) return Start(args);
    // Run inside `wrap` (a command line that ends by running its arguments).
    wrap.push_back(LauncherPath());
    wrap.insert(wrap.end(), args.begin(), args.end());
    CommandOptions options;
    options.cwd = work().path();
    return std::make_unique<Command>(wrap, options);
  }

  std::set<std::string> Listed() const {
    if (!fs::exists(manifest())) return {};
    return Sources(ReadManifest(manifest()));
  }
  bool Lists(const std::set<std::string>& sources) const { return Listed() == sources; }
  bool WaitForListing(const std::set<std::string>& sources) {
    return WaitFor([&] { return Lists(sources); }, std::chrono::seconds(30));
  }

  CommandResult Stop(std::unique_ptr<Command> command) {
    ::kill(command->pid(), SIGTERM);
    return Finish(*command);
  }

  std::string photos_;
};

TEST_F(WatchTest, FilesThatArriveGetTheirLineAndFilesThatGoLoseIt) {
  auto command = StartWatching();
  const std::string first = photos_ + "/2019/first.jpg";
  ASSERT_TRUE(WaitForListing({first})) << command->ErrSoFar();

  // Copied in.
  const std::string copied = photos_ + "/copied.jpg";
  fs::copy_file(CorpusPath("exif-orientation/Portrait_1.jpg"), copied);
  ASSERT_TRUE(WaitForListing({first, copied})) << command->ErrSoFar();

  // Written elsewhere, then moved in; and a folder of images moved in whole.
  fs::create_directories(work() / "incoming/album");
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), work() / "incoming/moved.png");
  fs::copy_file(CorpusPath("pngsuite/basn0g08.png"), work() / "incoming/album/grey.png");
  fs::rename(work() / "incoming/moved.png", photos_ + "/moved.png");
  fs::rename(work() / "incoming/album", photos_ + "/2019/album");
  const std::string moved = photos_ + "/moved.png", grey = photos_ + "/2019/album/grey.png";
  ASSERT_TRUE(WaitForListing({first, copied, moved, grey})) << command->ErrSoFar();

  // A folder made, then filled.
  fs::create_directories(photos_ + "/2020/summer");
  const std::string deep = photos_ + "/2020/summer/deep.jpg";
  fs::copy_file(CorpusPath("exif-orientation/Landscape_6.jpg"), deep);
  ASSERT_TRUE(WaitForListing({first, copied, moved, grey, deep})) << command->ErrSoFar();

  // Renamed within the tree, deleted, a folder moved away.
  const std::string renamed = photos_ + "/renamed.jpg";
  fs::rename(copied, renamed);
  fs::remove(moved);
  fs::rename(photos_ + "/2019/album", work() / "album-out");
  ASSERT_TRUE(WaitForListing({first, renamed, deep})) << command->ErrSoFar();

  CommandResult run = Stop(std::move(command));
  EXPECT_EQ(run.exit_code, 0) << run.err;  // a service stop is not a failure
  EXPECT_THAT(LastLine(run.err), HasSubstr(" removed"));
  VerifyOutputs(200, 200, /*others_allowed=*/true);

  // The catalog kept up: an incremental run now opens nothing and lists the same.
  const std::string listed = ReadFile(manifest());
  CommandResult again = Thumbpipe({"--incremental", "-v", photos_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, ::testing::Not(HasSubstr("Processing file"))) << again.err;
  EXPECT_EQ(ReadFile(manifest()), listed);
}

TEST_F(WatchTest, AFileIsTakenOnlyOnceItIsComplete) {
  auto command = StartWatching();
  const std::string first = photos_ + "/2019/first.jpg";
  ASSERT_TRUE(WaitForListing({first})) << command->ErrSoFar();

  const std::string jpeg = ReadFile(CorpusPath("exif-orientation/Portrait_6.jpg"));
  const std::string slow = photos_ + "/slow.jpg";
  const int fd = ::open(slow.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, jpeg.data(), jpeg.size() / 2), static_cast<ssize_t>(jpeg.size() / 2));
  // Half written and still open: not work yet, so not a "truncated JPEG" failure either.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(Lists({first}));
  EXPECT_THAT(command->ErrSoFar(), ::testing::Not(HasSubstr("failed")));
  const size_t rest = jpeg.size() - jpeg.size() / 2;
  ASSERT_EQ(::write(fd, jpeg.data() + jpeg.size() / 2, rest), static_cast<ssize_t>(rest));
  ::close(fd);
  ASSERT_TRUE(WaitForListing({first, slow})) << command->ErrSoFar();

  CommandResult run = Stop(std::move(command));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, ::testing::Not(HasSubstr("failed:")));
  VerifyOutputs();
}

// With no inotify watch to be had (the limit is per user namespace, so the test sets it to
// 1 in one of its own), the run says what to raise and finds new files by rescanning.
TEST_F(WatchTest, OutOfWatchesFallsBackToRescans) {
  fs::create_directories(photos_ + "/a/b");
  auto command =
      StartWatching({"/usr/bin/unshare", "--user", "--map-root-user", "sh", "-c",
                     "echo 1 > /proc/sys/user/max_inotify_watches && exec \"$@\"", "sh"});
  const std::string first = photos_ + "/2019/first.jpg";
  ASSERT_TRUE(WaitForListing({first})) << command->ErrSoFar();
  ASSERT_TRUE(
      WaitFor([&] { return command->ErrSoFar().find("max_user_watches") != std::string::npos; },
              std::chrono::seconds(10)))
      << command->ErrSoFar();
  // A file in a folder that could not be watched, and one deleted, are seen by a rescan.
  const std::string unwatched = photos_ + "/a/b/unwatched.png";
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), unwatched);
  fs::remove(first);
  ASSERT_TRUE(WaitForListing({unwatched})) << command->ErrSoFar();
  CommandResult run = Stop(std::move(command));
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

}  // namespace
}  // namespace thumbpipe::testing
