#include "common/options.h"

#include <filesystem>

#include <fmt/format.h>

namespace thumbpipe {

std::string JournalPath(const std::string& manifest, int launcher_pid) {
  const std::filesystem::path path(manifest);
  return (path.parent_path() /
          fmt::format(".{}.{}.journal", path.filename().string(), launcher_pid))
      .string();
}

std::vector<Box> RunBoxes(const RunOptions& options) {
  std::vector<Box> boxes = {{options.box_width, options.box_height}};
  boxes.insert(boxes.end(), options.more_boxes.begin(), options.more_boxes.end());
  return boxes;
}

std::string DefaultCatalogPath(const std::string& manifest) { return manifest + ".catalog"; }

}  // namespace thumbpipe
