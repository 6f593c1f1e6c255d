// The statistics file of --stats-json: what a run did, as JSON, written atomically (see
// common/atomic_file.h) by the sink once the manifest is written, so that it holds every
// result. The one file that includes the JSON library (nlohmann/json).
//
// Paths in it (options and failures) are escaped as the manifest escapes them
// (common/escape.h), then written as JSON strings: the file is valid UTF-8 whatever bytes a
// path holds, and the raw path comes back by undoing the manifest's escapes. The document says
// so itself ("path_escaping": "manifest"). README.md lists the fields.
#pragma once

#include <string>

#include "common/control_block.h"
#include "common/options.h"
#include "common/status.h"
#include "sink/run_stats.h"

namespace thumbpipe {

struct StatsReport {
  const RunOptions* options = nullptr;
  const RunCounters* counters = nullptr;  // read once, as they are at the time
  const RunStats* stats = nullptr;
  double wall_seconds = 0;  // from the start of the run until now
  std::string version;
};

// The document, pretty-printed, ending in a newline.
std::string RenderStatsJson(const StatsReport& report);
// Writes RenderStatsJson() to `path` atomically.
Status WriteStatsJson(const std::string& path, const StatsReport& report);

// Called by the launcher before the run, so that a bad --stats-json stops it at once rather
// than after all the work: makes the file's folder if missing, and checks that it is writable
// and that `path` is not a folder. OK for an empty path (no statistics asked for).
Status PrepareStatsDestination(const std::string& path);

}  // namespace thumbpipe
