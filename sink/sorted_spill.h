// A map from keys to values, sorted by key, that holds at most a given number of bytes in
// memory: beyond that, its contents are sorted and spilled to a run file, and reading it back
// merges the runs. The sink keeps the manifest in one (sink/manifest.h), so that its memory
// does not grow with the size of the tree. Not thread-safe.
//
// Run files are "<prefix>-<n>" (n counts from 1), written and read by this class alone, and
// removed by its destructor; those of a process killed first are removed by the launcher's
// next run (launcher/stale_runs.h). Runs are merged 16 at a time as they accumulate, so
// memory for the merge stays bounded too: with R bytes in memory, a tree of T bytes of
// entries leaves at most 15 runs for each factor of 16 in T / R.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace thumbpipe {

class SortedSpill {
 public:
  // A value of Put, or a removal, as a run file holds it.
  struct Record {
    std::string key;
    std::string value;
    bool removed = false;
  };
  class RunReader;

  // `prefix`: the path that run files start with; `memory_bytes`: how many bytes of entries
  // (keys, values and a fixed cost per entry) may wait in memory before they are spilled.
  SortedSpill(std::string prefix, size_t memory_bytes);
  ~SortedSpill();
  SortedSpill(const SortedSpill&) = delete;
  SortedSpill& operator=(const SortedSpill&) = delete;

  // Sets `key` to `value`, replacing what an earlier Put gave it.
  void Put(std::string_view key, std::string_view value);
  // Takes `key` out, as if it had never been Put.
  void Remove(std::string_view key);

  // Calls fn(key, value) for every key, in byte order of the keys, with the value of its
  // last Put. With `keep`, the contents stay for the next ForEach (merged into one run, so
  // that the next one starts from there); without, they are dropped once read, and the run
  // files removed. Returns the first error of reading or writing a run; fn's errors stop the
  // walk and are returned too.
  Status ForEach(const std::function<Status(std::string_view key, std::string_view value)>& fn,
                 bool keep);

  // How many run files there are now (for tests).
  size_t runs() const { return runs_.size(); }
  // Whether spilling failed at some point (the run goes on in memory; see Spill).
  bool spill_failed() const { return spill_failed_; }

 private:
  struct Run {
    std::string path;
    int level = 0;  // how many merges made it: runs of one level are merged together
  };
  // Sorts what is in memory and writes it as a new run; then merges runs of one level
  // while there are kFanIn of them.
  void Spill();
  // Merges the runs from `first` on (and memory, with `with_memory`) into one, written to
  // `out` when given (*output_failed tells whether that failed); calls `fn` when given.
  // Removals are dropped when `first` is 0 (nothing older is left for them to hide).
  Status Merge(size_t first, bool with_memory, const std::string* out,
               const std::function<Status(std::string_view, std::string_view)>* fn,
               bool* output_failed);
  std::string NextRunPath();
  void SortMemory();

  static constexpr size_t kFanIn = 16;
  static constexpr int kMergedLevel = 1 << 20;  // the whole contents, kept: never merged again
  static constexpr size_t kEntryCost = sizeof(Record) + 32;  // allocation overhead, roughly

  std::string prefix_;
  size_t memory_bytes_;
  std::vector<Record> memory_;
  size_t memory_used_ = 0;
  std::vector<Run> runs_;  // oldest first: a later run's entry wins over an earlier one's
  uint64_t next_run_ = 1;
  bool spill_failed_ = false;
};

}  // namespace thumbpipe
