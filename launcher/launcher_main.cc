// thumbpipe: the command users run. Parses the command line and hands over to the launcher.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/log.h"
#include "launcher/command_line.h"
#include "launcher/launcher.h"

using namespace thumbpipe;

int main(int argc, char** argv) {
  SetLogPrefix("thumbpipe");
  CommandLineContext context;
  std::error_code ec;
  context.cwd = std::filesystem::current_path(ec).string();
  if (ec) {
    LogError("cannot read the current folder: {}", ec.message());
    return kExitUsage;
  }
  context.default_workers = AvailableCpus();
  context.memory_bytes = PhysicalMemory();
  context.xdg_cache_home = std::getenv("XDG_CACHE_HOME");
  context.home = std::getenv("HOME");

  RunOptions options;
  std::string text;
  switch (ParseCommandLine(argc, argv, context, &options, &text)) {
    case ParseOutcome::kPrintText:
      fmt::print("{}", text);
      return kExitOk;
    case ParseOutcome::kUsageError:
      LogError("{}", text);
      return kExitUsage;
    case ParseOutcome::kRun:
      break;
  }
  SetLogVerbosity(options.verbosity);
  return RunThumbpipe(options);
}
