// The folders a run is about to create for its outputs (the output folder, the manifest's,
// the catalog's, the statistics'), noted before it creates them, so that a run refused while
// preparing them (exit status 2) takes back what it made and leaves nothing on disk.
// Launcher only.
#pragma once

#include <string>
#include <vector>

namespace thumbpipe {

class NewFolders {
 public:
  // Notes the outermost folder of `path` that does not exist yet, if any: the one creating
  // `path` would make first. Call before anything under it is created.
  void Note(const std::string& path);
  // Removes the folders noted, and the folders in them, as long as they hold nothing else:
  // what was made since Note and nothing more. Anything another process put there stays.
  void Remove() const;

 private:
  std::vector<std::string> outermost_;
};

}  // namespace thumbpipe
