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

std::string DefaultCatalogPath(const std::string& manifest) { return manifest + ".catalog"; }

}  // namespace thumbpipe
