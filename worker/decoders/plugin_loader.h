// Plug-ins: shared libraries of thumbpipe's own (thumbpipe-opencv.so, thumbpipe-magick.so,
// thumbpipe-heif.so, thumbpipe-jxl.so) that carry a heavy outside library, installed next to the
// worker and loaded only when a file needs them, so a worker that never meets such a file never
// pays for them. Worker only.
#pragma once

#include <dlfcn.h>

#include <string>

namespace thumbpipe {

// Opens the plug-in `name` from the running program's folder and looks up its two entry
// points. Returns false, with *error saying why in words for a reason, when either fails.
template <typename Decode, typename Release>
bool LoadPlugin(const char* name, const char* decode_symbol, const char* release_symbol,
                Decode* decode, Release* release, std::string* error);

// Opens the plug-in `name` from the running program's folder and looks up one entry point.
// Returns false, with *error saying why, when either fails.
template <typename Function>
bool LoadPluginSymbol(const char* name, const char* symbol, Function* function, std::string* error);

// The path of `name` in the running program's folder.
std::string PluginPath(const char* name);

// dlopen of PluginPath(name), or null with *error saying why. A plug-in is used only if it
// carries the stamp of the interface this worker was built with (thumbpipe_plugin_abi, made by
// cmake/plugin_abi.cmake from every header of worker/ and common/): a plug-in of another build
// left in the folder is refused, and named, before the worker calls into it. One that does not
// even load (its functions no longer match the worker's) says to install thumbpipe again.
void* OpenPlugin(const char* name, std::string* error);

template <typename Decode, typename Release>
bool LoadPlugin(const char* name, const char* decode_symbol, const char* release_symbol,
                Decode* decode, Release* release, std::string* error) {
  void* handle = OpenPlugin(name, error);
  if (handle == nullptr) return false;
  *decode = reinterpret_cast<Decode>(::dlsym(handle, decode_symbol));
  *release = reinterpret_cast<Release>(::dlsym(handle, release_symbol));
  if (*decode == nullptr || *release == nullptr) {
    *error = "'" + PluginPath(name) + "' is not a thumbpipe plug-in of this version";
    return false;
  }
  return true;
}

template <typename Function>
bool LoadPluginSymbol(const char* name, const char* symbol, Function* function,
                      std::string* error) {
  void* handle = OpenPlugin(name, error);
  if (handle == nullptr) return false;
  *function = reinterpret_cast<Function>(::dlsym(handle, symbol));
  if (*function == nullptr) {
    *error = "'" + PluginPath(name) + "' is not a thumbpipe plug-in of this version";
    return false;
  }
  return true;
}

}  // namespace thumbpipe
