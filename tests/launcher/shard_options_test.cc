// The command line's options for runs that share the work or process a list: --shard,
// --files-from, -0, and what they cannot be combined with.
#include <gtest/gtest.h>

#include "launcher/command_line.h"
#include "tests/launcher/command_line_fixture.h"

namespace thumbpipe {
namespace {

using ShardOptionsTest = CommandLineFixture;

TEST_F(ShardOptionsTest, AShardsManifestAndCatalogNamesEndInKOfN) {
  ASSERT_EQ(Parse({"--shard", "1/3", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.shard.index, 1u);
  EXPECT_EQ(options_.shard.count, 3u);
  EXPECT_EQ(options_.manifest, dir_ / "processed.txt.1-of-3");
  ASSERT_EQ(Parse({"--shard", "1/3", "--manifest", "out/list.txt", "--incremental", "."}),
            ParseOutcome::kRun)
      << text_;
  EXPECT_EQ(options_.manifest, dir_ / "out/list.txt.1-of-3");
  EXPECT_EQ(options_.catalog, dir_ / "out/list.txt.1-of-3.catalog");
  // A catalog given by name is one per shard as well: each run forgets the files it did not see.
  ASSERT_EQ(Parse({"--shard", "2/3", "--catalog", "shared.catalog", "--incremental", "."}),
            ParseOutcome::kRun)
      << text_;
  EXPECT_EQ(options_.catalog, dir_ / "shared.catalog.2-of-3");
  ASSERT_EQ(Parse({"--catalog", "shared.catalog", "--incremental", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.catalog, dir_ / "shared.catalog");
  // Given with its ending already, it is not doubled.
  ASSERT_EQ(Parse({"--shard", "1/3", "--manifest", "list.txt.1-of-3", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.manifest, dir_ / "list.txt.1-of-3");
  ASSERT_EQ(Parse({"."}), ParseOutcome::kRun);
  EXPECT_FALSE(options_.shard.active());
  EXPECT_EQ(options_.manifest, dir_ / "processed.txt");
}

TEST_F(ShardOptionsTest, ShardFromTheScheduler) {
  env_ = {{"JOB_COMPLETION_INDEX", "2"}};
  ASSERT_EQ(Parse({"--shard", "k8s/5", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.manifest, dir_ / "processed.txt.2-of-5");
  ExpectUsageError({"--shard", "slurm", "."},
                   "--shard slurm: SLURM_ARRAY_TASK_ID is not set; run it as a task of a Slurm "
                   "job array (sbatch --array=0-3)");
}

TEST_F(ShardOptionsTest, PruneAndWatchNeedTheWholeTree) {
  ExpectUsageError({"--shard", "0/2", "--incremental", "--prune", "."},
                   "--prune cannot be used with --shard: this run does not see every file, so it "
                   "cannot know which thumbnails the others still use; prune with one run over "
                   "the whole tree");
  ExpectUsageError({"--files-from", "list", "--incremental", "--prune", "."},
                   "--prune cannot be used with --files-from: this run does not see every file, "
                   "so it cannot know which thumbnails the others still use; prune with one run "
                   "over the whole tree");
  ExpectUsageError({"--shard", "0/2", "--watch", "."},
                   "--watch cannot be used with --shard: watch the whole tree with one run");
  ExpectUsageError({"--files-from", "-", "--watch", "."},
                   "--watch cannot be used with --files-from: watch the whole tree with one run");
  ASSERT_EQ(Parse({"--shard", "0/2", "--incremental", "."}), ParseOutcome::kRun) << text_;
}

TEST_F(ShardOptionsTest, FilesFrom) {
  ASSERT_EQ(Parse({"--files-from", "lists/a.txt", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.files_from, dir_ / "lists/a.txt");
  EXPECT_FALSE(options_.files_from_nul);
  ASSERT_EQ(Parse({"--files-from", "-", "-0", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.files_from, "-");
  EXPECT_TRUE(options_.files_from_nul);
  ASSERT_EQ(Parse({"--files-from=-", "--null", "--shard", "0/2", "."}), ParseOutcome::kRun)
      << text_;
  EXPECT_TRUE(options_.files_from_nul);
  ExpectUsageError({"-0", "."},
                   "-0 is for --files-from: it says the list's paths are separated by NUL bytes");
  ExpectUsageError({"--files-from", "", "."},
                   "--files-from must name a file (- for standard input)");
}

}  // namespace
}  // namespace thumbpipe
