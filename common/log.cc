#include "common/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>

namespace thumbpipe {
namespace {

Verbosity g_verbosity = Verbosity::kNormal;
std::string g_prefix = "thumbpipe";

// Erases the current terminal line: back to its start, then clear to its end.
constexpr std::string_view kEraseLine = "\r\033[K";

template <typename T>
bool ParseDecimal(std::string_view text, T* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

void SetLogVerbosity(Verbosity verbosity) { g_verbosity = verbosity; }
Verbosity LogVerbosity() { return g_verbosity; }
void SetLogPrefix(std::string_view prefix) { g_prefix = prefix; }

bool JournalStreamNames(std::string_view value, dev_t device, ino_t inode) {
  const size_t colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  uint64_t named_device = 0, named_inode = 0;
  return ParseDecimal(value.substr(0, colon), &named_device) &&
         ParseDecimal(value.substr(colon + 1), &named_inode) &&
         named_device == static_cast<uint64_t>(device) &&
         named_inode == static_cast<uint64_t>(inode);
}

LogTarget DetectLogTarget(int fd, const char* journal_stream) {
  LogTarget target;
  struct stat st;
  // systemd sets JOURNAL_STREAM for the service's own stderr; a child whose stderr was sent
  // elsewhere inherits the variable, hence the comparison.
  if (journal_stream != nullptr && ::fstat(fd, &st) == 0 &&
      JournalStreamNames(journal_stream, st.st_dev, st.st_ino)) {
    target.journal = true;
  } else {
    target.terminal = ::isatty(fd) == 1;
  }
  return target;
}

LogTarget StderrTarget() {
  static const LogTarget target = DetectLogTarget(STDERR_FILENO, std::getenv("JOURNAL_STREAM"));
  return target;
}

std::string LogLineStart(LogPriority priority, LogTarget target) {
  if (target.journal) return fmt::format("<{}>", static_cast<int>(priority));
  if (target.terminal) return std::string(kEraseLine);
  return {};
}

std::string FormatLogLine(LogPriority priority, LogTarget target, std::string_view prefix,
                          std::string_view text) {
  std::string line = LogLineStart(priority, target);
  line.reserve(line.size() + prefix.size() + text.size() + 3);
  line.append(prefix).append(": ").append(text).push_back('\n');
  return line;
}

void LogLine(LogPriority priority, std::string_view text) {
  WriteToStderr(FormatLogLine(priority, StderrTarget(), g_prefix, text));
}

void WriteToStderr(std::string_view bytes) {
  // A short write to a pipe of less than PIPE_BUF is atomic, and a terminal takes each write
  // whole; longer lines are rare and finished in a loop.
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing better to do
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace thumbpipe
