#include "producer/producer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/message.h"
#include "tests/fakes/fake_queue.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::FakeQueue;
using testing::TempDir;

class ProducerTest : public ::testing::Test {
 protected:
  ProducerEnv Env(int workers) {
    ProducerEnv env;
    env.work = &work_;
    env.results = &results_;
    env.counters = &counters_;
    env.workers = workers;
    env.give_up = [this] { return give_up_; };
    env.stop_requested = [this] { return stop_; };
    return env;
  }
  std::vector<WorkItem> WorkItems() {
    std::vector<WorkItem> items;
    for (const std::string& m : work_.messages()) {
      WorkItem item;
      std::string err;
      EXPECT_TRUE(DecodeWorkItem({m.data(), m.size()}, &item, &err)) << err;
      items.push_back(item);
    }
    return items;
  }
  FakeQueue work_{10000, kMaxWorkMessageBytes};
  FakeQueue results_{10000, kMaxResultMessageBytes};
  RunCounters counters_{};
  std::string give_up_;
  bool stop_ = false;
};

TEST_F(ProducerTest, OneItemPerFileThenOneSentinelPerWorker) {
  TempDir dir;
  testing::WriteFile(dir / "a.jpg", "x");
  testing::WriteFile(dir / "b.png", "y");
  ASSERT_TRUE(Producer(Env(3)).Run(dir.path()).ok());
  const std::vector<WorkItem> items = WorkItems();
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].path, dir / "a.jpg");
  EXPECT_EQ(items[1].path, dir / "b.png");
  for (int i = 2; i < 5; ++i) EXPECT_EQ(items[i].kind, WorkKind::kEnd);
  EXPECT_EQ(counters_.found.load(), 2u);
  EXPECT_TRUE(results_.messages().empty());
}

TEST_F(ProducerTest, StopRequestEndsTheWalkButSentinelsStillGo) {
  TempDir dir;
  for (int i = 0; i < 10; ++i) testing::WriteFile(dir / std::to_string(i), "");
  stop_ = true;
  ASSERT_TRUE(Producer(Env(2)).Run(dir.path()).ok());
  const std::vector<WorkItem> items = WorkItems();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].kind, WorkKind::kEnd);
  EXPECT_EQ(counters_.found.load(), 0u);
}

TEST_F(ProducerTest, FullQueueAndGoneLauncherGivesUp) {
  TempDir dir;
  testing::WriteFile(dir / "a", "");
  FakeQueue tiny(0, kMaxWorkMessageBytes);
  ProducerEnv env = Env(1);
  env.work = &tiny;
  give_up_ = "the launcher is gone";
  EXPECT_EQ(Producer(env).Run(dir.path()).message(), "the launcher is gone");
}

TEST_F(ProducerTest, PathTooLongForAMessageIsReportedFailed) {
  TempDir dir;
  // A name of 255 bytes, many times over, past kMaxPathBytes.
  std::string relative;
  const std::string name(250, 'n');
  int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  while (dir.path().size() + relative.size() < kMaxPathBytes + 10) {
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    fd = next;
    relative += "/" + name;
  }
  ::close(::openat(fd, "photo.jpg", O_WRONLY | O_CREAT, 0644));
  ::close(fd);
  ASSERT_TRUE(Producer(Env(1)).Run(dir.path()).ok());
  EXPECT_EQ(counters_.found.load(), 1u);
  ASSERT_EQ(results_.messages().size(), 1u);
  Result result;
  std::string err;
  const std::string& m = results_.messages().front();
  ASSERT_TRUE(DecodeResult({m.data(), m.size()}, &result, &err)) << err;
  EXPECT_EQ(result.kind, ResultKind::kFailed);
  EXPECT_EQ(result.worker, kProducerId);
  const size_t full = dir.path().size() + relative.size() + std::string("/photo.jpg").size();
  EXPECT_EQ(
      result.reason,
      fmt::format("path is {} bytes long; thumbpipe handles paths of up to 4096 bytes", full));
  EXPECT_TRUE(result.path.ends_with("..."));
  EXPECT_EQ(WorkItems().size(), 1u);  // the sentinel only
}

}  // namespace
}  // namespace thumbpipe
