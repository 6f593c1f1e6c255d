// FileStamp (common/message.h) from what stat(2) says of a file.
#pragma once

#include <sys/stat.h>

#include "common/message.h"

namespace thumbpipe {

inline FileStamp StampOf(const struct stat& st) {
  FileStamp stamp;
  stamp.size = static_cast<uint64_t>(st.st_size);
  stamp.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  stamp.inode = static_cast<uint64_t>(st.st_ino);
  stamp.device = static_cast<uint64_t>(st.st_dev);
  return stamp;
}

}  // namespace thumbpipe
