// Recursive walk of a folder tree for the producer: reports every regular file (and every
// symlink to one that the --symlinks policy follows), never descends into symlinked folders,
// never reports FIFOs, sockets or devices. Folders are opened relative to their parent, so
// paths of any length are walked.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <utility>

#include "common/options.h"

namespace thumbpipe {

struct WalkCallbacks {
  // A file to process, with the stat of what `path` resolves to (for a followed symlink, its
  // target's). All zero when the file could not be stat'ed (it vanished, say): the worker
  // then says why. Return false to stop the walk.
  std::function<bool(const std::string& path, const struct stat& st)> file;
  // Something skipped that a user may want to know about (verbose), e.g. a FIFO.
  std::function<void(const std::string& message)> skipped;
  // Something that went wrong but does not stop the walk, e.g. an unreadable folder.
  std::function<void(const std::string& message)> problem;
  // Optional: a folder (ROOT included) is about to be listed (watch mode watches it first,
  // so that no file created meanwhile is missed).
  std::function<void(const std::string& path)> folder;
};

// What the walk leaves out: our own output, when it lies inside the tree.
struct WalkExclusions {
  std::set<std::pair<dev_t, ino_t>> folders;
  std::set<std::string> paths;
};

// Walks `root` (absolute, a folder; it may be reached through symlinks) in name order.
// Memory: the sorted names of one folder at a time, and the open folders above it: it grows
// with the largest folder and the depth, not with the size of the tree.
// Symlinks below it are followed to files as `symlinks` says:
//   kAll     every one
//   kInside  only those whose target, every symlink resolved, is a regular file inside the
//            real path of `root` (resolved once, when the walk starts)
//   kNone    none
// Links not followed are reported to `skipped`, never to `file`. Returns false if the walk
// was stopped by the `file` callback, true when the whole tree was seen.
bool WalkTree(const std::string& root, const WalkCallbacks& callbacks,
              const WalkExclusions& exclusions = {}, SymlinkPolicy symlinks = SymlinkPolicy::kAll);

}  // namespace thumbpipe
