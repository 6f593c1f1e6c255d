// The file:// URI of a local path, escaped byte for byte as GLib's g_filename_to_uri escapes it
// (no host): desktop clients find a file's thumbnail by the MD5 of exactly this string, so one
// byte escaped differently is a thumbnail never found. Used by the producer and the workers
// (the freedesktop.org thumbnail cache, common/desktop_cache.h).
#pragma once

#include <string>
#include <string_view>

namespace thumbpipe {

// "file://" followed by `absolute_path` with every byte escaped as %XX (uppercase hex) except
// ASCII letters, digits and -._~!$&'()*+,:=@/ (GLib's set for paths). Bytes that are not
// UTF-8 are escaped like any other; the path is not normalised or checked.
std::string FileUri(std::string_view absolute_path);

}  // namespace thumbpipe
