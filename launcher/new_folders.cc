#include "launcher/new_folders.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace thumbpipe {
namespace {

// Removes `folder` and the folders in it, deepest first; rmdir(2) refuses a folder that still
// holds anything, and symbolic links are not followed.
void RemoveEmptyFolders(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) RemoveEmptyFolders(entry.path());
  }
  ::rmdir(folder.c_str());
}

}  // namespace

void NewFolders::Note(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return;
  std::filesystem::path missing;
  struct stat st;
  for (std::filesystem::path at = absolute.lexically_normal();
       !at.empty() && ::lstat(at.c_str(), &st) != 0 && errno == ENOENT; at = at.parent_path()) {
    missing = at;
    if (at == at.root_path()) break;
  }
  if (!missing.empty()) outermost_.push_back(missing.string());
}

void NewFolders::Remove() const {
  for (auto it = outermost_.rbegin(); it != outermost_.rend(); ++it) RemoveEmptyFolders(*it);
}

}  // namespace thumbpipe
