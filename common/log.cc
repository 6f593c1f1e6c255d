#include "common/log.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace thumbpipe {
namespace {

Verbosity g_verbosity = Verbosity::kNormal;
std::string g_prefix = "thumbpipe";

}  // namespace

void SetLogVerbosity(Verbosity verbosity) { g_verbosity = verbosity; }
Verbosity LogVerbosity() { return g_verbosity; }
void SetLogPrefix(std::string_view prefix) { g_prefix = prefix; }

void LogLine(std::string_view text) {
  std::string line;
  line.reserve(g_prefix.size() + text.size() + 3);
  line.append(g_prefix).append(": ").append(text).push_back('\n');
  // A short write to a pipe of less than PIPE_BUF is atomic; longer lines are rare and
  // finished in a loop.
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing better to do
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace thumbpipe
