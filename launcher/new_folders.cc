#include "launcher/new_folders.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace thumbpipe {

int NewFolders::Make(const std::string& path, mode_t mode) {
  if (path.empty()) return 0;
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec) return ec.value();
  // From the root down: each folder is made, or found made (by us before, or by anyone).
  std::filesystem::path at;
  for (const std::filesystem::path& part : absolute) {
    if (part.empty()) continue;  // the "" after a trailing slash
    at /= part;
    if (at == at.root_path()) continue;
    if (::mkdir(at.c_str(), mode) == 0) {
      made_.push_back(at.string());
      continue;
    }
    if (errno != EEXIST) return errno;
    struct stat st;
    if (::stat(at.c_str(), &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  }
  return 0;
}

void NewFolders::Remove() const {
  for (auto it = made_.rbegin(); it != made_.rend(); ++it) ::rmdir(it->c_str());
}

}  // namespace thumbpipe
