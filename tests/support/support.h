// Helpers for tests: temporary folders, running the real binaries with a time limit, reading
// manifests and thumbnails back.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace thumbpipe::testing {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& bytes);
std::string ReadFile(const std::string& path);
std::vector<std::string> ListFolder(const std::string& path);  // sorted names, no dot entries

struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal
  bool timed_out = false;
  std::string out;
  std::string err;
  pid_t pid = 0;
  double seconds = 0;
};

struct CommandOptions {
  std::string cwd;                         // empty: the current folder
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::chrono::seconds timeout{120};       // then the whole process group is killed
};

// A command running in its own process group, its stdout and stderr going to files (so it
// never blocks on a full pipe). The destructor kills what is left of the group.
class Command {
 public:
  Command(const std::vector<std::string>& argv, const CommandOptions& options = {});
  ~Command();
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for it to exit (or kills the group at the time limit) and collects its output.
  CommandResult Wait();
  // stderr so far.
  std::string ErrSoFar() const;

 private:
  TempDir output_;
  pid_t pid_ = 0;
  bool waited_ = false;
  std::chrono::steady_clock::time_point start_, deadline_;
};

// Runs argv[0] (a path) to the end; see Command.
CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options = {});

// Live children of `parent` whose name (comm, at most 15 bytes) starts with `name`.
std::vector<pid_t> ChildrenOf(pid_t parent, const std::string& name = "");
// True when `pid` has exited (gone or a zombie).
bool ProcessEnded(pid_t pid);
// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
// Number of lines in a file (0 if missing).
size_t CountLines(const std::string& path);

// Paths of the binaries under test and of the test images.
std::string LauncherPath();
std::string RoleFolder();
std::string FakeWorkerPath();
std::string CorpusPath(const std::string& relative = "");

// "thumbpipe.<pid>.*" objects in /dev/shm.
std::vector<std::string> ShmObjectsOf(pid_t launcher_pid);

struct ManifestLine {
  std::string thumbnail;
  std::string source;  // unescaped
};
// Parses a manifest; fails the current test on a malformed line.
std::vector<ManifestLine> ReadManifest(const std::string& path);

struct Summary {
  bool found = false;
  long thumbnails = 0, not_images = 0, failed = 0;
  bool incremental = false;  // the counts of incremental runs follow
  long unchanged = 0, skipped_failed = 0, removed = 0;
};
// Parses the "Finished in ..." line, which must be the last line of stderr.
Summary ParseSummary(const std::string& err);

// The last line of a text, without its newline.
std::string LastLine(const std::string& text);

}  // namespace thumbpipe::testing
