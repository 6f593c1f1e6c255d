// Clean-up after runs whose launcher died (killed with SIGKILL, the machine lost power...):
// their shared-memory objects, and the manifest's temporary file and journal. Launcher only.
#pragma once

#include <string>

namespace thumbpipe {

// Removes /dev/shm/thumbpipe.<pid>.* and "<manifest folder>/.<manifest name>.<pid>.{tmp,journal}"
// of every <pid> that is no longer alive. Returns how many were removed.
int RemoveStaleRuns(const std::string& manifest);

// True when `pid` is not a live process.
bool ProcessIsGone(long pid);

}  // namespace thumbpipe
