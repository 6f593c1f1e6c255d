#include "launcher/merge_command.h"

#include <filesystem>
#include <vector>

#include "common/escape.h"
#include "common/log.h"
#include "launcher/launcher.h"
#include "merge/manifest_merge.h"
#include "merge/shard_set.h"

namespace thumbpipe {
namespace {

constexpr std::string_view kUsage = R"(Usage: thumbpipe merge OUT MANIFEST...

Merges the manifests of the shards of one run (thumbpipe --shard K/N, whose manifests are
named <manifest>.K-of-N) into OUT, the manifest one run over the whole tree writes, byte for
byte. Every shard 0 to N-1 must be given once, all of the same N. OUT is written atomically.

Example:
  thumbpipe merge /shared/processed.txt /shared/processed.txt.*-of-4

Exit status: 0 merged, 1 a manifest could not be read or written, 2 bad usage or not one
whole set of shards.
)";

std::string Absolute(const std::string& cwd, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(cwd) / p;
  return p.lexically_normal().string();
}

}  // namespace

int RunMergeCommand(int argc, const char* const* argv, const std::string& cwd) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    fmt::print("{}", kUsage);
    return kExitOk;
  }
  if (!args.empty() && args[0] == "--") args.erase(args.begin());
  if (args.size() < 2) {
    LogError(
        "merge needs OUT and the shards' manifests: thumbpipe merge OUT MANIFEST...; see "
        "'thumbpipe merge --help'");
    return kExitUsage;
  }
  const std::string output = Absolute(cwd, args[0]);
  std::vector<std::string> inputs;
  for (size_t i = 1; i < args.size(); ++i) {
    inputs.push_back(Absolute(cwd, args[i]));
    if (inputs.back() == output) {
      LogError("OUT '{}' is also one of the manifests to merge; give another name",
               EscapePath(args[0]));
      return kExitUsage;
    }
  }
  std::vector<ShardManifest> set;
  if (Status status = CheckShardSet(inputs, &set); !status.ok()) {
    LogError("{}", status.message());
    return kExitUsage;
  }
  std::vector<std::string> ordered;
  for (const ShardManifest& shard : set) ordered.push_back(shard.path);
  MergeCounts counts;
  if (Status status = MergeManifests(ordered, output, &counts); !status.ok()) {
    LogError("{}", status.message());
    return kExitFailed;
  }
  LogInfo("merged {} shards into '{}': {} lines", set.size(), EscapePath(output), counts.lines);
  return kExitOk;
}

}  // namespace thumbpipe
