// Where an open file really is, and whether that lies inside a folder: how the --symlinks
// policy tells a link that stays inside ROOT from one that leads out. Used by the producer (the
// walk) and by whoever opens source files (common/source_opener.h).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace thumbpipe {

// The absolute path, every symlink resolved, of what `fd` (any descriptor, O_PATH too) refers
// to, as the kernel reports it in /proc/self/fd. Fails when /proc is not mounted or the path
// is too long for the kernel to report.
Status RealPathOf(int fd, std::string* path);

// True when the real path `path` names `root` (a real path of a folder) or something below
// it: "/photos/a.jpg" is inside "/photos", "/photos2/a.jpg" is not. An empty `root` holds
// nothing.
bool IsInsideRoot(std::string_view path, std::string_view root);

}  // namespace thumbpipe
