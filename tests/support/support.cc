#include "tests/support/support.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "sink/manifest.h"

extern char** environ;

namespace thumbpipe::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base ? base : "/tmp") + "/thumbpipe-test.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  // Tests may leave folders unreadable; make everything removable first.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> ListFolder(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir(path.c_str())) {
    while (const dirent* d = ::readdir(dir)) {
      const std::string name = d->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Command::Command(const std::vector<std::string>& argv, const CommandOptions& options) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, (output_ / "out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, (output_ / "err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : options.env) env[key] = value;
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp, args;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (std::string& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  start_ = std::chrono::steady_clock::now();
  deadline_ = start_ + options.timeout;
  const int spawned = ::posix_spawn(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0)
    throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(spawned));
}

Command::~Command() {
  if (!waited_) {
    ::killpg(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string Command::ErrSoFar() const { return ReadFile(output_ / "err"); }

CommandResult Command::Wait() {
  CommandResult result;
  result.pid = pid_;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (std::chrono::steady_clock::now() > deadline_) {
      result.timed_out = true;
      ::killpg(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    ::usleep(5000);
  }
  waited_ = true;
  // Nothing of the group may outlive the test, even if the command misbehaved.
  ::killpg(pid_, SIGKILL);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(output_ / "out");
  result.err = ReadFile(output_ / "err");
  return result;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options) {
  return Command(argv, options).Wait();
}

namespace {

// (ppid, comm, state) of a process from /proc/<pid>/stat; false if it is gone.
bool ReadStat(pid_t pid, pid_t* ppid, std::string* comm, char* state) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size())
    return false;
  *comm = stat.substr(open + 1, close - open - 1);
  *state = stat[close + 2];
  *ppid = static_cast<pid_t>(std::atol(stat.c_str() + close + 4));
  return true;
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent, const std::string& name) {
  std::vector<pid_t> children;
  for (const std::string& entry : ListFolder("/proc")) {
    if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(entry.c_str()));
    pid_t ppid = 0;
    std::string comm;
    char state = 0;
    if (ReadStat(pid, &ppid, &comm, &state) && ppid == parent && state != 'Z' &&
        comm.starts_with(name.substr(0, 15))) {
      children.push_back(pid);
    }
  }
  return children;
}

bool ProcessEnded(pid_t pid) {
  pid_t ppid = 0;
  std::string comm;
  char state = 0;
  return !ReadStat(pid, &ppid, &comm, &state) || state == 'Z' || state == 'X';
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ::usleep(20000);
  }
  return true;
}

size_t CountLines(const std::string& path) {
  const std::string text = ReadFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string LauncherPath() { return THUMBPIPE_TEST_BIN_DIR "/thumbpipe"; }
std::string RoleFolder() { return THUMBPIPE_TEST_BIN_DIR; }
std::string FakeWorkerPath() { return THUMBPIPE_TEST_BIN_DIR "/fake-worker"; }

std::string CorpusPath(const std::string& relative) {
  const char* env = std::getenv("THUMBPIPE_CORPUS_DIR");
  std::string base = env != nullptr && *env ? env : THUMBPIPE_TEST_CORPUS_DIR;
  base = std::filesystem::weakly_canonical(base).string();
  return relative.empty() ? base : base + "/" + relative;
}

std::vector<std::string> ShmObjectsOf(pid_t launcher_pid) {
  std::vector<std::string> found;
  const std::string prefix = "thumbpipe." + std::to_string(launcher_pid) + ".";
  for (const std::string& name : ListFolder("/dev/shm")) {
    if (name.starts_with(prefix)) found.push_back(name);
  }
  return found;
}

std::vector<ManifestLine> ReadManifest(const std::string& path) {
  std::vector<ManifestLine> lines;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    ManifestLine parsed;
    EXPECT_TRUE(ParseManifestLine(line, &parsed.thumbnail, &parsed.source)) << line;
    lines.push_back(parsed);
  }
  return lines;
}

std::string LastLine(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  const size_t newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

Summary ParseSummary(const std::string& err) {
  static const std::regex kSummary(
      R"(^thumbpipe: Finished in [0-9]+\.[0-9]+ s: ([0-9]+) thumbnails, ([0-9]+) not images, ([0-9]+) failed)"
      R"((; ([0-9]+) unchanged, ([0-9]+) failed before and not retried(, ([0-9]+) removed)?)?$)");
  Summary summary;
  std::smatch match;
  const std::string last = LastLine(err);
  if (std::regex_match(last, match, kSummary)) {
    summary.found = true;
    summary.thumbnails = std::stol(match[1]);
    summary.not_images = std::stol(match[2]);
    summary.failed = std::stol(match[3]);
    if (match[4].matched) {
      summary.incremental = true;
      summary.unchanged = std::stol(match[5]);
      summary.skipped_failed = std::stol(match[6]);
      if (match[8].matched) summary.removed = std::stol(match[8]);
    }
  }
  return summary;
}

}  // namespace thumbpipe::testing
