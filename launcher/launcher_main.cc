// thumbpipe: the command users run. Parses the command line and hands over to the launcher.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "common/log.h"
#include "launcher/command_line.h"
#include "launcher/launcher.h"
#include "launcher/merge_command.h"

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
  if (argc > 1 && std::string_view(argv[1]) == "merge") {
    return RunMergeCommand(argc - 1, argv + 1, context.cwd);
  }
  context.default_workers = AvailableCpus();
  context.memory_bytes = PhysicalMemory();
  context.environment = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };

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
