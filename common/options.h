// The resolved options of one run, as the launcher decided them and every role reads them
// (through the control block). Paths are absolute.
#pragma once

#include <cstdint>
#include <string>

#include <vector>

#include "common/boxes.h"
#include "common/log.h"
#include "common/output_format.h"
#include "common/shard.h"

namespace thumbpipe {

inline constexpr uint32_t kDefaultBoxSide = 200;
inline constexpr uint32_t kMaxBoxSide = 65535;
inline constexpr int kMaxWorkers = 1024;
inline constexpr uint64_t kDefaultMaxPixels = 200'000'000;
inline constexpr double kDefaultTimeoutSeconds = 30;
// Bytes of queued files the producer asks the kernel to read ahead of the workers.
inline constexpr uint64_t kDefaultReadahead = uint64_t{64} << 20;

// Which symlinks the walk follows (to files only; symlinked folders are never walked).
//   kAll     every link to a regular file, wherever it points (the command line's default)
//   kInside  only links whose target resolves inside ROOT (what the service units use: a
//            photo folder writable by others must not make thumbpipe read other files)
//   kNone    no links at all
enum class SymlinkPolicy : int32_t { kAll = 0, kInside = 1, kNone = 2 };

struct RunOptions {
  std::string root;
  int workers = 1;
  // The box of --size, or the first of several.
  uint32_t box_width = kDefaultBoxSide;
  uint32_t box_height = kDefaultBoxSide;
  // The further boxes of --size, in the order given (at most kMaxBoxes - 1, none equal to
  // another); empty: one box, laid out as a single size always was (common/boxes.h).
  std::vector<Box> more_boxes;
  std::string output_dir;
  std::string manifest;
  Verbosity verbosity = Verbosity::kNormal;
  double timeout_seconds = kDefaultTimeoutSeconds;  // per image; 0: no limit
  uint64_t max_pixels = kDefaultMaxPixels;          // per image, as its header claims; 0: none
  uint64_t max_memory = 0;                          // address space per worker; 0: no limit
  uint64_t readahead = kDefaultReadahead;           // bytes the producer reads ahead; 0: off
  SymlinkPolicy symlinks = SymlinkPolicy::kAll;
  OutputFormat format = OutputFormat::kPng;
  int quality = DefaultQuality(OutputFormat::kPng);  // in MinQuality..MaxQuality of `format`
  uint32_t background = kWhite;                      // 0xRRGGBB under a JPEG's transparency

  // Incremental runs (see catalog/catalog.h). The catalog path is always set; it is only
  // read and written when `incremental`.
  bool incremental = false;
  std::string catalog;
  bool force = false;         // do every file again (the catalog is rewritten, not read)
  bool retry_failed = false;  // try again files that failed before, changed or not
  bool prune = false;         // remove thumbnails no source refers to any more
  bool watch = false;         // after the first pass, keep watching the tree (implies incremental)

  // Several runs sharing the work (common/shard.h): this one takes only the files of its
  // shard. Its manifest's name ends in Shard::Suffix().
  Shard shard;
  // Files to process instead of walking ROOT: a file of paths ("-": standard input), one a
  // line, or NUL-separated when files_from_nul. Empty: walk.
  std::string files_from;
  bool files_from_nul = false;

  std::string stats_json;  // where to write the run's statistics as JSON; empty: nowhere
  bool progress = true;    // draw progress on stderr (a line redrawn on a terminal)
};

// Every box of the run, the first one first.
std::vector<Box> RunBoxes(const RunOptions& options);

// The catalog's default path: "<manifest>.catalog", beside the manifest whose lines it carries.
std::string DefaultCatalogPath(const std::string& manifest);

// Where the sink lists thumbnails as they arrive, so that nothing is lost if it dies:
// "<manifest folder>/.<manifest name>.<launcher pid>.journal".
std::string JournalPath(const std::string& manifest, int launcher_pid);

}  // namespace thumbpipe
