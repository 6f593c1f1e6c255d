// Clean-up after runs whose launcher died (killed with SIGKILL, the machine lost power...):
// their shared-memory objects, and the manifest's temporary file, journal and sorted runs.
// Launcher only.
#pragma once

#include <string>

namespace thumbpipe {

// Removes /dev/shm/thumbpipe.<pid>.* and "<manifest folder>/.<manifest name>.<pid>.{tmp,journal}"
// and ".<manifest name>.<pid>.run-<n>" of every <pid> that is no longer alive. Returns how many
// were removed.
int RemoveStaleRuns(const std::string& manifest);

// Removes the manifest's sorted runs of this run (".<manifest name>.<launcher_pid>.run-<n>"),
// left when the sink was killed. Returns how many.
int RemoveSpilledRuns(const std::string& manifest, long launcher_pid);

// True when `pid` is not a live process.
bool ProcessIsGone(long pid);

}  // namespace thumbpipe
