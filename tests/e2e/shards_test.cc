// End to end: several runs sharing one tree (--shard), runs over a list (--files-from), and
// `thumbpipe merge`, with the real binaries on the test images. What a cluster of hosts relies
// on: the shards take every file once whatever the workers, their merged manifest is the one
// run's byte for byte, and writers of one output folder never see each other's half files.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

class ShardsTest : public E2eTest {
 protected:
  void SetUp() override {
    photos_ = work() / "photos";
    fs::create_directories(photos_);
    fs::copy(CorpusPath("exif-orientation"), photos_ + "/exif orientation",
             fs::copy_options::recursive);
    fs::copy(CorpusPath("pngsuite"), photos_ + "/pngsuite", fs::copy_options::recursive);
    WriteFile(photos_ + "/notes.txt", "not an image\n");
  }

  // One run over the whole tree, its manifest at work()/processed.txt.
  std::string SingleRun() {
    const CommandResult run = Thumbpipe({"--no-progress", "-j", "2", photos_});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return ReadFile(manifest());
  }

  CommandResult Merge(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"merge"};
    all.insert(all.end(), args.begin(), args.end());
    return Thumbpipe(all);
  }

  // Every file of the tree, relative to it, sorted.
  std::vector<std::string> TreeFiles() const {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(photos_)) {
      if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), photos_).string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::string photos_;
};

