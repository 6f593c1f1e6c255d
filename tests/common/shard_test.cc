#include "common/shard.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace thumbpipe {
namespace {

TEST(ShardTest, TheHashIsTheFirstEightBytesOfSha256BigEndianModN) {
  // sha256("2019/IMG_0001.jpg") starts b2 51 ... = 12849155441872575618 as a big-endian
  // 64-bit number (python3: int.from_bytes(hashlib.sha256(p).digest()[:8], "big")).
  EXPECT_EQ(ShardOf("2019/IMG_0001.jpg", 4), 2u);
  EXPECT_EQ(ShardOf("2019/IMG_0001.jpg", 7), 2u);
  EXPECT_EQ(ShardOf("2019/IMG_0001.jpg", 1'000'000), 575'618u);
  EXPECT_EQ(ShardOf("a.jpg", 7), 4u);
  EXPECT_EQ(ShardOf("a.jpg", 1'000'000), 772'026u);
  EXPECT_EQ(ShardOf("a.jpg", 1), 0u);
}

TEST(ShardTest, EveryPathIsTakenByExactlyOneShard) {
  for (uint32_t count : {1u, 2u, 3u, 10u}) {
    std::vector<int> taken(count, 0);
    for (int i = 0; i < 300; ++i) {
      const std::string path = "folder " + std::to_string(i % 7) + "/image" + std::to_string(i);
      int takers = 0;
      for (uint32_t k = 0; k < count; ++k) {
        if (Shard{k, count}.Takes(path)) {
          ++takers;
          ++taken[k];
        }
      }
      EXPECT_EQ(takers, 1) << path;
    }
    for (uint32_t k = 0; k < count; ++k) {
      EXPECT_GT(taken[k], 300 / static_cast<int>(count) / 2) << k << " of " << count;
    }
  }
  EXPECT_TRUE(Shard{}.Takes("anything"));  // no sharding
}

TEST(ShardTest, SuffixAndItsParse) {
  EXPECT_EQ((Shard{2, 4}).Suffix(), ".2-of-4");
  Shard shard;
  ASSERT_TRUE(ParseShardSuffix("processed.txt.2-of-4", &shard));
  EXPECT_EQ(shard.index, 2u);
  EXPECT_EQ(shard.count, 4u);
  ASSERT_TRUE(ParseShardSuffix("list.0-of-1", &shard));
  EXPECT_EQ(shard.count, 1u);
  for (const char* bad : {"processed.txt", "processed.txt.4-of-4", "p.1-of-0", "p.01-of-4",
                          "p.x-of-4", "p.1-of-", "p-1-of-4", "p.1-of-4x", "p.1-of-2000000"}) {
    EXPECT_FALSE(ParseShardSuffix(bad, &shard)) << bad;
  }
}

TEST(ShardTest, RelativeToRoot) {
  EXPECT_EQ(RelativeToRoot("/photos/2019/a.jpg", "/photos"), "2019/a.jpg");
  EXPECT_EQ(RelativeToRoot("/a.jpg", "/"), "a.jpg");
}

}  // namespace
}  // namespace thumbpipe
