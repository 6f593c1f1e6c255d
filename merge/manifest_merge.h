// `thumbpipe merge`: the manifests of a run's shards made into the one manifest a single run
// over the same tree writes, byte for byte. Each shard's manifest is sorted by source path, as
// every manifest is, so a k-way merge by source path gives the whole: memory holds one line of
// each shard, whatever their size. The lines of one source path (one per thumbnail) stay
// together and as they are.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace thumbpipe {

struct MergeCounts {
  uint64_t lines = 0;
};

// Merges the manifests at `inputs` into `output`, written atomically (a temporary file beside
// it, flushed and renamed over it; nothing is left on failure). Fails, naming file and line,
// on a line that is not a manifest line, a file not sorted by source path, a last line cut
// short, or a source path found in two inputs.
Status MergeManifests(const std::vector<std::string>& inputs, const std::string& output,
                      MergeCounts* counts);

}  // namespace thumbpipe
