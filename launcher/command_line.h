// The launcher's command line: `thumbpipe [options] ROOT [WORKERS]`. Parsing only; no side
// effects, so every message can be tested exactly. Launcher only.
#pragma once

#include <string>

#include "common/options.h"
#include "launcher/shard_spec.h"

namespace thumbpipe {

enum class ParseOutcome {
  kRun,        // *options is filled in
  kPrintText,  // --help or --version: print *text to stdout, exit 0
  kUsageError  // print *text (one line) to stderr, exit 2
};

struct CommandLineContext {
  std::string cwd;                // to make relative paths absolute
  int default_workers = 1;        // the number of CPUs
  uint64_t memory_bytes = 0;      // the machine's memory, to size --max-memory's default
  EnvironmentLookup environment;  // for --shard slurm and k8s/N; unset: no variables
};

// On kRun, paths in *options are absolute and lexically normal; ROOT is checked to be an
// existing folder. The output folder and manifest are not touched here.
ParseOutcome ParseCommandLine(int argc, const char* const* argv, const CommandLineContext& context,
                              RunOptions* options, std::string* text);

// The number of CPUs this process may run on.
int AvailableCpus();
// The machine's physical memory in bytes.
uint64_t PhysicalMemory();

// --max-memory when not given: a fair share of three quarters of the machine's memory per
// worker, at least 1 GiB and at most 16 GiB.
uint64_t DefaultMaxMemory(uint64_t memory_bytes, int workers);

}  // namespace thumbpipe
