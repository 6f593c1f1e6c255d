// The launcher's report of how a run goes, on stderr, from the control block's counters.
//   on a terminal   one line, redrawn at most ten times a second and erased before the
//                   summary; log lines of any process erase it too (common/log.h), and the
//                   next tick draws it again
//   elsewhere       (a file, a pipe, the journal) an info log line every ten seconds, when
//                   there is news since the last one
//   --no-progress   nothing
// Launcher only, on its supervision thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "common/control_block.h"
#include "common/log.h"

namespace thumbpipe {

// What one progress line says.
struct ProgressCounts {
  uint64_t found = 0;
  bool walk_done = false;  // else the walk is still finding files
  uint64_t done = 0;       // thumbnails, not images and failed
  uint64_t failed = 0;
  uint64_t unchanged = 0;       // shown when not zero
  uint64_t skipped_failed = 0;  // shown when not zero
  double elapsed_seconds = 0;
  double rate = -1;  // files done per second lately; negative: not known yet
};

// "1234 found so far, 567 done, 3 failed, 85.3 files/s, 12 s elapsed"; once the walk is done
// and the rate known, "1234 found, ..., 12 s elapsed, about 7 s left". No prefix, no newline.
std::string ProgressLine(const ProgressCounts& counts);
// "42 s", "3:04", "1:02:03" (rounded down to the second).
std::string FormatDuration(double seconds);

// The rate of files done over the last few seconds.
class RateMeter {
 public:
  explicit RateMeter(int64_t window_ns) : window_ns_(window_ns) {}
  void Add(int64_t now_ns, uint64_t done);
  // Files per second over the samples kept; negative until they span a second.
  double Rate() const;

 private:
  int64_t window_ns_;
  std::deque<std::pair<int64_t, uint64_t>> samples_;
};

// Where the progress goes; Stderr() is the real one, tests give their own.
struct ProgressOutput {
  std::function<void(std::string_view bytes)> write_terminal;  // as they are
  std::function<void(const std::string& text)> log_line;       // one info log line
  std::function<int()> columns;                                // of the terminal; 0: unknown
  static ProgressOutput Stderr();
};

class Progress {
 public:
  enum class Mode { kOff, kTerminal, kLines };
  static Mode ModeFor(bool progress_option, LogTarget stderr_target);

  static constexpr int64_t kRedrawNs = 100'000'000;        // on a terminal
  static constexpr int64_t kLineEveryNs = 10'000'000'000;  // elsewhere

  // `block` must outlive this; its started_ns is the start of the run.
  Progress(const ControlBlock* block, Mode mode, ProgressOutput output = ProgressOutput::Stderr());

  // Called often (every supervision tick); draws or logs when it is due.
  void Tick(int64_t now_ns);
  // Erases the terminal line, so that what follows (the summary) starts on a clean line.
  void Finish();

  ProgressCounts Counts(int64_t now_ns) const;

 private:
  const ControlBlock* block_;
  Mode mode_;
  ProgressOutput output_;
  RateMeter rate_{5'000'000'000};
  int64_t last_shown_ns_ = 0;
  std::pair<uint64_t, uint64_t> last_logged_{0, 0};  // (found, done) of the last line logged
  bool drawn_ = false;                               // a terminal line may be on the screen
};

}  // namespace thumbpipe
