// `thumbpipe merge`: which shard each manifest is, read from its name (".K-of-N", as --shard
// names them), and whether the manifests given make one whole set: every K of one N, once.
#pragma once

#include <string>
#include <vector>

#include "common/shard.h"
#include "common/status.h"

namespace thumbpipe {

struct ShardManifest {
  std::string path;
  Shard shard;
};

// Orders `paths` by shard into *set. Fails, saying which files are at fault, unless they are
// exactly shards 0..N-1 of one N: a name without .K-of-N, shards of different N, a shard given
// twice and missing shards are each refused.
Status CheckShardSet(const std::vector<std::string>& paths, std::vector<ShardManifest>* set);

}  // namespace thumbpipe
