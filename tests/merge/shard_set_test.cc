#include "merge/shard_set.h"

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

std::string CheckError(const std::vector<std::string>& paths) {
  std::vector<ShardManifest> set;
  const Status status = CheckShardSet(paths, &set);
  return status.ok() ? "" : status.message();
}

TEST(ShardSetTest, AWholeSetInAnyOrderIsOrderedByShard) {
  std::vector<ShardManifest> set;
  ASSERT_TRUE(CheckShardSet({"/s/p.txt.2-of-3", "/s/p.txt.0-of-3", "/t/q.1-of-3"}, &set).ok());
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[0].path, "/s/p.txt.0-of-3");
  EXPECT_EQ(set[1].path, "/t/q.1-of-3");
  EXPECT_EQ(set[2].path, "/s/p.txt.2-of-3");
  ASSERT_TRUE(CheckShardSet({"only.0-of-1"}, &set).ok());
}

TEST(ShardSetTest, RefusesWhatIsNotOneWholeSet) {
  EXPECT_EQ(CheckError({}), "no manifests to merge");
  EXPECT_EQ(CheckError({"p.txt.0-of-2", "p.txt"}),
            "'p.txt' is not a shard's manifest: its name does not end in .K-of-N, as --shard "
            "names it");
  EXPECT_EQ(CheckError({"p.txt.0-of-2", "p.txt.1-of-3"}),
            "the manifests are shards of different runs: 'p.txt.0-of-2' is one of 2, "
            "'p.txt.1-of-3' one of 3");
  EXPECT_EQ(CheckError({"a/p.txt.1-of-2", "p.txt.0-of-2", "b/p.txt.1-of-2"}),
            "shard 1 of 2 is given twice: 'a/p.txt.1-of-2' and 'b/p.txt.1-of-2'");
  EXPECT_EQ(CheckError({"p.txt.0-of-4", "p.txt.3-of-4", "p.txt.1-of-4"}),
            "the set of shards is incomplete: shard 2 of 4 is missing; a merge needs all 4");
  EXPECT_EQ(CheckError({"p.txt.1-of-4"}),
            "the set of shards is incomplete: shards 0, 2, 3 of 4 are missing; a merge needs "
            "all 4");
  EXPECT_EQ(CheckError({"p.txt.0-of-20"}),
            "the set of shards is incomplete: shards 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 9 more of "
            "20 are missing; a merge needs all 20");
}

}  // namespace
}  // namespace thumbpipe
