#include "sink/sorted_spill.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

// What a SortedSpill holds, read back in order.
std::vector<std::pair<std::string, std::string>> Contents(SortedSpill* spill, bool keep) {
  std::vector<std::pair<std::string, std::string>> out;
  EXPECT_TRUE(spill
                  ->ForEach(
                      [&out](std::string_view key, std::string_view value) {
                        out.emplace_back(key, value);
                        return Status::OK();
                      },
                      keep)
                  .ok());
  return out;
}

std::vector<std::pair<std::string, std::string>> AsVector(
    const std::map<std::string, std::string>& map) {
  return {map.begin(), map.end()};
}

TEST(SortedSpill, InMemoryWhenSmall) {
  testing::TempDir dir;
  SortedSpill spill(dir / "run", 1 << 20);
  spill.Put("b", "2");
  spill.Put("a", "1");
  spill.Put("c", "3");
  spill.Put("a", "1 again");
  spill.Remove("c");
  EXPECT_EQ(spill.runs(), 0u);
  EXPECT_EQ(Contents(&spill, false),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1 again"}, {"b", "2"}}));
  EXPECT_TRUE(testing::ListFolder(dir.path()).empty());
}

// A tiny memory makes every entry a run of its own: thousands of runs, merged 16 at a time
// on the way, must give exactly what a sort in memory gives, the last value of each key
// standing and removals taking keys out.
TEST(SortedSpill, SpilledRunsGiveWhatASortInMemoryGives) {
  testing::TempDir dir;
  std::mt19937 random(7);
  for (const size_t memory : {size_t{1}, size_t{300}, size_t{5000}}) {
    SortedSpill spill(dir / "run", memory);
    std::map<std::string, std::string> expected;
    for (int i = 0; i < 3000; ++i) {
      // Keys repeat (ties), share prefixes, and hold the bytes a path may hold.
      std::string key = "/p/" + std::to_string(random() % 700);
      if (random() % 5 == 0) key += "\n\\\xff\x01";
      if (random() % 7 == 0) {
        spill.Remove(key);
        expected.erase(key);
        continue;
      }
      const std::string value = "v" + std::to_string(i) + "\n" + std::string(random() % 40, 'x');
      spill.Put(key, value);
      expected[key] = value;
    }
    if (memory == 1) {
      EXPECT_GT(spill.runs(), 1u);
      EXPECT_LT(spill.runs(), 16u * 3);  // merged as they accumulate
    }
    EXPECT_EQ(Contents(&spill, false), AsVector(expected)) << memory;
    EXPECT_EQ(spill.runs(), 0u);
    EXPECT_TRUE(testing::ListFolder(dir.path()).empty()) << memory;
  }
}

TEST(SortedSpill, KeptContentsCarryOverToTheNextReading) {
  testing::TempDir dir;
  SortedSpill spill(dir / "run", 64);
  std::map<std::string, std::string> expected;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 50; ++i) {
      const std::string key = "k" + std::to_string((i * 7 + round * 13) % 60);
      if ((i + round) % 9 == 0) {
        spill.Remove(key);
        expected.erase(key);
      } else {
        spill.Put(key, key + "@" + std::to_string(round));
        expected[key] = key + "@" + std::to_string(round);
      }
    }
    EXPECT_EQ(Contents(&spill, true), AsVector(expected)) << round;
    EXPECT_EQ(spill.runs(), 1u);  // everything merged into one run
  }
  // Reading again with nothing new gives the same.
  EXPECT_EQ(Contents(&spill, true), AsVector(expected));
}

TEST(SortedSpill, RunFilesAreRemovedWhenItIsDestroyed) {
  testing::TempDir dir;
  {
    SortedSpill spill(dir / "run", 1);
    for (int i = 0; i < 40; ++i) spill.Put(std::to_string(i), "x");
    EXPECT_GT(spill.runs(), 0u);
    EXPECT_FALSE(testing::ListFolder(dir.path()).empty());
  }
  EXPECT_TRUE(testing::ListFolder(dir.path()).empty());
}

TEST(SortedSpill, WhenRunsCannotBeWrittenItGoesOnInMemory) {
  testing::TempDir dir;
  SortedSpill spill(dir / "missing-folder/run", 1);
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 100; ++i) {
    spill.Put(std::to_string(i % 37), std::to_string(i));
    expected[std::to_string(i % 37)] = std::to_string(i);
  }
  EXPECT_TRUE(spill.spill_failed());
  EXPECT_EQ(spill.runs(), 0u);
  EXPECT_EQ(Contents(&spill, true), AsVector(expected));
  EXPECT_EQ(Contents(&spill, false), AsVector(expected));
}

TEST(SortedSpill, AnErrorOfTheCallerStopsTheReading) {
  testing::TempDir dir;
  SortedSpill spill(dir / "run", 1);
  for (int i = 0; i < 20; ++i) spill.Put(std::to_string(i), "x");
  int calls = 0;
  const Status status = spill.ForEach(
      [&calls](std::string_view, std::string_view) {
        return ++calls == 3 ? Status::Error("disk full") : Status::OK();
      },
      true);
  EXPECT_EQ(status.message(), "disk full");
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace thumbpipe
