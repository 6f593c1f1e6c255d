// The folders a run makes for its outputs (the output folder and its box folders, the desktop
// cache's, the folders of the manifest, the catalog and the statistics), made through
// NewFolders so that a run refused while preparing them (exit status 2) takes back exactly
// what it made: never a folder another process made meanwhile, even an empty one, even at the
// same path. Launcher only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace thumbpipe {

class NewFolders {
 public:
  // Makes `path` and every missing folder above it, with `mode` (less the umask), and
  // remembers each folder its own mkdir(2) created. Returns 0, or the errno of the step that
  // failed (ENOTDIR when something other than a folder is in the way).
  int Make(const std::string& path, mode_t mode = 0777);
  // Removes the folders Make created, the deepest first, each only while it is empty: what
  // another process put in them stays, and so do they.
  void Remove() const;

 private:
  std::vector<std::string> made_;
};

}  // namespace thumbpipe
