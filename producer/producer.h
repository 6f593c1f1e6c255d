// The producer role: walks the tree and sends one work item per file, then one end-of-work
// sentinel per worker. A path too long for a message is reported to the sink as failed.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/control_block.h"
#include "common/options.h"
#include "common/queue.h"
#include "common/shard.h"
#include "common/source_opener.h"
#include "common/status.h"
#include "producer/carry_over.h"
#include "producer/desktop_check.h"
#include "producer/prefetcher.h"
#include "producer/walker.h"
#include "producer/watcher.h"

namespace thumbpipe {

struct ProducerEnv {
  MessageQueue* work = nullptr;
  MessageQueue* results = nullptr;
  RunCounters* counters = nullptr;
  int workers = 1;
  GiveUpCheck give_up;                   // a blocked send stops waiting when this says so
  std::function<bool()> stop_requested;  // stop walking (the sentinels still go out)
  // The run's own output, left out of the walk when it lies inside the tree.
  std::string output_dir;
  std::vector<std::string> output_files;  // the manifest and its journal
  uint64_t readahead = 0;                 // bytes of queued files to read ahead (prefetcher.h)
  SymlinkPolicy symlinks = SymlinkPolicy::kAll;  // which symlinks the walk follows (walker.h)
  // Incremental runs: files whose last outcome holds are reported to the sink as they were,
  // without a worker. Null: every file goes to the workers.
  const CarryOver* carry_over = nullptr;
  // --layout freedesktop: files whose thumbnails (or failure marker) in the cache are current
  // are reported the same way. Null: not that layout.
  const DesktopCheck* desktop_check = nullptr;
  std::atomic<uint32_t>* walk_done = nullptr;  // set once the whole tree has been queued
  // Watch mode: after the walk, keep watching the tree until stop_requested (see Watch).
  bool watch = false;
  // Paths that start with one of these are the run's own files (temporary manifests, the
  // catalog's companions): never work, even when they appear inside the tree.
  std::vector<std::string> output_prefixes;
  std::chrono::milliseconds rescan_interval{10'000};  // when out of inotify watches
  // Several runs sharing the work: only the files of this shard are sent (common/shard.h).
  Shard shard;
  // --files-from: the list to read instead of walking (file_list.h); empty: walk.
  std::string files_from;
  bool files_from_nul = false;
};

class Producer {
 public:
  explicit Producer(ProducerEnv env);
  Producer(const Producer&) = delete;  // the prefetcher holds a callback into this object
  Producer& operator=(const Producer&) = delete;

  // Walks `root` and feeds the queues. An error means the queues could not be fed (the
  // launcher is gone or a queue broke); sentinels may then be missing. Once everything is
  // queued, stays while files in the queue are left to read ahead.
  Status Run(const std::string& root);

 private:
  // Watch mode, after the walk: a file is sent once it is complete (closed after writing, or
  // moved in), new folders are watched and walked, files and folders gone are reported to the
  // sink (kRemoved), and lost events or a lack of watches lead to a rescan. Returns when
  // stop_requested or the launcher is gone.
  Status Watch(const std::string& root);
  // Walks `folder` (watching its folders in watch mode) and sends its files.
  // Records every file found in *seen when given.
  bool WalkAndSend(const std::string& folder, std::set<std::string>* seen = nullptr);
  // --files-from: resolves and sends each listed file of this shard; reports the ones that
  // cannot be (outside ROOT, missing) as failed. False if stopped or the list broke off.
  bool SendListed(const std::string& root);
  bool SendFailed(const std::string& path, const std::string& reason);
  // Walks the whole tree again: sends what is new or changed, reports what is gone.
  void Rescan(const std::string& root);
  void WatchFolder(const std::string& path);
  // A complete file from an event (or held back before): a regular file is sent when settled.
  void FileReady(const std::string& path);
  // Sends a file found while watching once its mtime is old enough to be trusted later
  // (catalog/entry.h RacyWindowNs), so that the next run does not do it again; until then it
  // waits in waiting_.
  bool SendWhenSettled(const std::string& path, const struct stat& st);
  void Forget(const std::string& path);
  bool IsOwnOutput(const std::string& path) const;
  bool SendFile(const std::string& path, const struct stat& st);
  Status SendResult(const Result& result);
  Status ReportTooLong(const std::string& path);
  uint64_t Finished() const;

  ProducerEnv env_;
  std::unique_ptr<SourceOpener> sources_;  // for read-ahead; none when ROOT cannot be opened
  Prefetcher prefetcher_;
  Status status_;
  std::vector<char> buffer_;
  WalkExclusions exclusions_;
  // Watch mode: the stamp of each file sent or carried over, so that a file seen twice (by
  // the walk and an event) is done once, and a rescan knows what is gone. The one structure of
  // the producer that grows with the tree (about 100 bytes and the path's length per file):
  // watch mode needs it; runs without --watch leave it empty.
  std::map<std::string, FileStamp> known_;
  std::unique_ptr<Watcher> watcher_;
  std::map<std::string, int64_t> waiting_;  // complete files held back: path -> when due
  bool watching_ = false;                   // the first walk is over
  std::string root_;
};

}  // namespace thumbpipe
