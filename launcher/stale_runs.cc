#include "launcher/stale_runs.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "common/escape.h"
#include "common/log.h"
#include "common/run_names.h"

namespace thumbpipe {
namespace {

// ".<name>.<pid>.tmp" or ".<name>.<pid>.journal" -> pid, else 0.
long LeftoverPid(const std::string& file, const std::string& manifest_name) {
  const std::string start = "." + manifest_name + ".";
  if (!file.starts_with(start)) return 0;
  std::string_view rest = std::string_view(file).substr(start.size());
  long pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  const std::string_view suffix(end, static_cast<size_t>(rest.data() + rest.size() - end));
  if (ec != std::errc() || pid <= 0 || (suffix != ".tmp" && suffix != ".journal")) return 0;
  return pid;
}

}  // namespace

bool ProcessIsGone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

int RemoveStaleRuns(const std::string& manifest) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ec)) {
    const std::string name = entry.path().filename().string();
    std::string prefix;
    pid_t pid = 0;
    if (ParseRunObjectName(name, &prefix, &pid) && ProcessIsGone(pid) &&
        ::shm_unlink(("/" + name).c_str()) == 0) {
      LogVerbose("removed '{}', left by a run whose launcher (pid {}) is gone", name, pid);
      ++removed;
    }
  }
  const std::filesystem::path path(manifest);
  const std::string manifest_name = path.filename().string();
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    const long pid = LeftoverPid(name, manifest_name);
    if (pid != 0 && ProcessIsGone(pid) && ::unlink(entry.path().c_str()) == 0) {
      LogVerbose("removed '{}', left by a run whose launcher (pid {}) is gone",
                 EscapePath(entry.path().string()), pid);
      ++removed;
    }
  }
  return removed;
}

}  // namespace thumbpipe
