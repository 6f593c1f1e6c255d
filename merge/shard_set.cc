#include "merge/shard_set.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/escape.h"

namespace thumbpipe {

Status CheckShardSet(const std::vector<std::string>& paths, std::vector<ShardManifest>* set) {
  set->clear();
  if (paths.empty()) return Status::Error("no manifests to merge");
  for (const std::string& path : paths) {
    ShardManifest manifest{path, {}};
    if (!ParseShardSuffix(std::filesystem::path(path).filename().string(), &manifest.shard)) {
      return Status::Error(fmt::format(
          "'{}' is not a shard's manifest: its name does not end in .K-of-N, as --shard names it",
          EscapePath(path)));
    }
    if (!set->empty() && manifest.shard.count != set->front().shard.count) {
      return Status::Error(fmt::format(
          "the manifests are shards of different runs: '{}' is one of {}, '{}' one of {}",
          EscapePath(set->front().path), set->front().shard.count, EscapePath(path),
          manifest.shard.count));
    }
    set->push_back(std::move(manifest));
  }
  std::stable_sort(set->begin(), set->end(), [](const ShardManifest& a, const ShardManifest& b) {
    return a.shard.index < b.shard.index;
  });
  const uint32_t count = set->front().shard.count;
  std::vector<uint32_t> missing;
  size_t at = 0;
  for (uint32_t k = 0; k < count; ++k) {
    if (at < set->size() && (*set)[at].shard.index == k) {
      if (at + 1 < set->size() && (*set)[at + 1].shard.index == k) {
        return Status::Error(fmt::format("shard {} of {} is given twice: '{}' and '{}'", k, count,
                                         EscapePath((*set)[at].path),
                                         EscapePath((*set)[at + 1].path)));
      }
      ++at;
    } else {
      missing.push_back(k);
    }
  }
  if (!missing.empty()) {
    const size_t total = missing.size();
    constexpr size_t kShown = 10;
    if (total > kShown) missing.resize(kShown);
    return Status::Error(fmt::format(
        "the set of shards is incomplete: {} {}{} of {} {} missing; a merge needs all {}",
        total == 1 ? "shard" : "shards", fmt::join(missing, ", "),
        total > kShown ? fmt::format(" and {} more", total - kShown) : "", count,
        total == 1 ? "is" : "are", count));
  }
  return Status::OK();
}

}  // namespace thumbpipe
