#include "worker/decoders/plugin_loader.h"

#include <filesystem>
#include <system_error>

namespace thumbpipe {

std::string PluginPath(const char* name) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / name).string();
}

void* OpenPlugin(const char* name, std::string* error) {
  const std::string path = PluginPath(name);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    // dlerror's text names the file already ("<path>: cannot open shared object file: ...").
    const char* why = ::dlerror();
    *error = why != nullptr ? std::string(why) : "cannot load " + path;
  }
  return handle;
}

}  // namespace thumbpipe
