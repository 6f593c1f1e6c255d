// The producer role: walks the tree and sends one work item per file, then one end-of-work
// sentinel per worker. A path too long for a message is reported to the sink as failed.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "common/control_block.h"
#include "common/queue.h"
#include "common/status.h"
#include "producer/prefetcher.h"

namespace thumbpipe {

struct ProducerEnv {
  MessageQueue* work = nullptr;
  MessageQueue* results = nullptr;
  RunCounters* counters = nullptr;
  // Set to 1 once the walk is complete and every file found is queued (null: nowhere).
  std::atomic<uint32_t>* walk_done = nullptr;
  int workers = 1;
  GiveUpCheck give_up;                   // a blocked send stops waiting when this says so
  std::function<bool()> stop_requested;  // stop walking (the sentinels still go out)
  // The run's own output, left out of the walk when it lies inside the tree.
  std::string output_dir;
  std::vector<std::string> output_files;  // the manifest and its journal
  uint64_t readahead = 0;                 // bytes of queued files to read ahead (prefetcher.h)
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
  bool SendFile(const std::string& path);
  Status ReportTooLong(const std::string& path);
  uint64_t Finished() const;

  ProducerEnv env_;
  Prefetcher prefetcher_;
  Status status_;
  std::vector<char> buffer_;
};

}  // namespace thumbpipe
