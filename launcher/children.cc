#include "launcher/children.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common/log.h"

namespace thumbpipe {
namespace {

bool IsExecutable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

bool HoldsRoles(const std::string& folder) {
  for (Role role : {Role::kProducer, Role::kWorker, Role::kSink}) {
    if (!IsExecutable(folder + "/" + RoleProgram(role))) return false;
  }
  return true;
}

}  // namespace

const char* RoleProgram(Role role) {
  switch (role) {
    case Role::kProducer:
      return "thumbpipe-producer";
    case Role::kSink:
      return "thumbpipe-sink";
    case Role::kWorker:
      return "thumbpipe-worker";
  }
  return "?";
}

std::string ChildName(const Child& child) {
  if (child.role == Role::kWorker)
    return fmt::format("{}[{}]", RoleProgram(child.role), child.index);
  return RoleProgram(child.role);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return fmt::format("exited with status {}", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = ::sigdescr_np(sig);
    return fmt::format("was killed by signal {} ({})", sig, name != nullptr ? name : "unknown");
  }
  return fmt::format("ended with wait status {:#x}", wait_status);
}

Status FindRoleFolder(std::string* folder) {
  if (const char* env = std::getenv("THUMBPIPE_LIBEXEC_DIR"); env != nullptr && *env != '\0') {
    if (!HoldsRoles(env)) {
      return Status::Error(fmt::format(
          "THUMBPIPE_LIBEXEC_DIR='{}' does not hold thumbpipe-producer, -worker and -sink", env));
    }
    *folder = env;
    return Status::OK();
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::Error(fmt::format("cannot find my own program: {}", ec.message()));
  const std::string own = self.parent_path().string();
  const std::string installed =
      (self.parent_path() / THUMBPIPE_BIN_TO_LIBEXEC).lexically_normal().string();
  for (const std::string& candidate : {own, installed}) {
    if (HoldsRoles(candidate)) {
      *folder = candidate;
      return Status::OK();
    }
  }
  return Status::Error(fmt::format(
      "cannot find thumbpipe-producer, -worker and -sink in '{}' or '{}'; reinstall thumbpipe", own,
      installed));
}

Status SpawnRole(const std::string& program, const std::vector<std::string>& args, pid_t* pid) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t launcher = ::getpid();
  // Made before fork: the child may only make async-signal-safe calls.
  const std::string exec_failed = LogLineStart(LogPriority::kError, StderrTarget()) +
                                  "thumbpipe: cannot execute role program: ";

  const pid_t child = ::fork();
  if (child < 0) return Status::FromErrno(errno, "cannot start '{}'", program);
  if (child == 0) {
    // Only async-signal-safe calls from here to exec.
    sigset_t all;
    ::sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int sig : {SIGHUP, SIGCHLD, SIGPIPE}) ::signal(sig, SIG_DFL);
    // Interrupts reach the whole process group; the launcher alone acts on them. Ignored
    // dispositions survive exec, so there is no moment in which a role dies of one.
    for (int sig : {SIGINT, SIGTERM}) ::signal(sig, SIG_IGN);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != launcher) ::_exit(127);  // the launcher died before prctl took effect
    ::execv(program.c_str(), argv.data());
    (void)!::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    const char* reason = ::strerrordesc_np(errno);
    (void)!::write(STDERR_FILENO, reason, ::strlen(reason));
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
  }
  *pid = child;
  return Status::OK();
}

}  // namespace thumbpipe
