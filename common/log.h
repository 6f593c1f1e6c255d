// Logging to stderr for every process of a run. Each line goes out in one write(2), so lines
// from several processes sharing stderr never interleave mid-line.
//
// Where stderr goes decides how a line starts (see FormatLogLine):
//   systemd's journal  "<N>" with the line's syslog priority, so that `journalctl -p warning`
//                      shows only problems (JOURNAL_STREAM names stderr's device and inode)
//   a terminal         "\r\033[K", which erases the launcher's progress line if one is in
//                      the way, so the screen never shows a mix of the two
//   anything else      nothing
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace thumbpipe {

enum class Verbosity : int { kQuiet = 0, kNormal = 1, kVerbose = 2 };

// syslog(3) priorities, as journald reads them from a "<N>" line prefix.
enum class LogPriority : int { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

// Process-wide settings, set once at start-up before any other thread exists.
void SetLogVerbosity(Verbosity verbosity);
Verbosity LogVerbosity();
// The word that prefixes every line: "thumbpipe" in the launcher, "thumbpipe-worker[3]" ...
void SetLogPrefix(std::string_view prefix);

// Writes "<start><prefix>: <text>\n" in one write(2).
void LogLine(LogPriority priority, std::string_view text);
// An info line (the summary).
inline void LogLine(std::string_view text) { LogLine(LogPriority::kInfo, text); }

// Errors that end the run or a process: always shown.
template <typename... Args>
void LogError(fmt::format_string<Args...> format, Args&&... args) {
  LogLine(LogPriority::kError, fmt::format(format, std::forward<Args>(args)...));
}
// Per-file problems and warnings: hidden by --quiet.
template <typename... Args>
void LogWarning(fmt::format_string<Args...> format, Args&&... args) {
  if (LogVerbosity() >= Verbosity::kNormal)
    LogLine(LogPriority::kWarning, fmt::format(format, std::forward<Args>(args)...));
}
// How the run goes (progress lines when stderr is not a terminal): always shown; callers
// decide when they are due.
template <typename... Args>
void LogInfo(fmt::format_string<Args...> format, Args&&... args) {
  LogLine(LogPriority::kInfo, fmt::format(format, std::forward<Args>(args)...));
}
// Per-file progress: shown with --verbose only.
template <typename... Args>
void LogVerbose(fmt::format_string<Args...> format, Args&&... args) {
  if (LogVerbosity() >= Verbosity::kVerbose)
    LogLine(LogPriority::kDebug, fmt::format(format, std::forward<Args>(args)...));
}

// Where stderr goes, found once per process (the first log line asks).
struct LogTarget {
  bool journal = false;   // a stream of systemd's journal
  bool terminal = false;  // a terminal (never together with journal)
};
LogTarget StderrTarget();
// What `fd` is, given the value of $JOURNAL_STREAM (nullptr when unset).
LogTarget DetectLogTarget(int fd, const char* journal_stream);
// True when `value` ("<device>:<inode>", decimal, as systemd sets JOURNAL_STREAM) names this
// device and inode.
bool JournalStreamNames(std::string_view value, dev_t device, ino_t inode);

// What a line starts with for `target`: "<N>", "\r\033[K" or nothing.
std::string LogLineStart(LogPriority priority, LogTarget target);
// The whole line as LogLine writes it.
std::string FormatLogLine(LogPriority priority, LogTarget target, std::string_view prefix,
                          std::string_view text);

// Writes `bytes` to stderr as they are (the progress line), in one write(2) when it can.
void WriteToStderr(std::string_view bytes);

}  // namespace thumbpipe
