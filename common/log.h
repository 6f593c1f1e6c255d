// Logging to stderr for every process of a run. Each line goes out in one write(2), so lines
// from several processes sharing stderr never interleave mid-line.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace thumbpipe {

enum class Verbosity : int { kQuiet = 0, kNormal = 1, kVerbose = 2 };

// Process-wide settings, set once at start-up before any other thread exists.
void SetLogVerbosity(Verbosity verbosity);
Verbosity LogVerbosity();
// The word that prefixes every line: "thumbpipe" in the launcher, "thumbpipe-worker[3]" ...
void SetLogPrefix(std::string_view prefix);

// Writes "<prefix>: <text>\n".
void LogLine(std::string_view text);

// Errors that end the run or a process: always shown.
template <typename... Args>
void LogError(fmt::format_string<Args...> format, Args&&... args) {
  LogLine(fmt::format(format, std::forward<Args>(args)...));
}
// Per-file problems and warnings: hidden by --quiet.
template <typename... Args>
void LogWarning(fmt::format_string<Args...> format, Args&&... args) {
  if (LogVerbosity() >= Verbosity::kNormal)
    LogLine(fmt::format(format, std::forward<Args>(args)...));
}
// Per-file progress: shown with --verbose only.
template <typename... Args>
void LogVerbose(fmt::format_string<Args...> format, Args&&... args) {
  if (LogVerbosity() >= Verbosity::kVerbose)
    LogLine(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace thumbpipe
