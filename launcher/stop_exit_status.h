// The exit status of a run that a signal asked to stop. Launcher only.
#pragma once

namespace thumbpipe {

// `so_far` is the run's exit status before the signal `sig` came. A watch run ends only when it
// is stopped, so SIGTERM (what a service stop sends) is its normal end: 0, or 1 if the run had
// failed already. Every other stop gives 128 + `sig`, as a shell expects, unless an earlier
// signal set the status already.
int StopExitStatus(bool watch, int sig, int so_far);

}  // namespace thumbpipe
