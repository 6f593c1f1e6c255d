// Read-ahead for queued files. The producer runs up to a queue's length ahead of the
// workers; telling the kernel about each file as it is queued lets the disk read it while
// the workers decode the ones before, instead of a worker waiting on the disk. Files are
// advised only while the bytes advised but not yet finished by the workers stay within a
// budget, so that a queue of large photographs does not fill the page cache with pages that
// would be evicted again before they are used. Files already in memory are left alone, and
// while they keep being so, only a sample of files is looked at (see Prefetcher).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>

#include "common/source_opener.h"

namespace thumbpipe {

// What AdviseWillNeed did with one file.
struct Advice {
  uint64_t bytes = 0;   // bytes the kernel was asked to read
  bool cached = false;  // its first page was in memory already: nothing was asked
};

// Unless the first page of the regular file `path` is in the page cache already, asks the
// kernel to read its first `limit` bytes (posix_fadvise POSIX_FADV_WILLNEED, which does not
// wait for the disk). The file is opened through `sources`, so the --symlinks policy holds
// here as in the workers. Anything that is not a regular file, or cannot be opened, counts as
// cached: there is nothing to read ahead.
Advice AdviseWillNeed(const SourceOpener& sources, const std::string& path, uint64_t limit);

class Prefetcher {
 public:
  using Advise = std::function<Advice(const std::string& path, uint64_t limit)>;

  // `budget_bytes` 0 turns read-ahead off. `finished` says how many queued files the workers
  // are done with (the sink's counts); `in_hand` is how many a worker may hold at once in
  // total (the number of workers): those are being read already.
  Prefetcher(uint64_t budget_bytes, std::function<uint64_t()> finished, uint64_t in_hand,
             Advise advise);

  // A file was queued for the workers (called in queue order).
  void Queued(const std::string& path);

  // Advises files that wait, as far as the budget allows. Returns whether some still wait
  // that are worth advising later (not yet taken by a worker).
  bool Poll();

  // When the files keep turning out to be in memory already, only one in kSampleEvery is
  // looked at, until one is not: opening every file to learn that would cost more than
  // the reading it saves (a twentieth of the work on small images).
  static constexpr int kCachedBeforeSampling = 32;
  static constexpr int kSampleEvery = 16;

  // At most this much of one file is asked for: enough for any photograph to start without
  // waiting (the kernel's own read-ahead follows the worker's reads from there), and little
  // wasted on a video, of which a worker reads only the start to see it is no image.
  static constexpr uint64_t kMostPerFile = uint64_t{4} << 20;

 private:
  void Consider(uint64_t position, const std::string& path);

  uint64_t budget_;
  std::function<uint64_t()> finished_;
  uint64_t in_hand_;
  Advise advise_;
  uint64_t queued_ = 0;                                // files queued so far
  std::deque<std::string> waiting_;                    // the last ones queued, not yet advised
  std::deque<std::pair<uint64_t, uint64_t>> advised_;  // (queue position, bytes), oldest first
  uint64_t advised_bytes_ = 0;
  int cached_in_a_row_ = 0;
  bool sampling_ = false;
  int skipped_ = 0;  // files passed over since the last one looked at, while sampling
};

}  // namespace thumbpipe
