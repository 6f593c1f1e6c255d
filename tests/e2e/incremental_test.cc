// End to end: --incremental runs with the real binaries on real images. What a service
// running every night relies on: unchanged files are not opened, changes are seen, the
// manifest is always whole, failures are not retried, and a killed run leaves a catalog the
// next run can trust.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

class IncrementalTest : public E2eTest {
 protected:
  void SetUp() override {
    photos_ = work() / "photos";
    fs::create_directories(photos_ + "/2019");
    for (const char* name : {"Landscape_1.jpg", "Landscape_6.jpg", "Portrait_3.jpg"}) {
      fs::copy_file(CorpusPath("exif-orientation/") + name, photos_ + "/2019/" + name);
    }
    fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), photos_ + "/rgb.png");
    const std::string png = ReadFile(CorpusPath("pngsuite/basn2c08.png"));
    WriteFile(photos_ + "/broken.png", png.substr(0, png.size() / 2));  // cut short
    WriteFile(photos_ + "/notes.txt", "not an image\n");
    MakeOld(photos_);
  }

  // Files written just now are not trusted to be unchanged (catalog/entry.h): the tests'
  // trees are dated an hour back, as a photo library's files are.
  static void MakeOld(const std::string& path, int seconds_ago = 3600) {
    const timespec old{::time(nullptr) - seconds_ago, 0};
    const timespec times[2] = {old, old};
    ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (!fs::is_directory(path)) return;
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      ::utimensat(AT_FDCWD, entry.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }

  CommandResult Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--incremental", "-v", "-j", "2", photos_};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult run = Thumbpipe(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run;
  }

  // Files a worker opened, as --verbose names them.
  static std::set<std::string> Processed(const std::string& err) {
    std::set<std::string> names;
    static const std::regex kLine(R"(thumbpipe-worker\[\d+\]: Processing file (.*))");
    std::smatch match;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_match(line, match, kLine)) names.insert(match[1]);
    }
    return names;
  }

  std::string photos_;
};

TEST_F(IncrementalTest, SecondRunOpensNothingAndWritesTheSameManifest) {
  const CommandResult first = Run();
  EXPECT_EQ(Processed(first.err).size(), 6u) << first.err;
  const Summary s1 = ParseSummary(first.err);
  ASSERT_TRUE(s1.incremental) << first.err;
  EXPECT_EQ(s1.thumbnails, 4);
  EXPECT_EQ(s1.unchanged, 0);
  const std::string manifest1 = ReadFile(manifest());
  EXPECT_TRUE(fs::exists(manifest() + ".catalog"));

  const CommandResult second = Run();
  EXPECT_THAT(Processed(second.err), ::testing::IsEmpty()) << second.err;
  const Summary s2 = ParseSummary(second.err);
  EXPECT_EQ(s2.thumbnails, 4);
  EXPECT_EQ(s2.not_images, 1);
  EXPECT_EQ(s2.failed, 1);
  EXPECT_EQ(s2.unchanged, 5);  // four thumbnails and the text file
  EXPECT_EQ(s2.skipped_failed, 1);
  // The failure was reported once, not every night.
  EXPECT_THAT(first.err, ::testing::HasSubstr("failed: '" + photos_ + "/broken.png'"));
  EXPECT_THAT(second.err, ::testing::Not(::testing::HasSubstr("failed: '")));
  EXPECT_EQ(ReadFile(manifest()), manifest1);
  VerifyOutputs();

  // Byte for byte what a full run over the same tree writes.
  CommandResult full = Thumbpipe({"--manifest", "full.txt", "--output", "full", photos_});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_EQ(ReadFile(work() / "full.txt"), manifest1);
}