TEST_F(ShardsTest, ShardsTakeEveryFileOnceAndTheirMergeIsTheSingleRunByteForByte) {
  const std::string single = SingleRun();
  ASSERT_FALSE(single.empty());
  VerifyOutputs();
  fs::remove_all(thumbnails());
  fs::remove(manifest());
  // Different numbers of workers per shard: the split does not depend on them.
  std::set<std::string> seen;
  long found = 0;
  for (int k = 0; k < 3; ++k) {
    const CommandResult run = Thumbpipe({"--no-progress", "--shard", fmt::format("{}/3", k), "-j",
                                         std::to_string(1 + k % 2), photos_});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Summary summary = ParseSummary(run.err);
    found += summary.thumbnails + summary.not_images + summary.failed;
    const std::string shard_manifest = work() / fmt::format("processed.txt.{}-of-3", k);
    for (const ManifestLine& line : ReadManifest(shard_manifest)) {
      EXPECT_TRUE(seen.insert(line.source).second) << line.source << " is in two shards";
    }
    EXPECT_GT(CountLines(shard_manifest), 20u) << "shard " << k << " took too few files";
  }
  EXPECT_EQ(found, static_cast<long>(TreeFiles().size()));
  EXPECT_FALSE(fs::exists(manifest()));
  const CommandResult merged = Merge(
      {"processed.txt", "processed.txt.2-of-3", "processed.txt.0-of-3", "processed.txt.1-of-3"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_THAT(merged.err, ::testing::HasSubstr("merged 3 shards into '" + manifest() + "': "));
  EXPECT_EQ(ReadFile(manifest()), single);
  VerifyOutputs();
}

TEST_F(ShardsTest, MergeRefusesAnIncompleteOrMixedSet) {
  for (const char* shard : {"0/2", "1/2", "0/3"}) {
    ASSERT_EQ(Thumbpipe({"--no-progress", "--shard", shard, photos_}).exit_code, 0);
  }
  CommandResult merged = Merge({"out.txt", "processed.txt.0-of-2"});
  EXPECT_EQ(merged.exit_code, 2);
  EXPECT_EQ(LastLine(merged.err),
            "thumbpipe: the set of shards is incomplete: shard 1 of 2 is missing; a merge needs "
            "all 2");
  merged =
      Merge({"out.txt", "processed.txt.0-of-2", "processed.txt.1-of-2", "processed.txt.0-of-3"});
  EXPECT_EQ(merged.exit_code, 2);
  EXPECT_THAT(merged.err, ::testing::HasSubstr("shards of different runs"));
  merged =
      Merge({"out.txt", "processed.txt.0-of-2", "processed.txt.0-of-2", "processed.txt.1-of-2"});
  EXPECT_EQ(merged.exit_code, 2);
  EXPECT_THAT(merged.err, ::testing::HasSubstr("shard 0 of 2 is given twice"));
  merged = Merge({"processed.txt.0-of-2", "processed.txt.0-of-2", "processed.txt.1-of-2"});
  EXPECT_EQ(merged.exit_code, 2);
  merged = Merge({"out.txt"});
  EXPECT_EQ(merged.exit_code, 2);
  EXPECT_FALSE(fs::exists(work() / "out.txt"));
  const CommandResult help = Thumbpipe({"merge", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, ::testing::HasSubstr("Usage: thumbpipe merge OUT MANIFEST..."));
}

TEST_F(ShardsTest, EachShardKeepsItsOwnCatalogForIncrementalRuns) {
  for (int pass = 0; pass < 2; ++pass) {
    long unchanged = 0, found = 0;
    for (int k = 0; k < 2; ++k) {
      const CommandResult run =
          Thumbpipe({"--no-progress", "--incremental", "--shard", fmt::format("{}/2", k), photos_});
      ASSERT_EQ(run.exit_code, 0) << run.err;
      const Summary summary = ParseSummary(run.err);
      unchanged += summary.unchanged;
      found += summary.thumbnails + summary.not_images + summary.failed;
      EXPECT_TRUE(fs::exists(work() / fmt::format("processed.txt.{}-of-2.catalog", k)));
    }
    EXPECT_EQ(found, static_cast<long>(TreeFiles().size()));
    // The second time every shard carries its files over from its own catalog (failures
    // count as skipped, not unchanged).
    if (pass == 0) {
      EXPECT_EQ(unchanged, 0);
    } else {
      EXPECT_GT(unchanged, found / 2);
    }
  }
  EXPECT_FALSE(fs::exists(work() / "processed.txt.catalog"));
}

TEST_F(ShardsTest, SlurmAndKubernetesGiveTheShard) {
  CommandOptions slurm;
  slurm.env = {{"SLURM_ARRAY_TASK_ID", "1"},
               {"SLURM_ARRAY_TASK_COUNT", "2"},
               {"SLURM_ARRAY_TASK_MIN", "0"},
               {"SLURM_ARRAY_TASK_MAX", "1"}};
  CommandResult run = Thumbpipe({"--no-progress", "--shard", "slurm", photos_}, slurm);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandOptions k8s;
  k8s.env = {{"JOB_COMPLETION_INDEX", "0"}};
  run = Thumbpipe({"--no-progress", "--shard", "k8s/2", photos_}, k8s);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const CommandResult merged =
      Merge({"merged.txt", "processed.txt.0-of-2", "processed.txt.1-of-2"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const std::string sharded = ReadFile(work() / "merged.txt");
  EXPECT_EQ(sharded, SingleRun());

  run = Thumbpipe({"--shard", "slurm", photos_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(LastLine(run.err),
            "thumbpipe: --shard slurm: SLURM_ARRAY_TASK_ID is not set; run it as a task of a "
            "Slurm job array (sbatch --array=0-3)");
  CommandOptions bad;
  bad.env = {{"JOB_COMPLETION_INDEX", "x1"}};
  run = Thumbpipe({"--shard", "k8s/2", photos_}, bad);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(LastLine(run.err),
            "thumbpipe: --shard k8s/2: JOB_COMPLETION_INDEX must be a whole number, not 'x1'");
}

TEST_F(ShardsTest, AListOfTheWholeTreeGivesTheWalksManifest) {
  const std::string single = SingleRun();
  // Relative, absolute, and in no particular order.
  std::vector<std::string> files = TreeFiles();
  std::reverse(files.begin(), files.end());
  std::string list;
  for (size_t i = 0; i < files.size(); ++i) {
    list += (i % 2 == 0 ? files[i] : photos_ + "/" + files[i]) + "\n";
  }
  WriteFile(work() / "list.txt", list);
  fs::remove_all(thumbnails());
  const CommandResult run =
      Thumbpipe({"--no-progress", "--files-from", "list.txt", "--manifest", "listed.txt", photos_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadFile(work() / "listed.txt"), single);
  // With shards, each takes its part of the list.
  for (int k = 0; k < 2; ++k) {
    const CommandResult shard = Thumbpipe(
        {"--no-progress", "--files-from", "list.txt", "--shard", fmt::format("{}/2", k), photos_});
    ASSERT_EQ(shard.exit_code, 0) << shard.err;
  }
  ASSERT_EQ(Merge({"merged.txt", "processed.txt.0-of-2", "processed.txt.1-of-2"}).exit_code, 0);
  EXPECT_EQ(ReadFile(work() / "merged.txt"), single);
  VerifyOutputs();
}

TEST_F(ShardsTest, AListFromStandardInputWithNulsAndWhatCannotBeDone) {
  fs::create_directories(work() / "elsewhere");
  fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), work() / "elsewhere/secret.png");
  fs::create_symlink(work() / "elsewhere", photos_ + "/linked");
  const std::string a = "exif orientation/Landscape_1.jpg";
  const std::string b = photos_ + "/pngsuite/basn0g08.png";
  const std::string list = a + '\0' + b + '\0' + "../elsewhere/secret.png" + '\0' +
                           "linked/secret.png" + '\0' + "missing.png" + '\0' + "pngsuite" + '\0' +
                           "notes.txt";
  WriteFile(work() / "list.bin", list);
  const CommandResult run =
      RunCommand({"/bin/sh", "-c", "exec \"$0\" --no-progress --files-from - -0 \"$1\" < list.bin",
                  LauncherPath(), photos_},
                 InFolder(work().path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 2);
  EXPECT_EQ(summary.not_images, 1);
  EXPECT_EQ(summary.failed, 4);
  EXPECT_THAT(run.err, ::testing::HasSubstr("'" + work() / "elsewhere/secret.png" +
                                            "': listed in --files-from, but it lies outside "
                                            "ROOT '" +
                                            photos_ + "'; not followed"));
  EXPECT_THAT(run.err, ::testing::HasSubstr("'" + photos_ +
                                            "/linked/secret.png': listed in "
                                            "--files-from, but its folder '" +
                                            photos_ +
                                            "/linked' is a symlink, which thumbpipe never "
                                            "follows"));
  EXPECT_THAT(run.err, ::testing::HasSubstr("'" + photos_ +
                                            "/missing.png': listed in "
                                            "--files-from, but there is no such file"));
  EXPECT_THAT(run.err, ::testing::HasSubstr("'" + photos_ +
                                            "/pngsuite': listed in "
                                            "--files-from, but it is a folder"));
  EXPECT_EQ(Sources(VerifyOutputs(200, 200, true)), (std::set<std::string>{photos_ + "/" + a, b}));
}

TEST_F(ShardsTest, AListThatCannotBeReadIsAUsageError) {
  const CommandResult run = Thumbpipe({"--files-from", "nowhere.txt", photos_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(LastLine(run.err), "thumbpipe: cannot read --files-from '" + work() / "nowhere.txt" +
                                   "': No such file or directory");
}

TEST_F(ShardsTest, TwoRunsWritingOneFolderWithoutOTmpfileLeaveOnlyWholeFiles) {
  // As two hosts on NFS: the same thumbnails, into one folder, at the same time.
  CommandOptions nfs;
  nfs.env = {{"THUMBPIPE_NO_TMPFILE", "1"}};
  auto first = Start({"--no-progress", "-j", "2", "--manifest", "first.txt", photos_}, nfs);
  auto second = Start({"--no-progress", "-j", "2", "--manifest", "second.txt", photos_}, nfs);
  const CommandResult one = Finish(*first);
  const CommandResult two = Finish(*second);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(ReadFile(work() / "first.txt"), ReadFile(work() / "second.txt"));
  fs::copy_file(work() / "first.txt", manifest());
  VerifyOutputs();  // every thumbnail whole and named by its pixels, nothing else in the folder
  for (const std::string& name : ListFolder(thumbnails())) EXPECT_NE(name[0], '.') << name;
}

}  // namespace
}  // namespace thumbpipe::testing
