// The sink role: receives results until every worker's sentinel has arrived, counts them in
// the control block, reports failures, and writes the manifest.
#pragma once

#include <string>

#include "common/control_block.h"
#include "common/queue.h"
#include "sink/manifest.h"

namespace thumbpipe {

struct SinkEnv {
  MessageQueue* results = nullptr;
  RunCounters* counters = nullptr;
  int workers = 1;
  std::string manifest_path;
  GiveUpCheck give_up;
};

class Sink {
 public:
  explicit Sink(SinkEnv env) : env_(std::move(env)) {}

  // Returns OK once all sentinels arrived and the manifest is written.
  Status Run();

 private:
  void Record(Result& result);

  SinkEnv env_;
  Manifest manifest_;
};

}  // namespace thumbpipe
