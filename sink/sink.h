// The sink role: receives results until every worker's sentinel has arrived, counts them in
// the control block, reports failures, and writes the manifest. In incremental runs it is
// the catalog's only writer (catalog_writer.h); in watch mode it rewrites the manifest at most
// once a second while results arrive.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/control_block.h"
#include "common/queue.h"
#include "sink/catalog_writer.h"
#include "sink/manifest.h"
#include "sink/run_stats.h"

namespace thumbpipe {

struct SinkEnv {
  MessageQueue* results = nullptr;
  RunCounters* counters = nullptr;
  int workers = 1;
  std::string manifest_path;
  // Where the manifest's sorted runs are spilled (ManifestSpillPrefix) once more than
  // manifest_memory bytes of it wait in memory.
  std::string manifest_spill_prefix;
  size_t manifest_memory = kDefaultManifestMemoryBytes;
  // Thumbnails are listed here as they arrive: each time the result queue is found empty,
  // the lines since the last time are written at once.
  std::string journal_path;
  GiveUpCheck give_up;
  RunStats* stats = nullptr;  // when set, told of every result counted (--stats-json)

  // Incremental runs: the catalog (null: none), and the output folder to --prune (empty: no
  // pruning).
  CatalogWriter* catalog = nullptr;
  std::string prune_output_dir;
  std::vector<std::string> run_box_folders;  // this run's "<W>x<H>" folders: never pruned
  // Set by the producer once the whole tree is queued; only then are the catalog entries of
  // files not seen dropped. Set here once every file of that walk is reported.
  const std::atomic<uint32_t>* walk_done = nullptr;
  std::atomic<uint32_t>* first_pass_done = nullptr;
  // Watch mode: the manifest is rewritten while the run goes on, at most this often. A
  // little under a second, so that a new file's line is there within a second of its arrival
  // (the time to make its thumbnail included).
  bool watch = false;
  std::chrono::milliseconds manifest_interval{900};
};

class Sink {
 public:
  explicit Sink(SinkEnv env)
      : env_(std::move(env)), manifest_(env_.manifest_spill_prefix, env_.manifest_memory) {}

  // Returns OK once every worker's end-of-work has arrived and the manifest is written.
  // End-of-work counts once per worker index, and a result counts once per (worker, item):
  // the launcher may report again what a dying worker had already sent.
  Status Run();

 private:
  bool IsRepeat(const Result& result);
  void Record(const Result& result);
  void Journal(std::string_view line);
  void FlushJournal();
  // Between bursts of results: the journal and catalog are written, the first pass's end
  // is noticed, and in watch mode the manifest is rewritten when due.
  void OnQuiet();
  // How long to wait for results when none are waiting.
  std::chrono::milliseconds QuietWait() const;
  // Watch mode: whether something newer about the result's path (a removal, or later work)
  // has been recorded already; results of one path can arrive out of order from different
  // workers, and a removal from the producer can overtake a worker's result.
  bool IsStale(const Result& result);
  // Adds the result to the run's counters (stale ones too: every file found counts once).
  void Count(const Result& result);
  void EndFirstPass();
  Status WriteManifest();

  static constexpr size_t kJournalBatchBytes = 64 << 10;  // written sooner if this much waits

  SinkEnv env_;
  Manifest manifest_;
  std::vector<bool> ended_;
  std::vector<uint64_t> last_item_;
  int journal_fd_ = -1;
  bool journal_failed_ = false;
  std::string pending_journal_;  // lines not yet written
  bool first_pass_ended_ = false;
  bool manifest_changed_ = false;  // since it was last written (watch mode)
  int64_t manifest_written_ns_ = 0;
  // Watch mode only: for each path, when the newest work on it was sent (IsStale). It grows
  // with the files of the tree, about 60 bytes and the path's length each; the rest of the
  // sink's memory does not (the manifest spills, the catalog writer keeps its lists in
  // SQLite).
  std::unordered_map<std::string, int64_t> latest_found_ns_;
};

}  // namespace thumbpipe
