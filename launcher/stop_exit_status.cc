#include "launcher/stop_exit_status.h"

#include <signal.h>

namespace thumbpipe {

int StopExitStatus(bool watch, int sig, int so_far) {
  if (so_far != 0 && so_far != 1) return so_far;  // an earlier signal decided it
  if (watch && sig == SIGTERM) return so_far;
  return 128 + sig;
}

}  // namespace thumbpipe
