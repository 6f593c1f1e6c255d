// The launcher's line to the service manager, in systemd's notification protocol: readiness,
// a status text, watchdog pings, and that a stop has begun. Launcher only (the roles never
// notify). Only service_notifier.cc includes libsystemd; tests put a fake in its place.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/status.h"

namespace thumbpipe {

class ServiceNotifier {
 public:
  virtual ~ServiceNotifier() = default;

  // The interval within which the manager wants a watchdog ping (WatchdogSec=), in
  // nanoseconds; 0 when it wants none (no watchdog, or not run by a manager at all).
  virtual int64_t WatchdogIntervalNs() = 0;

  // Sends `state`: newline-separated assignments such as "READY=1\nSTATUS=...". When the
  // process was not started by a manager (no $NOTIFY_SOCKET) this does nothing and is OK.
  // On failure the message says why; nothing is retried.
  virtual Status Notify(std::string_view state) = 0;
};

// The notifier that talks to the manager named by $NOTIFY_SOCKET (sd_notify). It keeps the
// variable for the launcher's children, which ignore it.
std::unique_ptr<ServiceNotifier> NewSystemdNotifier();

}  // namespace thumbpipe
