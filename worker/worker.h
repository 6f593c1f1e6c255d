// The worker role: takes work items until its end-of-work sentinel, turns each file into a
// thumbnail written to the output folder, and sends one result per item to the sink.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/control_block.h"
#include "common/message.h"
#include "common/queue.h"
#include "common/source_opener.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {

struct WorkerEnv {
  MessageQueue* work = nullptr;
  MessageQueue* results = nullptr;
  OutputDir* output = nullptr;
  // With several boxes (request.more_boxes not empty): the folder of each box, the first
  // box's first; `output` is then not written to.
  std::vector<OutputDir*> box_outputs;
  // Opens source files under the run's --symlinks policy (with ROOT resolved once); nullptr
  // follows every symlink, as --symlinks all.
  const SourceOpener* sources = nullptr;
  WorkerSlot* slot = nullptr;  // this worker's slot in the control block
  // The run's counters: the time spent in each stage is added up there. May be null.
  RunCounters* counters = nullptr;
  uint16_t index = 0;
  ThumbnailRequest request;
  int quality = DefaultQuality(OutputFormat::kPng);  // of request.format (--quality)
  GiveUpCheck give_up;
  // True once the run is being stopped: files still queued are passed over.
  std::function<bool()> stop_requested;
  // Called with each file's path just before it is processed, and with "" once the
  // end-of-work sentinel is taken. Empty in thumbpipe-worker; test stand-ins use it to crash
  // or hang at chosen moments.
  std::function<void(const std::string& path)> before_item;
};

class Worker {
 public:
  explicit Worker(WorkerEnv env) : env_(std::move(env)) {}

  // Runs until the sentinel (then forwards it to the sink and returns OK) or until the queues
  // fail or the launcher goes away (an error).
  Status Run();

  // Processes one file into `result` (no queues involved).
  void Process(const std::string& path, Result* result);

 private:
  void AddTime(std::atomic<uint64_t> RunCounters::*stage, int64_t ns);
  // Writes one thumbnail into `dir` unless it is there; adds the bytes written to *bytes.
  Status Write(OutputDir* dir, const Image& image, const std::string& name,
               const std::vector<uint8_t>& png, uint64_t* bytes);

  WorkerEnv env_;
  std::vector<uint8_t> file_;     // reused between files
  std::vector<uint8_t> encoded_;  // reused between files
  int64_t encode_ns_ = 0;         // time spent encoding, all files
};

// The whole worker process: attach to the run, set up, loop. Returns the exit status.
int WorkerProcessMain(int argc, char** argv,
                      std::function<void(const std::string& path)> before_item = {});

}  // namespace thumbpipe
