#include "producer/prefetcher.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::TempDir;

// Files named by their size in MiB, or "cached"; records what was looked at.
class PrefetcherTest : public ::testing::Test {
 protected:
  Prefetcher Make(uint64_t budget_mib, uint64_t in_hand = 1) {
    return Prefetcher(
        budget_mib << 20, [this] { return finished_; }, in_hand,
        [this](const std::string& path, uint64_t limit) {
          advised_.push_back(path);
          limits_.push_back(limit);
          Advice advice;
          advice.cached = path == "cached";
          if (!advice.cached) advice.bytes = std::min<uint64_t>(std::stoull(path) << 20, limit);
          return advice;
        });
  }
  void Queue(Prefetcher& prefetcher, std::initializer_list<const char*> names) {
    for (const char* name : names) Queue(prefetcher, name, 1);
  }
  void Queue(Prefetcher& prefetcher, const char* name, int times) {
    for (int i = 0; i < times; ++i) {
      prefetcher.Queued(name);
      prefetcher.Poll();
      ++finished_;  // the workers keep up
    }
  }

  uint64_t finished_ = 0;
  std::vector<std::string> advised_;
  std::vector<uint64_t> limits_;
};

TEST_F(PrefetcherTest, StaysWithinItsBudgetAndMovesOnAsFilesFinish) {
  Prefetcher prefetcher = Make(10);
  for (int i = 0; i < 6; ++i) {
    prefetcher.Queued("4");
    prefetcher.Poll();
  }
  // Position 0 is in a worker's hands already; 1, 2 and 3 are advised (12 MiB: the last one
  // started below the budget), the rest wait.
  EXPECT_EQ(advised_, (std::vector<std::string>{"4", "4", "4"}));
  EXPECT_TRUE(prefetcher.Poll());
  finished_ = 2;  // 1 is done, 2 is in hand: 8 MiB advised and unfinished
  EXPECT_TRUE(prefetcher.Poll());
  EXPECT_EQ(advised_.size(), 4u);
  finished_ = 5;  // only the last one is not in hand yet
  EXPECT_FALSE(prefetcher.Poll());
  EXPECT_EQ(advised_.size(), 4u) << "position 4 was in hand when a place came free";
}

TEST_F(PrefetcherTest, AFileLargerThanTheBudgetIsAdvisedAloneAndCut) {
  Prefetcher prefetcher = Make(2, 0);
  prefetcher.Queued("100");
  prefetcher.Queued("1");
  prefetcher.Poll();
  EXPECT_EQ(advised_, std::vector<std::string>{"100"});
  EXPECT_EQ(limits_, std::vector<uint64_t>{2u << 20});
  finished_ = 1;
  EXPECT_FALSE(prefetcher.Poll());
  EXPECT_EQ(advised_, (std::vector<std::string>{"100", "1"}));
}

TEST_F(PrefetcherTest, OnlyTheStartOfALargeFileIsAskedFor) {
  Prefetcher prefetcher = Make(10, 0);
  for (int i = 0; i < 4; ++i) prefetcher.Queued("2000");  // a video, say
  prefetcher.Poll();
  // 4 MiB of each: the third brings the total over the budget.
  EXPECT_EQ(advised_.size(), 3u);
  EXPECT_EQ(limits_, std::vector<uint64_t>(3, Prefetcher::kMostPerFile));
}

TEST_F(PrefetcherTest, FilesFoundInMemoryAreOnlySampledUntilOneIsNot) {
  Prefetcher prefetcher = Make(64, 0);
  Queue(prefetcher, "cached", Prefetcher::kCachedBeforeSampling);
  EXPECT_EQ(advised_.size(), size_t{Prefetcher::kCachedBeforeSampling});
  advised_.clear();
  Queue(prefetcher, "cached", 4 * Prefetcher::kSampleEvery);
  EXPECT_EQ(advised_.size(), 4u);
  advised_.clear();
  Queue(prefetcher, "1", 3 * Prefetcher::kSampleEvery);  // the cache went cold
  EXPECT_EQ(advised_.size(), size_t{2 * Prefetcher::kSampleEvery + 1})
      << "once one file was found missing, every file is looked at again";
}

