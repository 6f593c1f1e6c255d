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
  // Optional: whether the file at `path` is wanted at all. A regular file or symlink it turns
  // down is passed over before anything else is asked of it (no stat): the files of other
  // shards cost a shard only the listing of their folder.
  std::function<bool(const std::string& path)> wanted;
  // Optional: a folder (ROOT included) is about to be listed (watch mode watches it first,
  // so that no file created meanwhile is missed).
  std::function<void(const std::string& path)> folder;
};

// How the walk sees one entry of a folder: a file to process (a regular file, or a symlink to
// one that the policy follows), a folder to walk into, or something else (skipped).
enum class EntryKind { kFile, kFolder, kOther };

class EntryClassifier {
 public:
  // `real_root` is the real path of ROOT (kInside only); `skipped` hears what is left out
  // and why.
  EntryClassifier(SymlinkPolicy symlinks, std::string real_root,
                  std::function<void(const std::string& message)> skipped)
      : symlinks_(symlinks), real_root_(std::move(real_root)), skipped_(std::move(skipped)) {}

  // The entry `name` (of d_type `type`, DT_UNKNOWN if not known) of the open folder `dir_fd`,
  // whose path is `path`. For a file, fills *st with the stat of what it resolves to (left
  // zero when that fails: vanished or unreadable, the worker reports why).
  EntryKind Classify(int dir_fd, const std::string& name, unsigned char type,
                     const std::string& path, struct stat* st) const;

 private:
  // A symlink: followed to a file as the policy allows, never to a folder (that is how loops
  // are avoided).
  EntryKind ClassifyLink(int dir_fd, const std::string& name, const std::string& path,
                         struct stat* st) const;
  bool ResolveInside(int dir_fd, const std::string& name, struct stat* st, std::string* why) const;
  EntryKind Skip(const std::string& path, mode_t mode) const;

  const SymlinkPolicy symlinks_;
  const std::string real_root_;
  const std::function<void(const std::string& message)> skipped_;
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
