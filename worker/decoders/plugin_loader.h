// Plug-ins: shared libraries of thumbpipe's own (thumbpipe-opencv.so, thumbpipe-magick.so)
// that carry a heavy outside library, installed next to the worker and loaded only when a file
// needs them, so a worker that never meets such a file never pays for them. Worker only.
#pragma once

#include <dlfcn.h>

#include <string>

namespace thumbpipe {

// Opens the plug-in `name` from the running program's folder and looks up its two entry
// points. Returns false, with *error saying why in words for a reason, when either fails.
template <typename Decode, typename Release>
bool LoadPlugin(const char* name, const char* decode_symbol, const char* release_symbol,
                Decode* decode, Release* release, std::string* error);

// The path of `name` in the running program's folder.
std::string PluginPath(const char* name);

template <typename Decode, typename Release>
bool LoadPlugin(const char* name, const char* decode_symbol, const char* release_symbol,
                Decode* decode, Release* release, std::string* error) {
  const std::string path = PluginPath(name);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    *error = "cannot load " + path + (why != nullptr ? std::string(": ") + why : std::string());
    return false;
  }
  *decode = reinterpret_cast<Decode>(::dlsym(handle, decode_symbol));
  *release = reinterpret_cast<Release>(::dlsym(handle, release_symbol));
  if (*decode == nullptr || *release == nullptr) {
    *error = "'" + path + "' is not a thumbpipe plug-in of this version";
    return false;
  }
  return true;
}

}  // namespace thumbpipe
