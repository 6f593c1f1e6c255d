// How the source files of a run are opened for reading under its --symlinks policy, so that a
// folder or file swapped for a symlink after the walk found it cannot make thumbpipe read a
// file the policy keeps out. Used by the workers (to decode) and the producer (to read ahead).
// Not thread-safe to create; Open() may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "common/options.h"
#include "common/status.h"

namespace thumbpipe {

class SourceOpener {
 public:
  // --symlinks all: Open() is a plain open(2).
  SourceOpener() = default;
  ~SourceOpener();
  SourceOpener(const SourceOpener&) = delete;
  SourceOpener& operator=(const SourceOpener&) = delete;

  // For `policy`, opens ROOT (absolute, as the run was given it: symlinks above and at ROOT are
  // the user's own and are followed) and resolves it once. `use_openat2` false does without
  // openat2(2), as on kernels that lack it (tests). On failure stores nullptr in *opener.
  static Status Create(SymlinkPolicy policy, const std::string& root,
                       std::unique_ptr<SourceOpener>* opener, bool use_openat2 = true);

  // Opens `path` (a file the walk found below ROOT) read-only, non-blocking and close-on-exec,
  // and stores the descriptor in *fd, which the caller closes.
  //   kAll     any path, as open(2) follows it.
  //   kInside  the file it resolves to must lie inside the real path of ROOT. It is first
  //            opened with O_PATH, so nothing outside ROOT is ever opened for reading.
  //   kNone    no part of the path below ROOT may be a symlink.
  // On failure the message says why: "cannot open: <OS error>", "not a regular file", or a
  // refusal that names the policy.
  Status Open(const std::string& path, int* fd) const;

  SymlinkPolicy policy() const { return policy_; }
  const std::string& real_root() const { return real_root_; }

 private:
  Status OpenInside(const std::string& path, int* fd) const;
  Status OpenWithoutSymlinks(const std::string& path, int* fd) const;
  Status CheckedReopen(int path_fd, int* fd) const;

  SymlinkPolicy policy_ = SymlinkPolicy::kAll;
  std::string root_;       // as given
  std::string real_root_;  // every symlink resolved
  int root_fd_ = -1;       // O_PATH
  bool use_openat2_ = true;
};

}  // namespace thumbpipe
