// The control block of a run: a plain struct in POSIX shared memory, created by the launcher
// and mapped by every role. It carries the run's options, one slot per worker (what it is
// doing now, so the launcher can name the file a dead worker held), run counters, and the
// launcher's stop request. Everything that changes during the run is a lock-free atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/message.h"
#include "common/options.h"
#include "common/status.h"

namespace thumbpipe {

// A worker slot's life: kStarting until its process is ready, then kIdle and kBusy in turn;
// kEnding once it has taken its end-of-work sentinel, kFinished once it has passed it on.
enum class SlotState : uint32_t { kStarting = 0, kIdle = 1, kBusy = 2, kEnding = 3, kFinished = 4 };

struct WorkerSlot {
  std::atomic<int32_t> pid;
  std::atomic<uint32_t> state;  // SlotState
  // Even while `path` is stable, odd while the worker rewrites it (a sequence lock): a reader
  // copies the path and checks that the sequence did not move.
  std::atomic<uint64_t> sequence;
  std::atomic<int64_t> busy_since_ns;  // CLOCK_MONOTONIC, when the current item began
  std::atomic<uint64_t> items_done;
  // Number of the current (or last) item, counted over every process of this slot; results
  // carry it, so the sink can drop a second report of the same item.
  std::atomic<uint64_t> item;
  // The current item's file, under the sequence lock like `path`: what the catalog records
  // when the launcher reports the item failed for a worker that died on it.
  FileStamp stamp;
  int64_t found_ns;
  char path[kMaxPathBytes + 1];
};

struct RunCounters {
  std::atomic<uint64_t> found;       // work items the producer sent
  std::atomic<uint64_t> thumbnails;  // results the sink received, by kind
  std::atomic<uint64_t> not_images;
  std::atomic<uint64_t> failed;
  std::atomic<uint64_t> bytes_read;
  std::atomic<uint64_t> bytes_written;   // of thumbnails
  std::atomic<uint64_t> unchanged;       // thumbnails and not-images carried over (--incremental)
  std::atomic<uint64_t> skipped_failed;  // failed before and unchanged: not retried
  std::atomic<uint64_t> removed;         // sources gone since (watch mode)
  // Time spent in each stage, in nanoseconds: the walk (the producer, until the last file
  // found is queued), and summed over the workers: opening and reading files, decoding with
  // everything up to the thumbnail's name (shrink, orientation, hash), PNG encoding, writing.
  std::atomic<uint64_t> walk_ns;
  std::atomic<uint64_t> read_ns;
  std::atomic<uint64_t> decode_ns;
  std::atomic<uint64_t> encode_ns;
  std::atomic<uint64_t> write_ns;
};

struct SharedOptions {
  char root[kMaxPathBytes + 1];
  char output_dir[kMaxPathBytes + 1];
  char manifest[kMaxPathBytes + 1];
  int32_t workers;
  uint32_t box_width;
  uint32_t box_height;
  uint32_t more_boxes;                  // how many of more_box hold a box
  uint32_t more_box[kMaxBoxes - 1][2];  // RunOptions::more_boxes: width, height
  int32_t verbosity;
  double timeout_seconds;
  uint64_t max_pixels;
  uint64_t max_memory;
  uint64_t readahead;
  int32_t symlinks;  // SymlinkPolicy
  int32_t format;    // OutputFormat
  int32_t quality;
  uint32_t background;
  uint8_t incremental;
  uint8_t force;
  uint8_t retry_failed;
  uint8_t prune;
  uint8_t watch;
  char catalog[kMaxPathBytes + 1];
  char stats_json[kMaxPathBytes + 1];  // empty: none
  uint8_t progress;
  uint32_t shard_index;
  uint32_t shard_count;                // 0: no sharding
  char files_from[kMaxPathBytes + 1];  // empty: walk
  uint8_t files_from_nul;
};

struct ControlBlock {
  uint32_t magic;
  uint32_t version;
  uint64_t size;
  int32_t launcher_pid;
  int64_t started_ns;  // CLOCK_MONOTONIC when the launcher made the block: the run's start
  SharedOptions options;
  RunCounters counters;
  std::atomic<uint32_t> stop_requested;  // set by the launcher: finish up, send sentinels
  // Set by the producer when the walk of ROOT is complete (every file found is queued).
  std::atomic<uint32_t> walk_done;
  // Set by the sink once every file of the first walk is reported (watch mode: the service is
  // ready; otherwise the run is about to end).
  std::atomic<uint32_t> first_pass_done;
  WorkerSlot slots[kMaxWorkers];
};

static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int64_t>::is_always_lock_free);

// "1873 thumbnails, 12 not images, 1 failed": the counts every report of a run starts with.
std::string DescribeCounts(const RunCounters& counters);

// Records in `slot` that the worker starts on `path` (sequence lock writer side); returns the
// item's number.
uint64_t SlotBeginItem(WorkerSlot* slot, const WorkItem& item, int64_t now_ns);
void SlotEndItem(WorkerSlot* slot);
void SlotSetState(WorkerSlot* slot, SlotState state);
SlotState SlotGetState(const WorkerSlot& slot);
// Copies the slot's current path; false if it was being rewritten all along.
bool SlotReadPath(const WorkerSlot& slot, std::string* path);
// The same for the current item as a whole (path, stamp, found_ns).
bool SlotReadItem(const WorkerSlot& slot, WorkItem* item);

// A mapping of a run's control block.
class SharedControl {
 public:
  // Creates the object (mode 0600, fails if it exists) and fills in the options.
  static Status Create(const std::string& name, const RunOptions& options,
                       std::unique_ptr<SharedControl>* control);
  static Status Open(const std::string& name, std::unique_ptr<SharedControl>* control);
  static bool Remove(const std::string& name);

  ~SharedControl();
  SharedControl(const SharedControl&) = delete;
  SharedControl& operator=(const SharedControl&) = delete;

  ControlBlock* block() { return block_; }
  const ControlBlock* block() const { return block_; }
  RunOptions options() const;

 private:
  explicit SharedControl(ControlBlock* block) : block_(block) {}
  ControlBlock* block_;
};

}  // namespace thumbpipe
