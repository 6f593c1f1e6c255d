// What the launcher tells the service manager while a run goes on, and when. Driven from the
// supervision loop's tick; launcher only.
//
//   READY=1     once every file of the first walk is reported, in watch mode only (the
//               service is up from then on; a single pass is a oneshot service and needs none)
//   STATUS=     the counts, e.g. "1873 thumbnails, 12 not images, 1 failed; watching": at
//               most once a second, and only when the text changed
//   WATCHDOG=1  when the manager asked for a watchdog, at least four times per interval, so
//               a launcher wedged in its loop is noticed and restarted
//   STOPPING=1  as soon as a stop begins
//
// A failure to notify is logged once and otherwise ignored: the run matters more.
#pragma once

#include <cstdint>
#include <string>

#include "common/control_block.h"
#include "launcher/service_notifier.h"

namespace thumbpipe {

// The status text for `counters`: "<t> thumbnails, <n> not images, <f> failed", then
// "; <u> unchanged" when files were carried over from the catalog (they are among the three
// counts), then the phase: "; first pass, <found> found", "; watching", "; finishing" or
// "; stopping".
std::string ServiceStatusText(const RunCounters& counters, bool first_pass_done, bool watch,
                              bool stopping);

class ServiceReporter {
 public:
  static constexpr int64_t kStatusIntervalNs = 1'000'000'000;

  // `notifier` must outlive the reporter. The watchdog interval is read once, here.
  ServiceReporter(ServiceNotifier* notifier, bool watch);

  // Called on every tick of the supervision loop.
  void Tick(const ControlBlock& block, int64_t now_ns);
  // Called once when a stop begins (the first stop signal).
  void Stopping(const ControlBlock& block, int64_t now_ns);

 private:
  void Send(const std::string& state);

  ServiceNotifier* notifier_;
  bool watch_;
  int64_t watchdog_every_ns_ = 0;  // 0: no watchdog
  int64_t last_ping_ns_ = 0;
  bool pinged_ = false;
  bool ready_ = false;
  bool stopping_ = false;
  bool failed_ = false;
  std::string last_status_;
  int64_t last_status_ns_ = 0;
  bool status_sent_ = false;
};

}  // namespace thumbpipe
