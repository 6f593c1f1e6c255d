// What the statistics of a run (--stats-json) need to know of each result, collected by the
// sink, which is the one process that sees every result: counts by format and outcome, and
// every failure with its reason. The totals (found, bytes, time per stage) are the control
// block's counters; sink/stats_json.h puts both into the file once the manifest is written.
// The sink's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/image_format.h"
#include "common/message.h"

namespace thumbpipe {

class RunStats {
 public:
  struct Outcomes {
    uint64_t thumbnails = 0;
    uint64_t not_images = 0;
    uint64_t failed = 0;
  };
  struct Failure {
    std::string path;  // as the result gave it: raw bytes, not escaped
    std::string reason;
  };

  // Counts one result (each result once: the sink drops repeats before). Ends and removals
  // are not counted.
  void Record(const Result& result);

  // Formats seen, with what became of their files. Format numbers this program does not know
  // count as Format::kUnknown.
  const std::map<Format, Outcomes>& by_format() const { return by_format_; }
  // In the order they arrived. Kept in memory for the JSON file: it grows with the number of
  // failed files (about 100 bytes, the path and the reason each), not with the tree.
  const std::vector<Failure>& failures() const { return failures_; }

 private:
  std::map<Format, Outcomes> by_format_;
  std::vector<Failure> failures_;
};

}  // namespace thumbpipe
