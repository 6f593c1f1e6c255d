// When the launcher sends a worker an end-of-work sentinel of its own. Once the producer is
// gone, a worker that waits for work with nothing queued waits for a sentinel that died with
// another process (or was never sent): after it has waited `wait_ns`, it is sent one. A
// sentinel is no one's in particular: another idle worker may take it first and end, so a
// worker still waiting `wait_ns` after one was sent for it is due another.
#pragma once

#include <cstdint>

namespace thumbpipe {

class SentinelTimer {
 public:
  explicit SentinelTimer(int64_t wait_ns) : wait_ns_(wait_ns) {}

  // Called on every tick of the launcher with whether the worker is waiting for work while
  // nothing is queued. True when a sentinel should be sent now; the wait then starts again.
  bool Due(bool waiting, int64_t now_ns) {
    if (!waiting) {
      since_ns_ = -1;
      return false;
    }
    if (since_ns_ < 0) {
      since_ns_ = now_ns;
      return false;
    }
    if (now_ns - since_ns_ < wait_ns_) return false;
    since_ns_ = now_ns;
    return true;
  }

 private:
  int64_t wait_ns_;
  int64_t since_ns_ = -1;  // when it was first seen waiting; -1: it is not waiting
};

}  // namespace thumbpipe
