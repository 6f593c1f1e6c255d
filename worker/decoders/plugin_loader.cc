#include "worker/decoders/plugin_loader.h"

#include <filesystem>
#include <system_error>

namespace thumbpipe {

std::string PluginPath(const char* name) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / name).string();
}

}  // namespace thumbpipe
