// The sink role: receives results until every worker's sentinel has arrived, counts them in
// the control block, reports failures, and writes the manifest.
#pragma once

#include <string>
#include <vector>

#include "common/control_block.h"
#include "common/queue.h"
#include "sink/manifest.h"
#include "sink/run_stats.h"

namespace thumbpipe {

struct SinkEnv {
  MessageQueue* results = nullptr;
  RunCounters* counters = nullptr;
  int workers = 1;
  std::string manifest_path;
  // Thumbnails are listed here as they arrive: each time the result queue is found empty,
  // the lines since the last time are written at once.
  std::string journal_path;
  GiveUpCheck give_up;
  RunStats* stats = nullptr;  // when set, told of every result counted (--stats-json)
};

class Sink {
 public:
  explicit Sink(SinkEnv env) : env_(std::move(env)) {}

  // Returns OK once every worker's end-of-work has arrived and the manifest is written.
  // End-of-work counts once per worker index, and a result counts once per (worker, item):
  // the launcher may report again what a dying worker had already sent.
  Status Run();

 private:
  bool IsRepeat(const Result& result);
  void Record(const Result& result);
  void Journal(std::string_view line);
  void FlushJournal();

  static constexpr size_t kJournalBatchBytes = 64 << 10;  // written sooner if this much waits

  SinkEnv env_;
  Manifest manifest_;
  std::vector<bool> ended_;
  std::vector<uint64_t> last_item_;
  int journal_fd_ = -1;
  bool journal_failed_ = false;
  std::string pending_journal_;  // lines not yet written
};

}  // namespace thumbpipe
