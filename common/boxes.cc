#include "common/boxes.h"

#include <charconv>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

bool IsSide(std::string_view text) {
  if (text.empty() || text.size() > 5 || text[0] == '0') return false;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && value <= 65535;
}

}  // namespace

std::string BoxName(Box box) { return fmt::format("{}x{}", box.width, box.height); }

std::string BoxListName(const std::vector<Box>& boxes) {
  std::string text;
  for (const Box& box : boxes) {
    if (!text.empty()) text.push_back(',');
    text += BoxName(box);
  }
  return text;
}

bool IsBoxFolderName(std::string_view name) {
  const size_t x = name.find('x');
  return x != std::string_view::npos && IsSide(name.substr(0, x)) && IsSide(name.substr(x + 1));
}

std::string ThumbnailEntry(Box box, size_t box_count, std::string_view name) {
  if (box_count <= 1) return std::string(name);
  return fmt::format("{}/{}", BoxName(box), name);
}

std::string JoinThumbnails(const std::vector<std::string>& entries) {
  std::string list;
  for (const std::string& entry : entries) {
    if (!list.empty()) list.push_back('\n');
    list += entry;
  }
  return list;
}

std::vector<std::string_view> SplitThumbnails(std::string_view list) {
  std::vector<std::string_view> entries;
  while (!list.empty()) {
    const size_t newline = list.find('\n');
    entries.push_back(list.substr(0, newline));
    if (newline == std::string_view::npos) break;
    list.remove_prefix(newline + 1);
  }
  return entries;
}

}  // namespace thumbpipe