TEST_F(PrefetcherTest, ZeroBudgetTurnsItOff) {
  Prefetcher prefetcher = Make(0);
  Queue(prefetcher, {"1", "1", "1"});
  EXPECT_FALSE(prefetcher.Poll());
  EXPECT_TRUE(advised_.empty());
}

// Pages of `path` in the page cache.
size_t ResidentPages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  struct stat st;
  ::fstat(fd, &st);
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((static_cast<size_t>(st.st_size) + page - 1) / page);
  ::mincore(map, static_cast<size_t>(st.st_size), resident.data());
  ::munmap(map, static_cast<size_t>(st.st_size));
  size_t count = 0;
  for (unsigned char r : resident) count += r & 1;
  return count;
}

// Writes `path` back and drops it from the page cache, as for a file not read for a while.
void Evict(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::fdatasync(fd), 0);
  EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
  ASSERT_LT(ResidentPages(path), 1024u / 2) << "the page cache kept the file; cannot test";
}

bool WaitForResidentPages(const std::string& path, size_t pages) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ResidentPages(path) < pages) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

const SourceOpener kFollowAll;

TEST(AdviseWillNeed, TheKernelReadsInWhatIsNotInMemory) {
  TempDir dir;
  const std::string path = dir.path() + "/photo.jpg";
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(4 << 20, 'x');  // 1024 pages
  }
  Evict(path);
  const Advice cut = AdviseWillNeed(kFollowAll, path, 1 << 20);
  EXPECT_FALSE(cut.cached);
  EXPECT_EQ(cut.bytes, 1u << 20);  // at most the limit
  EXPECT_TRUE(WaitForResidentPages(path, 256));

  Evict(path);
  const Advice whole = AdviseWillNeed(kFollowAll, path, 64 << 20);
  EXPECT_FALSE(whole.cached);
  EXPECT_EQ(whole.bytes, 4u << 20);
  EXPECT_TRUE(WaitForResidentPages(path, 1024));

  const Advice again = AdviseWillNeed(kFollowAll, path, 64 << 20);  // in memory now: nothing to ask
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(again.bytes, 0u);

  for (const std::string& other : {dir.path(), dir.path() + "/missing.png", dir.path() + "/fifo"}) {
    if (other.ends_with("fifo")) {
      ASSERT_EQ(::mkfifo(other.c_str(), 0600), 0);
    }
    const Advice advice =
        AdviseWillNeed(kFollowAll, other, 1 << 20);  // and a FIFO does not block it
    EXPECT_TRUE(advice.cached) << other;
    EXPECT_EQ(advice.bytes, 0u) << other;
  }
}

// Read-ahead opens files as the workers do: a link out of ROOT is not even opened.
TEST(AdviseWillNeed, KeepsToTheSymlinkPolicy) {
  TempDir photos, outside;
  {
    std::ofstream out(outside / "secret.jpg", std::ios::binary);
    out << std::string(4 << 20, 'x');
  }
  std::filesystem::create_symlink(outside / "secret.jpg", photos / "link.jpg");
  Evict(outside / "secret.jpg");  // else it counts as cached, read ahead or not
  for (SymlinkPolicy policy : {SymlinkPolicy::kInside, SymlinkPolicy::kNone}) {
    std::unique_ptr<SourceOpener> sources;
    ASSERT_TRUE(SourceOpener::Create(policy, photos.path(), &sources).ok());
    const Advice advice = AdviseWillNeed(*sources, photos / "link.jpg", 64 << 20);
    EXPECT_TRUE(advice.cached);
    EXPECT_EQ(advice.bytes, 0u);
  }
}

}  // namespace
}  // namespace thumbpipe
