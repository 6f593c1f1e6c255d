#include "common/shard.h"

#include <charconv>

#include <fmt/format.h>

#include "common/sha256.h"

namespace thumbpipe {
namespace {

bool ParseCount(std::string_view text, uint32_t* value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

uint32_t ShardOf(std::string_view relative, uint32_t count) {
  Sha256 sha;
  sha.Update(relative);
  const std::string hex = sha.HexDigest();
  uint64_t prefix = 0;
  std::from_chars(hex.data(), hex.data() + 16, prefix, 16);  // the first 8 bytes, big-endian
  return static_cast<uint32_t>(prefix % count);
}

bool Shard::Takes(std::string_view relative) const {
  return !active() || ShardOf(relative, count) == index;
}

std::string Shard::Suffix() const { return fmt::format(".{}-of-{}", index, count); }

std::string_view RelativeToRoot(std::string_view path, std::string_view root) {
  if (root == "/") return path.substr(1);
  if (path.size() <= root.size()) return {};
  return path.substr(root.size() + 1);
}

bool ParseShardSuffix(std::string_view name, Shard* shard) {
  const size_t of = name.rfind("-of-");
  if (of == std::string_view::npos) return false;
  const size_t dot = name.rfind('.', of);
  if (dot == std::string_view::npos) return false;
  Shard parsed;
  if (!ParseCount(name.substr(dot + 1, of - dot - 1), &parsed.index) ||
      !ParseCount(name.substr(of + 4), &parsed.count) || parsed.count == 0 ||
      parsed.count > kMaxShards || parsed.index >= parsed.count) {
    return false;
  }
  *shard = parsed;
  return true;
}

}  // namespace thumbpipe