TEST_F(IncrementalTest, ChangedNewAndDeletedFilesAreSeen) {
  Run();
  // Changed: another image under the same name. New: one more. Deleted: one gone.
  fs::copy_file(CorpusPath("exif-orientation/Landscape_3.jpg"), photos_ + "/2019/Landscape_1.jpg",
                fs::copy_options::overwrite_existing);
  fs::copy_file(CorpusPath("pngsuite/basn0g08.png"), photos_ + "/2019/grey.png");
  fs::remove(photos_ + "/2019/Portrait_3.jpg");
  MakeOld(photos_ + "/2019/Landscape_1.jpg", 60);
  MakeOld(photos_ + "/2019/grey.png", 60);
  const CommandResult second = Run();
  EXPECT_EQ(Processed(second.err), (std::set<std::string>{"Landscape_1.jpg", "grey.png"}))
      << second.err;
  const std::vector<ManifestLine> lines = VerifyOutputs(200, 200, /*others_allowed=*/true);
  EXPECT_EQ(
      Sources(lines),
      (std::set<std::string>{photos_ + "/2019/Landscape_1.jpg", photos_ + "/2019/Landscape_6.jpg",
                             photos_ + "/2019/grey.png", photos_ + "/rgb.png"}));
  CommandResult full = Thumbpipe({"--manifest", "full.txt", "--output", "full", photos_});
  EXPECT_EQ(ReadFile(work() / "full.txt"), ReadFile(manifest()));

  // The deleted file's entry is gone from the catalog: bringing it back does it again.
  fs::copy_file(CorpusPath("exif-orientation/Portrait_3.jpg"), photos_ + "/2019/Portrait_3.jpg");
  MakeOld(photos_ + "/2019/Portrait_3.jpg", 30);
  EXPECT_EQ(Processed(Run().err), (std::set<std::string>{"Portrait_3.jpg"}));
}

TEST_F(IncrementalTest, TouchedFileIsDoneAgain) {
  Run();
  MakeOld(photos_ + "/rgb.png", 10);  // same bytes, another mtime
  EXPECT_EQ(Processed(Run().err), (std::set<std::string>{"rgb.png"}));
}

TEST_F(IncrementalTest, FileNotClearlyOlderThanItsRunIsNotTrusted) {
  Run();
  // Within the clock tick of its mtime a file could be rewritten unseen, so an outcome is
  // only trusted when the file was found well after its mtime. A file dated in the future
  // (a clock ahead, on a camera or a file server) never is, until that time has passed.
  const timespec ahead{::time(nullptr) + 3600, 0};
  const timespec times[2] = {ahead, ahead};
  ::utimensat(AT_FDCWD, (photos_ + "/rgb.png").c_str(), times, 0);
  EXPECT_EQ(Processed(Run().err), (std::set<std::string>{"rgb.png"}));
  EXPECT_EQ(Processed(Run().err), (std::set<std::string>{"rgb.png"}));
  MakeOld(photos_ + "/rgb.png", 5);
  EXPECT_EQ(Processed(Run().err), (std::set<std::string>{"rgb.png"}));
  EXPECT_THAT(Processed(Run().err), ::testing::IsEmpty());
}

TEST_F(IncrementalTest, OtherSettingsForceRetryFailed) {
  Run();
  // Another box changes every thumbnail; not-images stay what they are.
  CommandResult resized = Run({"--size", "100x100"});
  EXPECT_EQ(Processed(resized.err).size(), 6u) << resized.err;
  VerifyOutputs(100, 100, /*others_allowed=*/true);
  EXPECT_THAT(Processed(Run({"--size", "100x100"}).err), ::testing::IsEmpty());

  EXPECT_EQ(Processed(Run({"--size", "100x100", "--retry-failed"}).err),
            (std::set<std::string>{"broken.png"}));
  EXPECT_EQ(Processed(Run({"--size", "100x100", "--force"}).err).size(), 6u);
}

