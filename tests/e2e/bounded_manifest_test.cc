// End to end: the manifest is sorted with bounded memory (sink/manifest.h), spilling sorted
// runs beside it. Forcing a run for nearly every line (THUMBPIPE_MANIFEST_MEMORY=1) must not
// change one byte of any manifest, in plain and incremental runs and with --prune, and must
// leave no run file behind. tests/CMakeLists.txt also runs the pipeline, incremental and watch
// tests with it forced ("spill:" in CTest), and supervision_test.cc kills a spilling sink and a
// spilling launcher.
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSpillEverything = "1";
constexpr const char* kAllInMemory = "1000000000";

class BoundedManifestTest : public E2eTest {
 protected:
  void SetUp() override {
    photos_ = work() / "photos";
    fs::create_directories(photos_ + "/a/b");
    // Names whose bytes the manifest escapes, and names that sort around them.
    const std::vector<std::string> names = {
        "plain.png", "new\nline.png",         "back\\slash.png", "\xff\xfe.png", "a: b.png",
        "tab\t.png", "\xc3\xa9t\xc3\xa9.png", "z.png",           "a/b/deep.png", "a/b/deeper.png",
        "a/x.png"};
    const std::vector<std::string> sources = {"pngsuite/basn2c08.png", "pngsuite/basn0g08.png",
                                              "pngsuite/basn6a08.png"};
    for (size_t i = 0; i < names.size(); ++i) {
      fs::copy_file(CorpusPath(sources[i % sources.size()]), photos_ + "/" + names[i]);
    }
    for (int i = 0; i < 40; ++i) {
      fs::copy_file(CorpusPath(sources[static_cast<size_t>(i) % sources.size()]),
                    photos_ + "/a/many-" + std::to_string(i) + ".png");
    }
    fs::copy_file(CorpusPath("pngsuite/basn3p08.png"), photos_ + "/unique.png");
    WriteFile(photos_ + "/notes.txt", "not an image\n");
    MakeOld(photos_);
  }

  static void MakeOld(const std::string& path) {
    const timespec old{::time(nullptr) - 3600, 0};
    const timespec times[2] = {old, old};
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      ::utimensat(AT_FDCWD, entry.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }

  // Runs thumbpipe with its manifest, thumbnails and catalog in out-<memory>/.
  std::string Run(const std::string& memory, std::vector<std::string> extra) {
    const std::string out = work() / ("out-" + memory);
    std::vector<std::string> args = {
        "-j", "2", "--output", out + "/thumbnails", "--manifest", out + "/processed.txt"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(photos_);
    CommandOptions options;
    options.env["THUMBPIPE_MANIFEST_MEMORY"] = memory;
    CommandResult run = Thumbpipe(args, options);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    // Nothing but the outputs is left beside the manifest: no sorted run, no journal.
    for (const std::string& name : ListFolder(out)) {
      EXPECT_THAT(name, ::testing::AnyOf("processed.txt", "processed.txt.catalog", "thumbnails",
                                         "processed.txt.catalog-wal", "processed.txt.catalog-shm"));
    }
    return ReadFile(out + "/processed.txt");
  }

  std::string photos_;
};

TEST_F(BoundedManifestTest, PlainRunsGiveTheSameBytesSpilledOrNot) {
  const std::string spilled = Run(kSpillEverything, {});
  EXPECT_EQ(spilled, Run(kAllInMemory, {}));
  EXPECT_EQ(
      ReadManifest(work() / ("out-" + std::string(kSpillEverything)) + "/processed.txt").size(),
      52u);
}

TEST_F(BoundedManifestTest, IncrementalRunsAndPruneGiveTheSameBytesSpilledOrNot) {
  EXPECT_EQ(Run(kSpillEverything, {"--incremental"}), Run(kAllInMemory, {"--incremental"}));
  // Nothing changed: every file carried over.
  EXPECT_EQ(Run(kSpillEverything, {"--incremental"}), Run(kAllInMemory, {"--incremental"}));
  std::string unique;  // the thumbnail only unique.png has
  for (const ManifestLine& line : ReadManifest(work() / "out-1/processed.txt")) {
    if (line.source == photos_ + "/unique.png") unique = line.thumbnail;
  }
  ASSERT_FALSE(unique.empty());
  // Files gone and new: the thumbnail no file has any more is pruned.
  fs::remove(photos_ + "/plain.png");
  fs::remove(photos_ + "/unique.png");
  fs::copy_file(CorpusPath("pngsuite/basn0g16.png"), photos_ + "/a/new.png");
  MakeOld(photos_);
  const std::string spilled = Run(kSpillEverything, {"--incremental", "--prune"});
  EXPECT_EQ(spilled, Run(kAllInMemory, {"--incremental", "--prune"}));
  EXPECT_THAT(spilled, ::testing::HasSubstr("/a/new.png\n"));
  EXPECT_THAT(spilled, ::testing::Not(::testing::HasSubstr("/plain.png\n")));
  EXPECT_FALSE(fs::exists(work() / "out-1/thumbnails/" + unique));
  EXPECT_EQ(ListFolder(work() / "out-1/thumbnails"),
            ListFolder(work() / "out-1000000000/thumbnails"));
}

}  // namespace
}  // namespace thumbpipe::testing
