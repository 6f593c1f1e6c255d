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

struct RunOptions {
  std::string root;
  int workers = 1;
  uint32_t box_width = kDefaultBoxSide;
  uint32_t box_height = kDefaultBoxSide;
  std::string output_dir;
  std::string manifest;
  Verbosity verbosity = Verbosity::kNormal;
};

}  // namespace thumbpipe
