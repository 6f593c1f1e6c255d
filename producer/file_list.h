// --files-from, producer side: reads a list of paths (a file, a pipe or standard input; one a
// line, or NUL-separated) and resolves each against ROOT as the walk would have found it:
// the same absolute path, the same --symlinks policy, never through a symlinked folder and
// never outside ROOT. The list is read as it comes, so it may be as long as it likes.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/options.h"
#include "common/status.h"
#include "producer/walker.h"

namespace thumbpipe {

class FileList {
 public:
  // Opens `source` ("-": standard input). `nul`: entries end with NUL bytes, else newlines.
  static Status Open(const std::string& source, bool nul, std::unique_ptr<FileList>* list);
  ~FileList();
  FileList(const FileList&) = delete;
  FileList& operator=(const FileList&) = delete;

  // Stores the next entry (empty ones are passed over) in *entry; false at the end of the
  // list, or when it cannot be read (then status() says why).
  bool Next(std::string* entry);
  const Status& status() const { return status_; }

 private:
  FileList(int fd, bool owned, char separator, std::string name)
      : fd_(fd), owned_(owned), separator_(separator), name_(std::move(name)) {}
  int fd_;
  bool owned_;
  char separator_;
  std::string name_;
  std::string buffer_;
  size_t start_ = 0;  // of the unread part of buffer_
  bool end_ = false;
  Status status_;
};

// One entry of the list, resolved.
struct ListedFile {
  enum class Kind {
    kFile,       // to process: `st` is what `path` resolves to (zero if that failed)
    kFailed,     // outside ROOT, missing, a folder...: `reason` says which
    kSkipped,    // a symlink the policy does not follow (told to the `skipped` callback)
    kNotWanted,  // turned down by `wanted` (another shard's), before anything was asked of it
  };
  Kind kind = Kind::kFailed;
  std::string path;      // absolute and lexically normal, as the walk would name it
  std::string relative;  // below ROOT (what a shard hashes); for a path outside, `path`
  struct stat st {};
  std::string reason;
};

class ListResolver {
 public:
  // `root` is absolute and lexically normal (as RunOptions has it).
  ListResolver(std::string root, SymlinkPolicy symlinks,
               std::function<void(const std::string& message)> skipped);
  ~ListResolver();
  ListResolver(const ListResolver&) = delete;
  ListResolver& operator=(const ListResolver&) = delete;

  // Resolves `entry`. When `wanted` is given and says no to its relative path (`relative` of
  // ListedFile), stops there: nothing is asked of the file system.
  ListedFile Resolve(std::string_view entry,
                     const std::function<bool(std::string_view relative)>& wanted = {});

 private:
  // Opens the folder `relative` (below ROOT, "" for ROOT) one component at a time without
  // following a symlink; returns its fd (owned by the cache) or -1 with *reason set.
  int OpenFolder(const std::string& relative, std::string* reason);

  std::string root_;
  std::unique_ptr<EntryClassifier> classifier_;
  int root_fd_ = -1;
  int root_errno_ = 0;
  // The folder of the last file: lists usually come folder by folder.
  std::string cached_relative_;
  int cached_fd_ = -1;
};

}  // namespace thumbpipe
