#include "common/control_block.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "common/run_names.h"

namespace thumbpipe {
namespace {

TEST(SharedControl, OptionsTravelThroughSharedMemory) {
  RunNames names;
  ASSERT_TRUE(NewRunNames(::getpid(), &names).ok());
  RunOptions options;
  options.root = "/photos";
  options.output_dir = "/out";
  options.manifest = "/out/list.txt";
  options.workers = 5;
  options.box_width = 320;
  options.box_height = 240;
  options.verbosity = Verbosity::kVerbose;
  options.timeout_seconds = 2.5;
  options.max_pixels = 1234;
  options.max_memory = 5678;
  options.readahead = 91011;
  options.decode_slots = 3;
  options.symlinks = SymlinkPolicy::kInside;
  options.incremental = true;
  options.catalog = "/state/catalog";
  options.retry_failed = true;
  options.watch = true;
  options.stats_json = "/state/stats.json";
  options.progress = false;
  std::unique_ptr<SharedControl> created, opened;
  ASSERT_TRUE(SharedControl::Create(names.control(), options, &created).ok());
  ASSERT_TRUE(SharedControl::Open(names.control(), &opened).ok());
  const RunOptions back = opened->options();
  EXPECT_EQ(back.root, "/photos");
  EXPECT_EQ(back.output_dir, "/out");
  EXPECT_EQ(back.manifest, "/out/list.txt");
  EXPECT_EQ(back.workers, 5);
  EXPECT_EQ(back.box_width, 320u);
  EXPECT_EQ(back.box_height, 240u);
  EXPECT_EQ(back.verbosity, Verbosity::kVerbose);
  EXPECT_EQ(back.timeout_seconds, 2.5);
  EXPECT_EQ(back.max_pixels, 1234u);
  EXPECT_EQ(back.max_memory, 5678u);
  EXPECT_EQ(back.symlinks, SymlinkPolicy::kInside);
  EXPECT_TRUE(back.incremental);
  EXPECT_EQ(back.catalog, "/state/catalog");
  EXPECT_FALSE(back.force);
  EXPECT_TRUE(back.retry_failed);
  EXPECT_FALSE(back.prune);
  EXPECT_TRUE(back.watch);
  EXPECT_EQ(back.stats_json, "/state/stats.json");
  EXPECT_FALSE(back.progress);
  EXPECT_EQ(back.readahead, 91011u);
  EXPECT_EQ(back.decode_slots, 3);
  EXPECT_EQ(opened->block()->decode_slots.limit.load(), 3u);
  EXPECT_EQ(opened->block()->launcher_pid, ::getpid());

  created->block()->counters.found.store(3);
  EXPECT_EQ(opened->block()->counters.found.load(), 3u);
  EXPECT_TRUE(SharedControl::Remove(names.control()));
  EXPECT_FALSE(SharedControl::Remove(names.control()));
}

TEST(WorkerSlot, ItemIsReadBackWhole) {
  auto slot = std::make_unique<WorkerSlot>();
  SlotBeginItem(slot.get(), WorkItem{WorkKind::kFile, "/a/b.jpg", FileStamp{5, 6, 7, 8}, 9}, 42);
  std::string path;
  ASSERT_TRUE(SlotReadPath(*slot, &path));
  EXPECT_EQ(path, "/a/b.jpg");
  WorkItem item;
  ASSERT_TRUE(SlotReadItem(*slot, &item));
  EXPECT_EQ(item.path, "/a/b.jpg");
  EXPECT_EQ(item.stamp, (FileStamp{5, 6, 7, 8}));
  EXPECT_EQ(item.found_ns, 9);
  EXPECT_EQ(slot->state.load(), static_cast<uint32_t>(SlotState::kBusy));
  EXPECT_EQ(slot->busy_since_ns.load(), 42);
  SlotEndItem(slot.get());
  EXPECT_EQ(slot->state.load(), static_cast<uint32_t>(SlotState::kIdle));
  EXPECT_EQ(slot->items_done.load(), 1u);
}

}  // namespace
}  // namespace thumbpipe
