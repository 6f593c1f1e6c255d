// Deterministic sharding: which of N runs takes a file. A file belongs to shard
//   K = (first 8 bytes of SHA-256(path relative to ROOT), read big-endian) mod N
// where the relative path is the bytes below ROOT without a leading slash ("2019/a.jpg"),
// exactly as the walk or --files-from names it. So the choice depends on nothing but the path
// and N: not the walk's order, the machine, the number of workers or the files around it, and
// N runs with K = 0..N-1 take every file exactly once. Used by the launcher (parsing) and the
// producer (choosing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace thumbpipe {

inline constexpr uint32_t kMaxShards = 1'000'000;

struct Shard {
  uint32_t index = 0;  // K, 0 <= K < count
  uint32_t count = 0;  // N; 0: no sharding, this run takes every file

  bool active() const { return count > 0; }
  // Whether this run takes the file at `relative` (relative to ROOT).
  bool Takes(std::string_view relative) const;
  // ".K-of-N": what the names of a shard's manifest (and so its catalog) end with.
  std::string Suffix() const;
};

// The shard (0..count-1) of the file at `relative`; count > 0.
uint32_t ShardOf(std::string_view relative, uint32_t count);

// `path` relative to `root` (both absolute and lexically normal, `path` below `root`).
std::string_view RelativeToRoot(std::string_view path, std::string_view root);

// Parses a ".K-of-N" ending of `name` (a manifest's file name); false if it has none.
bool ParseShardSuffix(std::string_view name, Shard* shard);

}  // namespace thumbpipe
