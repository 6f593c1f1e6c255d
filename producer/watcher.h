// Watch mode's eyes: inotify on every folder of the tree. The only file that includes
// sys/inotify.h. Producer only; not thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace thumbpipe {

struct TreeEvent {
  enum Kind {
    kFileReady,   // a file was written and closed, or moved in: it is complete
    kFileGone,    // a file was deleted or moved away
    kFolderNew,   // a folder was made or moved in: walk it
    kFolderGone,  // a folder was deleted or moved away: everything under it is gone
    kRescan,      // events were lost (the kernel's queue overflowed): look at everything
  };
  Kind kind;
  std::string path;
};

class Watcher {
 public:
  static Status Create(std::unique_ptr<Watcher>* watcher);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Watches the folder `path`. Out of watches (ENOSPC) is an error whose message names
  // fs.inotify.max_user_watches; the caller falls back to rescanning.
  Status Watch(const std::string& path);
  // True once a Watch failed for want of watches.
  bool out_of_watches() const { return out_of_watches_; }

  // Waits up to `timeout` for events and appends them to *events.
  Status Wait(std::chrono::milliseconds timeout, std::vector<TreeEvent>* events);

 private:
  explicit Watcher(int fd) : fd_(fd) {}
  int fd_;
  std::unordered_map<int, std::string> folders_;  // watch descriptor -> folder path
  bool out_of_watches_ = false;
};

}  // namespace thumbpipe
