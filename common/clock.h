// The clock of the run: CLOCK_MONOTONIC in nanoseconds, shared by the workers (when an item
// began) and the launcher (how long it has been running).
#pragma once

#include <time.h>

#include <cstdint>

namespace thumbpipe {

inline int64_t MonotonicNanos() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

// CLOCK_REALTIME in nanoseconds since the epoch: comparable with file modification times.
inline int64_t WallClockNanos() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * kNanosPerSecond + ts.tv_nsec;
}

}  // namespace thumbpipe
