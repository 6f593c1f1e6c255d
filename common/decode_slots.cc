#include "common/decode_slots.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace thumbpipe {
namespace {

// The control block is a MAP_SHARED mapping in every process, so the futex is a shared one
// (no FUTEX_PRIVATE_FLAG): the kernel matches waiters by the page, not the address.
void FutexWait(std::atomic<uint32_t>* word, uint32_t seen, std::chrono::milliseconds timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  timespec relative{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  // EAGAIN (the word moved), EINTR and ETIMEDOUT all mean: look again.
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, seen, &relative, nullptr, 0);
}

void FutexWakeOne(std::atomic<uint32_t>* word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// One attempt: the index of the holder word now ours, or -1 if every slot is taken.
int TryTake(DecodeSlots* slots, uint32_t limit, uint32_t mine) {
  for (uint32_t i = 0; i < limit; ++i) {
    uint32_t expected = 0;
    if (slots->holder[i].load(std::memory_order_relaxed) == 0 &&
        slots->holder[i].compare_exchange_strong(expected, mine, std::memory_order_acquire,
                                                 std::memory_order_relaxed)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void WakeAfterRelease(DecodeSlots* slots) {
  slots->wake.fetch_add(1, std::memory_order_release);
  FutexWakeOne(&slots->wake);
}

}  // namespace

void InitDecodeSlots(DecodeSlots* slots, uint32_t limit) {
  slots->limit.store(std::min<uint32_t>(limit, kMaxWorkers), std::memory_order_relaxed);
  slots->wake.store(0, std::memory_order_relaxed);
  slots->waits.store(0, std::memory_order_relaxed);
  for (auto& holder : slots->holder) holder.store(0, std::memory_order_relaxed);
}

Status DecodeTurn::Take(const std::function<std::string()>& give_up,
                        std::chrono::milliseconds poll) {
  if (slots_ == nullptr || held()) return Status::OK();
  const uint32_t limit = slots_->limit.load(std::memory_order_relaxed);
  if (limit == 0) return Status::OK();
  const auto mine = static_cast<uint32_t>(index_ + 1);
  bool counted = false;
  for (;;) {
    // Read the word before trying: a release between the try and the sleep changes it, and
    // the futex then returns at once instead of sleeping through the free slot.
    const uint32_t seen = slots_->wake.load(std::memory_order_acquire);
    entry_ = TryTake(slots_, limit, mine);
    if (entry_ >= 0) return Status::OK();
    if (give_up) {
      if (std::string reason = give_up(); !reason.empty()) return Status::Error(reason);
    }
    if (!counted) {
      slots_->waits.fetch_add(1, std::memory_order_relaxed);
      counted = true;
    }
    FutexWait(&slots_->wake, seen, poll);
  }
}

void DecodeTurn::Release() {
  if (!held()) return;
  ReleaseWithoutWaking();
  WakeAfterRelease(slots_);
}

void DecodeTurn::ReleaseWithoutWaking() {
  if (!held()) return;
  slots_->holder[entry_].store(0, std::memory_order_release);
  entry_ = -1;
}

int ReclaimDecodeSlots(DecodeSlots* slots, int worker_index) {
  const auto mine = static_cast<uint32_t>(worker_index + 1);
  const uint32_t limit = slots->limit.load(std::memory_order_relaxed);
  int reclaimed = 0;
  for (uint32_t i = 0; i < limit; ++i) {
    uint32_t expected = mine;
    if (slots->holder[i].compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
      ++reclaimed;
    }
  }
  if (reclaimed > 0) WakeAfterRelease(slots);
  return reclaimed;
}

uint32_t DecodeSlotsHeld(const DecodeSlots& slots) {
  const uint32_t limit = slots.limit.load(std::memory_order_relaxed);
  uint32_t held = 0;
  for (uint32_t i = 0; i < limit; ++i) {
    if (slots.holder[i].load(std::memory_order_relaxed) != 0) ++held;
  }
  return held;
}

}  // namespace thumbpipe
