#include "launcher/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

constexpr std::string_view kEraseLine = "\r\033[K";

}  // namespace

std::string FormatDuration(double seconds) {
  const auto s = static_cast<uint64_t>(std::max(0.0, std::floor(seconds)));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

std::string ProgressLine(const ProgressCounts& c) {
  std::string line = fmt::format("{} found{}, {} done, {} failed", c.found,
                                 c.walk_done ? "" : " so far", c.done, c.failed);
  if (c.unchanged != 0) line += fmt::format(", {} unchanged", c.unchanged);
  if (c.skipped_failed != 0) line += fmt::format(", {} failed before (skipped)", c.skipped_failed);
  if (c.rate >= 0) {
    line += c.rate < 100 ? fmt::format(", {:.1f} files/s", c.rate)
                         : fmt::format(", {:.0f} files/s", c.rate);
  }
  line += fmt::format(", {} elapsed", FormatDuration(c.elapsed_seconds));
  if (c.walk_done && c.rate > 0 && c.found >= c.done) {
    line += fmt::format(", about {} left",
                        FormatDuration(std::ceil(static_cast<double>(c.found - c.done) / c.rate)));
  }
  return line;
}

void RateMeter::Add(int64_t now_ns, uint64_t done) {
  samples_.emplace_back(now_ns, done);
  // Keep one sample older than the window, so the window is always spanned once it can be.
  while (samples_.size() > 2 && now_ns - samples_[1].first >= window_ns_) samples_.pop_front();
}

double RateMeter::Rate() const {
  if (samples_.size() < 2) return -1;
  const auto& [first_ns, first_done] = samples_.front();
  const auto& [last_ns, last_done] = samples_.back();
  const int64_t span = last_ns - first_ns;
  if (span < 1'000'000'000 || last_done < first_done) return -1;
  return static_cast<double>(last_done - first_done) * 1e9 / static_cast<double>(span);
}

ProgressOutput ProgressOutput::Stderr() {
  ProgressOutput output;
  output.write_terminal = [](std::string_view bytes) { WriteToStderr(bytes); };
  output.log_line = [](const std::string& text) { LogInfo("{}", text); };
  output.columns = [] {
    winsize size{};
    return ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 ? static_cast<int>(size.ws_col) : 0;
  };
  return output;
}

Progress::Mode Progress::ModeFor(bool progress_option, LogTarget stderr_target) {
  if (!progress_option) return Mode::kOff;
  return stderr_target.terminal ? Mode::kTerminal : Mode::kLines;
}

Progress::Progress(const ControlBlock* block, Mode mode, ProgressOutput output)
    : block_(block), mode_(mode), output_(std::move(output)), last_shown_ns_(block->started_ns) {}

ProgressCounts Progress::Counts(int64_t now_ns) const {
  const RunCounters& c = block_->counters;
  ProgressCounts counts;
  counts.found = c.found.load(std::memory_order_relaxed);
  counts.walk_done = block_->walk_done.load(std::memory_order_relaxed) != 0;
  counts.failed = c.failed.load(std::memory_order_relaxed);
  counts.done = c.thumbnails.load(std::memory_order_relaxed) +
                c.not_images.load(std::memory_order_relaxed) + counts.failed;
  counts.unchanged = c.unchanged.load(std::memory_order_relaxed);
  counts.skipped_failed = c.skipped_failed.load(std::memory_order_relaxed);
  counts.elapsed_seconds = static_cast<double>(now_ns - block_->started_ns) / 1e9;
  counts.rate = rate_.Rate();
  return counts;
}

void Progress::Tick(int64_t now_ns) {
  if (mode_ == Mode::kOff) return;
  const RunCounters& c = block_->counters;
  rate_.Add(now_ns, c.thumbnails.load(std::memory_order_relaxed) +
                        c.not_images.load(std::memory_order_relaxed) +
                        c.failed.load(std::memory_order_relaxed));
  const int64_t interval = mode_ == Mode::kTerminal ? kRedrawNs : kLineEveryNs;
  if (now_ns - last_shown_ns_ < interval) return;
  last_shown_ns_ = now_ns;
  const ProgressCounts counts = Counts(now_ns);
  if (mode_ == Mode::kLines) {
    // A watching service that waits for files says nothing until there is something new.
    const std::pair<uint64_t, uint64_t> seen{counts.found, counts.done};
    if (seen == last_logged_) return;
    last_logged_ = seen;
    output_.log_line(ProgressLine(counts));
    return;
  }
  const std::string text = ProgressLine(counts);
  // The prefix every log line has; cut to the terminal's width, as a wrapped line could not
  // be erased whole.
  std::string line = fmt::format("thumbpipe: {}", text);
  const int columns = output_.columns();
  if (columns > 1 && line.size() > static_cast<size_t>(columns - 1)) line.resize(columns - 1);
  output_.write_terminal(std::string(kEraseLine) + line);
  drawn_ = true;
}

void Progress::Finish() {
  if (mode_ != Mode::kTerminal || !drawn_) return;
  output_.write_terminal(kEraseLine);
  drawn_ = false;
}

}  // namespace thumbpipe
