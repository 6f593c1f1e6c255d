// `thumbpipe merge OUT MANIFEST...`: the subcommand that makes one manifest of the manifests
// of a run's shards (merge/). Launcher only.
#pragma once

#include <string>

namespace thumbpipe {

// Runs the subcommand; argv[0] is "merge". Returns the exit status: 0 merged, 1 a manifest
// could not be read or written or is not a manifest of thumbpipe, 2 bad usage or not one
// whole set of shards.
int RunMergeCommand(int argc, const char* const* argv, const std::string& cwd);

}  // namespace thumbpipe
