#include "launcher/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace thumbpipe {
namespace {

class SystemdNotifier : public ServiceNotifier {
 public:
  int64_t WatchdogIntervalNs() override {
    uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process.
    if (::sd_watchdog_enabled(0, &usec) <= 0) return 0;
    return static_cast<int64_t>(usec) * 1000;
  }

  Status Notify(std::string_view state) override {
    const int r = ::sd_notify(0, std::string(state).c_str());
    if (r < 0) return Status::FromErrno(-r, "cannot notify the service manager");
    return Status::OK();
  }
};

}  // namespace

std::unique_ptr<ServiceNotifier> NewSystemdNotifier() {
  return std::make_unique<SystemdNotifier>();
}

}  // namespace thumbpipe
