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

// ".run-<n>", the manifest's sorted runs (sink/manifest.h ManifestSpillPrefix).
bool IsRunSuffix(std::string_view suffix) {
  constexpr std::string_view kRun = ".run-";
  if (!suffix.starts_with(kRun) || suffix.size() == kRun.size()) return false;
  return suffix.substr(kRun.size()).find_first_not_of("0123456789") == std::string_view::npos;
}

// ".<name>.<pid>.tmp", ".<name>.<pid>.journal" or ".<name>.<pid>.run-<n>" -> pid, else 0.
long LeftoverPid(const std::string& file, const std::string& manifest_name, bool* is_run) {
  const std::string start = "." + manifest_name + ".";
  if (!file.starts_with(start)) return 0;
  std::string_view rest = std::string_view(file).substr(start.size());
  long pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  const std::string_view suffix(end, static_cast<size_t>(rest.data() + rest.size() - end));
  *is_run = IsRunSuffix(suffix);
  if (ec != std::errc() || pid <= 0 || (suffix != ".tmp" && suffix != ".journal" && !*is_run)) {
    return 0;
  }
  return pid;
}

}  // namespace

int RemoveSpilledRuns(const std::string& manifest, long launcher_pid) {
  int removed = 0;
  std::error_code ec;
  const std::filesystem::path path(manifest);
  const std::string manifest_name = path.filename().string();
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), ec)) {
    bool is_run = false;
    if (LeftoverPid(entry.path().filename().string(), manifest_name, &is_run) == launcher_pid &&
        is_run && ::unlink(entry.path().c_str()) == 0) {
      ++removed;
    }
  }
  return removed;
}

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
    bool is_run = false;
    const long pid = LeftoverPid(name, manifest_name, &is_run);
    if (pid != 0 && ProcessIsGone(pid) && ::unlink(entry.path().c_str()) == 0) {
      LogVerbose("removed '{}', left by a run whose launcher (pid {}) is gone",
                 EscapePath(entry.path().string()), pid);
      ++removed;
    }
  }
  return removed;
}

}  // namespace thumbpipe