// --max-pixels and --max-memory are the run's limits, not the file's fault: what they refused
// is done by the next run without --retry-failed. The damaged file is still remembered.
TEST_F(IncrementalTest, FilesRefusedByTheRunsLimitsAreTriedAgain) {
  const CommandResult limited = Run({"--max-pixels", "1000000"});  // the JPEGs are 1800x1200
  EXPECT_EQ(Processed(limited.err).size(), 6u) << limited.err;
  EXPECT_EQ(ParseSummary(limited.err).failed, 4) << limited.err;
  EXPECT_THAT(limited.err, ::testing::HasSubstr("(--max-pixels)"));

  const CommandResult unlimited = Run();
  EXPECT_EQ(Processed(unlimited.err),
            (std::set<std::string>{"Landscape_1.jpg", "Landscape_6.jpg", "Portrait_3.jpg"}));
  EXPECT_EQ(ParseSummary(unlimited.err).thumbnails, 4) << unlimited.err;
  EXPECT_THAT(Processed(Run().err), ::testing::IsEmpty());
}

// The format, its quality and JPEG's background shape the thumbnail: changing one redoes
// every file. The name hashes pixels, so a JPEG of an opaque image has the PNG's hash.
TEST_F(IncrementalTest, FormatQualityAndBackgroundAreSettings) {
  Run();
  const std::string png_manifest = ReadFile(manifest());
  const std::vector<ManifestLine> png = ReadManifest(manifest());
  ASSERT_EQ(png.size(), 4u);

  CommandResult jpeg = Run({"--format", "jpeg"});
  EXPECT_EQ(Processed(jpeg.err).size(), 6u) << jpeg.err;
  const std::vector<ManifestLine> jpegs = VerifyOutputs(200, 200, /*others_allowed=*/true);
  ASSERT_EQ(jpegs.size(), png.size());
  for (size_t i = 0; i < png.size(); ++i) {
    EXPECT_EQ(jpegs[i].source, png[i].source);
    EXPECT_EQ(jpegs[i].thumbnail, png[i].thumbnail.substr(0, 64) + ".jpg");
  }
  EXPECT_THAT(Processed(Run({"--format", "jpeg"}).err), ::testing::IsEmpty());
  EXPECT_EQ(Processed(Run({"--format", "jpeg", "--quality", "50"}).err).size(), 6u);
  EXPECT_THAT(Processed(Run({"--format", "jpeg", "--quality", "50"}).err), ::testing::IsEmpty());
  EXPECT_EQ(
      Processed(Run({"--format", "jpeg", "--quality", "50", "--background", "black"}).err).size(),
      6u);

  EXPECT_EQ(Processed(Run({"--format", "webp"}).err).size(), 6u);
  // The PNGs and JPEGs are no thumbnail of any file now.
  CommandResult pruned = Run({"--format", "webp", "--prune"});
  EXPECT_THAT(Processed(pruned.err), ::testing::IsEmpty());
  EXPECT_THAT(pruned.err, ::testing::HasSubstr("pruned 8 thumbnails"));
  for (const ManifestLine& line : VerifyOutputs()) {
    EXPECT_TRUE(line.thumbnail.ends_with(".webp")) << line.thumbnail;
  }

  EXPECT_EQ(Processed(Run().err).size(), 6u);
  EXPECT_EQ(ReadFile(manifest()), png_manifest);
}

TEST_F(IncrementalTest, MissingThumbnailIsMadeAgain) {
  Run();
  const std::vector<ManifestLine> lines = ReadManifest(manifest());
  std::string lost;
  for (const ManifestLine& line : lines) {
    if (line.source == photos_ + "/rgb.png") lost = line.thumbnail;
  }
  ASSERT_FALSE(lost.empty());
  fs::remove(thumbnails() + "/" + lost);
  EXPECT_EQ(Processed(Run().err), (std::set<std::string>{"rgb.png"}));
  EXPECT_TRUE(fs::exists(thumbnails() + "/" + lost));
}

