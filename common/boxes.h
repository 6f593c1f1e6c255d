// The boxes of one run (--size: one box, or several made from one decode) and the list of
// thumbnails one source gets. With one box, thumbnails sit at the top of the output folder
// and a source's list is its one name; with several, each box's thumbnails sit in a folder
// named "<W>x<H>" and the list holds "<W>x<H>/<name>" for each box, in the order the boxes
// were given, joined by newlines (a byte no name or folder holds). The worker makes the list,
// the sink writes it to the manifest and the catalog, the producer carries it over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace thumbpipe {

// At most this many boxes in one run: the control block has room for them.
inline constexpr size_t kMaxBoxes = 8;
// The longest entry of a thumbnail list: "65535x65535/" and the longest name
// (message.h kThumbnailNameBytes).
inline constexpr size_t kMaxBoxFolderBytes = 12;

struct Box {
  uint32_t width = 0;
  uint32_t height = 0;
  bool operator==(const Box&) const = default;
};

// "320x240".
std::string BoxName(Box box);
// "128x128,256x256": the boxes as --size takes them.
std::string BoxListName(const std::vector<Box>& boxes);
// Whether `name` is a box's folder: "<W>x<H>", both decimal from 1 to 65535 without leading
// zeros.
bool IsBoxFolderName(std::string_view name);

// The list entry of the thumbnail `name` of `box` in a run of `box_count` boxes: the name alone
// with one box, "<W>x<H>/<name>" with several.
std::string ThumbnailEntry(Box box, size_t box_count, std::string_view name);
// Joins entries into a list (newline-separated), and splits a list back into its entries (an
// empty list has none).
std::string JoinThumbnails(const std::vector<std::string>& entries);
std::vector<std::string_view> SplitThumbnails(std::string_view list);

}  // namespace thumbpipe
