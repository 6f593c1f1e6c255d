// Decode slots: at most `limit` workers of a run make thumbnails at once, however many workers
// there are. Used by the workers (take a slot before each item, give it back before sending
// the result) and by the launcher (which sets the limit and takes back the slot of a worker
// that died holding one).
//
// Why: a worker's work is all CPU and memory bandwidth. With more workers than CPUs, the
// kernel time-slices decoders against each other: each one's working set (a decoded band, the
// shrink's rows, the encoder's buffers) is evicted from the caches by the others, every
// worker's memory peaks at the same time, and the scheduler moves them between CPUs. Letting
// only as many decode at once as there are CPUs keeps the extra workers parked on a futex,
// where they cost nothing, while the run still has all the processes the user asked for.
//
// How it is robust: a slot is one 32-bit word in the control block holding the worker index
// (plus one) of its holder, taken and given back with a single compare-and-swap. There is no
// moment when a slot is taken but not recorded as whose, so a worker killed at any point
// (a crash, SIGKILL from --timeout or from outside) leaves a slot that names it, and the
// launcher, when it reaps that worker and before it starts a replacement, gives it back
// (ReclaimDecodeSlots). Waiters sleep on a futex word that every release bumps; they wake at
// least every kDecodeSlotPoll anyway, so a wake-up lost with a dead process costs at most that.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/options.h"
#include "common/status.h"

namespace thumbpipe {

inline constexpr std::chrono::milliseconds kDecodeSlotPoll{200};

// Lives in the control block (shared memory, zero-filled at creation).
struct DecodeSlots {
  std::atomic<uint32_t> limit;  // slots in use from holder[0]; 0: no limit (never wait)
  std::atomic<uint32_t> wake;   // the futex word: bumped by every release
  std::atomic<uint32_t> waits;  // times a worker had to sleep for a slot (statistics)
  std::atomic<uint32_t> holder[kMaxWorkers];  // worker index + 1; 0: free
};

static_assert(std::atomic<uint32_t>::is_always_lock_free);

// Sets the number of slots (0: no limit, clamped to kMaxWorkers). Before any worker starts.
void InitDecodeSlots(DecodeSlots* slots, uint32_t limit);

// A worker's hold on a slot. Destruction gives it back.
class DecodeTurn {
 public:
  DecodeTurn(DecodeSlots* slots, int worker_index) : slots_(slots), index_(worker_index) {}
  ~DecodeTurn() { Release(); }
  DecodeTurn(const DecodeTurn&) = delete;
  DecodeTurn& operator=(const DecodeTurn&) = delete;

  // Waits for a free slot (immediately OK when `slots` is null or unlimited), looking again
  // at least every `poll`. Between sleeps asks `give_up`; if it gives a reason, returns that
  // as an error, holding nothing.
  Status Take(const std::function<std::string()>& give_up,
              std::chrono::milliseconds poll = kDecodeSlotPoll);
  // Gives the slot back, if held, and wakes a waiter.
  void Release();
  // Gives the slot back without waking anyone: for a worker that asks again right after
  // sending its result. It then most likely takes the same slot again, and the workers that
  // decode stay the same few, with their caches and their heaps warm, instead of every parked
  // worker taking turns and faulting its own buffers in. A free slot left so is found by a
  // waiter within kDecodeSlotPoll.
  void ReleaseWithoutWaking();
  bool held() const { return entry_ >= 0; }

 private:
  DecodeSlots* slots_;
  int index_;
  int entry_ = -1;  // which holder word is ours
};

// The launcher: gives back every slot that names the worker `worker_index` (which has died or
// exited) and wakes the waiters. Returns how many it held (0 or 1).
int ReclaimDecodeSlots(DecodeSlots* slots, int worker_index);

// How many slots are held now (for tests and statistics).
uint32_t DecodeSlotsHeld(const DecodeSlots& slots);

}  // namespace thumbpipe
