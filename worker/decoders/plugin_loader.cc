#include "worker/decoders/plugin_loader.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>

#include "worker/decoders/plugin_abi.h"

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
    // It is there but does not load: most likely left by another build, whose functions
    // differ from this worker's ("undefined symbol").
    if (::access(path.c_str(), F_OK) == 0) *error += "; install thumbpipe again";
    return nullptr;
  }
  const auto* stamp = static_cast<const char*>(::dlsym(handle, "thumbpipe_plugin_abi"));
  if (stamp == nullptr || std::strcmp(stamp, THUMBPIPE_PLUGIN_ABI) != 0) {
    // A plug-in left by another installation: its code would be called with this worker's
    // structures, and may not agree with them. (Its static constructors have run in dlopen.)
    *error = "'" + path + "' was built for another thumbpipe (plug-in interface " +
             (stamp != nullptr ? std::string(stamp, strnlen(stamp, 64)) : "unstamped") +
             ", this worker's " + THUMBPIPE_PLUGIN_ABI + "); install thumbpipe again";
    ::dlclose(handle);
    return nullptr;
  }
  return handle;
}

}  // namespace thumbpipe
