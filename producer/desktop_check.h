// --layout freedesktop, producer side: the standard's incremental rule. A file whose thumbnails
// of every flavour of the run are current (their Thumb::URI and Thumb::MTime are the file's), or
// whose failure marker is current, is not sent to a worker; the producer reports it to the sink
// as unchanged (or failed before), as it does for the catalog's carry-over.
//
// Why here and not in the worker: the producer has just stat'ed the file, so the check costs
// one small read per flavour (the text chunks sit in a thumbnail's first few hundred bytes)
// and no extra system call for the source. Deciding it here keeps a current file out of the
// work queue altogether: no worker spends a queue round trip on it, and above all the read-ahead
// (producer/prefetcher.h) never pulls its source, megabytes of photo, into memory for nothing.
// A nightly run over an unchanged library then reads only thumbnail headers. The workers still
// write every thumbnail whole (temporary file and rename), so a check that raced a writer sees
// the old file or the new one. Producer only.
#pragma once

#include <string>

#include "common/message.h"

namespace thumbpipe {

class DesktopCheck {
 public:
  // `thumbnails_fd`: the cache's thumbnails folder, open, owned by the caller. `flavours`: the
  // run's (bits of kDesktopFlavours). `force`: nothing is current (--force); `retry_failed`:
  // failure markers are not heeded (--retry-failed).
  DesktopCheck(int thumbnails_fd, uint32_t flavours, bool force, bool retry_failed)
      : thumbnails_fd_(thumbnails_fd),
        flavours_(flavours),
        force_(force),
        retry_failed_(retry_failed) {}

  // When the file at `path` (absolute), stamped `stamp`, needs no work, fills *result
  // (flagged kResultUnchanged: a kThumbnail named "<md5>.png", or kFailed with the reason its
  // marker gives) and returns true.
  bool Current(const std::string& path, const FileStamp& stamp, Result* result) const;

 private:
  int thumbnails_fd_;
  uint32_t flavours_;
  bool force_;
  bool retry_failed_;
};

}  // namespace thumbpipe
