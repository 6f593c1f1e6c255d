#include "launcher/service_reporter.h"

#include <fmt/format.h>

#include "common/log.h"

namespace thumbpipe {

std::string ServiceStatusText(const RunCounters& counters, bool first_pass_done, bool watch,
                              bool stopping) {
  std::string text = DescribeCounts(counters);
  // Files carried over from the catalog are among the counts above.
  if (const uint64_t unchanged = counters.unchanged.load() + counters.skipped_failed.load();
      unchanged != 0) {
    text += fmt::format("; {} unchanged", unchanged);
  }
  if (stopping) {
    text += "; stopping";
  } else if (!first_pass_done) {
    text += fmt::format("; first pass, {} found", counters.found.load());
  } else {
    text += watch ? "; watching" : "; finishing";
  }
  return text;
}

ServiceReporter::ServiceReporter(ServiceNotifier* notifier, bool watch)
    : notifier_(notifier), watch_(watch), watchdog_every_ns_(notifier->WatchdogIntervalNs() / 4) {}

void ServiceReporter::Send(const std::string& state) {
  if (Status status = notifier_->Notify(state); !status.ok() && !failed_) {
    failed_ = true;
    LogWarning("{} (further failures are not reported)", status.message());
  }
}

void ServiceReporter::Tick(const ControlBlock& block, int64_t now_ns) {
  if (watchdog_every_ns_ > 0 && (!pinged_ || now_ns - last_ping_ns_ >= watchdog_every_ns_)) {
    pinged_ = true;
    last_ping_ns_ = now_ns;
    Send("WATCHDOG=1");
  }
  const bool first_pass_done = block.first_pass_done.load(std::memory_order_relaxed) != 0;
  std::string status = ServiceStatusText(block.counters, first_pass_done, watch_, stopping_);
  if (watch_ && first_pass_done && !ready_ && !stopping_) {
    ready_ = true;
    Send("READY=1\nSTATUS=" + status);
  } else if (status != last_status_ &&
             (!status_sent_ || now_ns - last_status_ns_ >= kStatusIntervalNs)) {
    Send("STATUS=" + status);
  } else {
    return;
  }
  status_sent_ = true;
  last_status_ns_ = now_ns;
  last_status_ = std::move(status);
}

void ServiceReporter::Stopping(const ControlBlock& block, int64_t now_ns) {
  if (stopping_) return;
  stopping_ = true;
  const bool first_pass_done = block.first_pass_done.load(std::memory_order_relaxed) != 0;
  last_status_ = ServiceStatusText(block.counters, first_pass_done, watch_, true);
  last_status_ns_ = now_ns;
  status_sent_ = true;
  Send("STOPPING=1\nSTATUS=" + last_status_);
}

}  // namespace thumbpipe
