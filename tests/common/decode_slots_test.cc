// Decode slots between real processes: the limit holds, a waiter wakes when a slot is given
// back, and a holder killed with SIGKILL leaves a slot the launcher's reclaim gives back.
#include "common/decode_slots.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

using std::chrono::milliseconds;

// DecodeSlots in an anonymous shared mapping, as the control block is in the run's.
class DecodeSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    void* address = ::mmap(nullptr, sizeof(DecodeSlots), PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(address, MAP_FAILED);
    slots_ = static_cast<DecodeSlots*>(address);
  }
  void TearDown() override {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::munmap(slots_, sizeof(DecodeSlots));
  }
  // A child that takes a slot as worker `index`, then sleeps until killed.
  pid_t HolderProcess(int index) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      DecodeTurn turn(slots_, index);
      if (!turn.Take({}).ok()) ::_exit(1);
      for (;;) ::pause();
    }
    children_.push_back(pid);
    return pid;
  }
  // Polls until `predicate` holds or ten seconds passed.
  template <typename Predicate>
  bool Eventually(Predicate predicate) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!predicate()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(1));
    }
    return true;
  }
  void Kill(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::erase(children_, pid);
  }

  DecodeSlots* slots_ = nullptr;
  std::vector<pid_t> children_;
};

TEST_F(DecodeSlotsTest, NoLimitNeverWaits) {
  InitDecodeSlots(slots_, 0);
  DecodeTurn a(slots_, 0), b(slots_, 1);
  EXPECT_TRUE(a.Take({}).ok());
  EXPECT_TRUE(b.Take({}).ok());
  EXPECT_EQ(DecodeSlotsHeld(*slots_), 0u);
}

TEST_F(DecodeSlotsTest, AtMostTheLimitHoldAndTheRestWait) {
  InitDecodeSlots(slots_, 2);
  HolderProcess(0);
  HolderProcess(1);
  ASSERT_TRUE(Eventually([&] { return DecodeSlotsHeld(*slots_) == 2; }));
  // A third worker waits, asking between sleeps whether to give up.
  int asked = 0;
  DecodeTurn third(slots_, 2);
  const Status status = third.Take([&] { return ++asked == 2 ? "the launcher is gone" : ""; });
  EXPECT_EQ(status.message(), "the launcher is gone");
  EXPECT_FALSE(third.held());
  EXPECT_EQ(DecodeSlotsHeld(*slots_), 2u);
  EXPECT_GE(slots_->waits.load(), 1u);
}

TEST_F(DecodeSlotsTest, AWaiterWakesWhenASlotIsGivenBack) {
  InitDecodeSlots(slots_, 1);
  DecodeTurn first(slots_, 0);
  ASSERT_TRUE(first.Take({}).ok());
  // A waiter that would look again only after a minute by itself.
  const pid_t waiter = ::fork();
  if (waiter == 0) {
    DecodeTurn turn(slots_, 1);
    ::_exit(turn.Take({}, std::chrono::minutes(1)).ok() && turn.held() ? 0 : 1);
  }
  ASSERT_TRUE(Eventually([&] { return slots_->waits.load() == 1; }));  // it is waiting
  const auto released = std::chrono::steady_clock::now();
  first.Release();
  int status = 0;
  ASSERT_EQ(::waitpid(waiter, &status, 0), waiter);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Woken by the release, not by its own look a minute later.
  EXPECT_LT(std::chrono::steady_clock::now() - released, std::chrono::seconds(20));
}

TEST_F(DecodeSlotsTest, ReleaseWithoutWakingIsFoundByTheNextLook) {
  InitDecodeSlots(slots_, 1);
  DecodeTurn first(slots_, 0);
  ASSERT_TRUE(first.Take({}).ok());
  first.ReleaseWithoutWaking();
  EXPECT_FALSE(first.held());
  DecodeTurn second(slots_, 1);
  EXPECT_TRUE(second.Take({}).ok());
  EXPECT_TRUE(second.held());
  EXPECT_EQ(slots_->holder[0].load(), 2u);
}

TEST_F(DecodeSlotsTest, AHolderKilledKeepsItsSlotUntilReclaimed) {
  InitDecodeSlots(slots_, 1);
  const pid_t holder = HolderProcess(4);
  ASSERT_TRUE(Eventually([&] { return DecodeSlotsHeld(*slots_) == 1; }));
  EXPECT_EQ(slots_->holder[0].load(), 5u);  // names its holder: worker 4
  Kill(holder);
  // Dead, the slot still names it: nobody else can take it...
  int asked = 0;
  DecodeTurn next(slots_, 0);
  EXPECT_FALSE(next.Take([&] { return ++asked == 2 ? "gave up" : ""; }).ok());
  // ...until the launcher gives it back; a waiter then gets it.
  const pid_t waiter = ::fork();
  if (waiter == 0) {
    DecodeTurn turn(slots_, 1);
    ::_exit(turn.Take({}).ok() ? 0 : 1);
  }
  EXPECT_EQ(ReclaimDecodeSlots(slots_, 3), 0);  // another worker's: untouched
  EXPECT_EQ(ReclaimDecodeSlots(slots_, 4), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(waiter, &status, 0), waiter);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(DecodeSlotsTest, ManyWorkersNeverExceedTheLimit) {
  InitDecodeSlots(slots_, 2);
  auto* most = static_cast<std::atomic<uint32_t>*>(
      ::mmap(nullptr, sizeof(std::atomic<uint32_t>) * 2, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(static_cast<void*>(most), MAP_FAILED);
  std::atomic<uint32_t>* now = most + 1;
  std::vector<pid_t> workers;
  for (int index = 0; index < 8; ++index) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (int round = 0; round < 50; ++round) {
        DecodeTurn turn(slots_, index);
        if (!turn.Take({}).ok()) ::_exit(1);
        const uint32_t inside = now->fetch_add(1) + 1;
        uint32_t seen = most->load();
        while (inside > seen && !most->compare_exchange_weak(seen, inside)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        now->fetch_sub(1);
        if (round % 2 == 0) {
          turn.Release();
        } else {
          turn.ReleaseWithoutWaking();
        }
      }
      ::_exit(0);
    }
    workers.push_back(pid);
  }
  for (pid_t pid : workers) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(most->load(), 2u);
  EXPECT_EQ(DecodeSlotsHeld(*slots_), 0u);
  ::munmap(most, sizeof(std::atomic<uint32_t>) * 2);
}

}  // namespace
}  // namespace thumbpipe