TEST_F(IncrementalTest, PruneRemovesOnlyWhatNoSourceRefersTo) {
  // Two sources with the same pixels share one thumbnail.
  fs::copy_file(photos_ + "/rgb.png", photos_ + "/rgb-copy.png");
  MakeOld(photos_);
  Run();
  const size_t before = ListFolder(thumbnails()).size();
  WriteFile(thumbnails() + "/unrelated.txt", "kept: not a thumbnail name");
  fs::remove(photos_ + "/rgb.png");
  fs::remove(photos_ + "/2019/Portrait_3.jpg");
  CommandResult run = Run({"--prune"});
  EXPECT_THAT(run.err, ::testing::HasSubstr("pruned 1 thumbnails"));
  EXPECT_EQ(ListFolder(thumbnails()).size(), before - 1 + 1);
  EXPECT_TRUE(fs::exists(thumbnails() + "/unrelated.txt"));
  fs::remove(thumbnails() + "/unrelated.txt");
  VerifyOutputs();  // the copy's thumbnail, shared with the deleted file, is still there
}

TEST_F(IncrementalTest, DamagedCatalogIsSetAsideAndTheRunGoesOn) {
  WriteFile(manifest() + ".catalog", std::string(8192, 'x'));
  CommandResult run = Run();
  EXPECT_THAT(run.err, ::testing::HasSubstr("was damaged"));
  EXPECT_TRUE(fs::exists(manifest() + ".catalog.damaged"));
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 4);
  EXPECT_THAT(Processed(Run().err), ::testing::IsEmpty());
}

TEST_F(IncrementalTest, CatalogOptionsNeedIncremental) {
  CommandResult run = Thumbpipe({"--force", photos_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(LastLine(run.err), "thumbpipe: --force is for incremental runs; add --incremental");
}

// A run killed at any moment leaves a catalog the next run trusts: every entry it holds names
// a thumbnail on disk, and the next run completes the work.
TEST_F(IncrementalTest, KilledRunsLeaveACatalogTheNextRunTrusts) {
  // Enough files that the kill lands mid-run.
  for (int i = 0; i < 60; ++i) {
    fs::copy_file(CorpusPath("exif-orientation/Landscape_" + std::to_string(i % 9) + ".jpg"),
                  photos_ + "/many-" + std::to_string(i) + ".jpg");
  }
  MakeOld(photos_);
  const std::vector<std::string> args = {"--incremental", "-j", "2", photos_};
  for (const char* victim : {"thumbpipe-sink", "thumbpipe-work", "thumbpipe"}) {
    fs::remove_all(thumbnails());
    fs::remove(manifest() + ".catalog");
    auto command = Start(args);
    ASSERT_TRUE(
        WaitFor([&] { return ListFolder(thumbnails()).size() >= 3; }, std::chrono::seconds(60)));
    const pid_t pid = std::string(victim) == "thumbpipe" ? command->pid()
                                                         : ChildrenOf(command->pid(), victim).at(0);
    ::kill(pid, SIGKILL);
    if (pid == command->pid()) {
      command->Wait();  // its shared memory is left for the next run to remove
    } else {
      Finish(*command);
    }
    // The next run completes the work, with thumbnails for all that the catalog skipped.
    CommandResult next = Thumbpipe(args);
    ASSERT_EQ(next.exit_code, 0) << victim << ": " << next.err;
    EXPECT_EQ(ShmObjectsOf(command->pid()), std::vector<std::string>{});
    EXPECT_EQ(ParseSummary(next.err).thumbnails, 64) << victim << ": " << next.err;
    VerifyOutputs(200, 200, /*others_allowed=*/true);
    CommandResult full = Thumbpipe({"--manifest", "full.txt", "--output", "full", photos_});
    EXPECT_EQ(ReadFile(work() / "full.txt"), ReadFile(manifest())) << victim;
    fs::remove_all(work() / "full");
  }
}

}  // namespace
}  // namespace thumbpipe::testing
