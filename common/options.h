// The resolved options of one run, as the launcher decided them and every role reads them
// (through the control block). Paths are absolute.
#pragma once

#include <cstdint>
#include <string>

#include "common/log.h"

namespace thumbpipe {

inline constexpr uint32_t kDefaultBoxSide = 200;
inline constexpr uint32_t kMaxBoxSide = 65535;
inline constexpr int kMaxWorkers = 1024;
inline constexpr uint64_t kDefaultMaxPixels = 200'000'000;
inline constexpr double kDefaultTimeoutSeconds = 30;
// Bytes of queued files the producer asks the kernel to read ahead of the workers.
inline constexpr uint64_t kDefaultReadahead = uint64_t{64} << 20;

struct RunOptions {
  std::string root;
  int workers = 1;
  uint32_t box_width = kDefaultBoxSide;
  uint32_t box_height = kDefaultBoxSide;
  std::string output_dir;
  std::string manifest;
  Verbosity verbosity = Verbosity::kNormal;
  double timeout_seconds = kDefaultTimeoutSeconds;  // per image; 0: no limit
  uint64_t max_pixels = kDefaultMaxPixels;          // per image, as its header claims; 0: none
  uint64_t max_memory = 0;                          // address space per worker; 0: no limit
  uint64_t readahead = kDefaultReadahead;           // bytes the producer reads ahead; 0: off
};

// Where the sink lists thumbnails as they arrive, so that nothing is lost if it dies:
// "<manifest folder>/.<manifest name>.<launcher pid>.journal".
std::string JournalPath(const std::string& manifest, int launcher_pid);

}  // namespace thumbpipe
