// The launcher's run: creates the shared memory of the run, starts the producer, the workers
// and the sink, supervises them until the run ends, cleans up, prints the summary, and
// returns the process exit status. Launcher only.
#pragma once

#include "common/options.h"

namespace thumbpipe {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Prepares the output locations (exit 2 if they cannot be made) and runs.
int RunThumbpipe(const RunOptions& options);

}  // namespace thumbpipe
