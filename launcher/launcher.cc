#include "launcher/launcher.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/control_block.h"
#include "common/escape.h"
#include "common/ipc_queue.h"
#include "common/log.h"
#include "common/message.h"
#include "common/run_names.h"
#include "launcher/children.h"

namespace thumbpipe {
namespace {

// Work items waiting for a worker, and results waiting for the sink. Enough to keep every
// worker busy while the producer is descheduled; small enough to bound memory.
constexpr size_t kWorkQueueCapacity = 256;
constexpr size_t kResultQueueCapacity = 256;

constexpr auto kTick = std::chrono::milliseconds(100);

// Removes the run's shared-memory objects however the run ends.
class SharedObjects {
 public:
  explicit SharedObjects(RunNames names) : names_(std::move(names)) {}
  ~SharedObjects() {
    IpcQueue::Remove(names_.work());
    IpcQueue::Remove(names_.results());
    SharedControl::Remove(names_.control());
  }

 private:
  RunNames names_;
};

Status PrepareOutputs(const RunOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.output_dir, ec);
  if (ec || !std::filesystem::is_directory(options.output_dir)) {
    return Status::Error(fmt::format("cannot create output folder '{}': {}",
                                     EscapePath(options.output_dir),
                                     ec ? ec.message() : "a file of that name exists"));
  }
  if (::access(options.output_dir.c_str(), W_OK) != 0) {
    return Status::FromErrno(errno, "cannot write to output folder '{}'", EscapePath(options.output_dir));
  }
  const std::filesystem::path manifest_folder = std::filesystem::path(options.manifest).parent_path();
  std::filesystem::create_directories(manifest_folder, ec);
  if (ec || ::access(manifest_folder.c_str(), W_OK) != 0) {
    return Status::Error(fmt::format("cannot write the manifest '{}': its folder '{}' {}",
                                     EscapePath(options.manifest), EscapePath(manifest_folder.string()),
                                     ec ? "cannot be created: " + ec.message() : "is not writable"));
  }
  if (std::filesystem::is_directory(options.manifest)) {
    return Status::Error(fmt::format("--manifest '{}' is a folder; give a file name",
                                     EscapePath(options.manifest)));
  }
  return Status::OK();
}

class Supervisor {
 public:
  Supervisor(const RunOptions& options, RunNames names, SharedControl* control)
      : options_(options), names_(std::move(names)), control_(control) {}

  // Starts every role and supervises until all have ended; returns the exit status.
  int Run(const std::string& role_folder);

 private:
  Status Start(Role role, int index);
  void Reap();
  void OnSignal(int sig);
  void StopAll(int sig);
  bool AnyRunning() const;

  const RunOptions& options_;
  RunNames names_;
  SharedControl* control_;
  std::string role_folder_;
  std::vector<Child> children_;
  int exit_status_ = kExitOk;
  int stop_signals_ = 0;
  bool aborting_ = false;
};

Status Supervisor::Start(Role role, int index) {
  static constexpr const char* kPrograms[] = {"thumbpipe-producer", "thumbpipe-worker", "thumbpipe-sink"};
  std::vector<std::string> args = {"--run", names_.prefix};
  if (role == Role::kWorker) {
    args.push_back("--index");
    args.push_back(std::to_string(index));
  }
  Child child;
  child.role = role;
  child.index = index;
  Status status = SpawnRole(role_folder_ + "/" + kPrograms[static_cast<int>(role)], args, &child.pid);
  if (!status.ok()) return status;
  child.running = true;
  children_.push_back(child);
  return Status::OK();
}

bool Supervisor::AnyRunning() const {
  for (const Child& child : children_) {
    if (child.running) return true;
  }
  return false;
}

void Supervisor::StopAll(int sig) {
  for (const Child& child : children_) {
    if (child.running) ::kill(child.pid, sig);
  }
}

void Supervisor::Reap() {
  for (;;) {
    int wait_status = 0;
    const pid_t pid = ::waitpid(-1, &wait_status, WNOHANG);
    if (pid <= 0) return;
    for (Child& child : children_) {
      if (child.pid != pid || !child.running) continue;
      child.running = false;
      child.wait_status = wait_status;
      const bool clean = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
      if (!clean && !aborting_) {
        LogError("{} (pid {}) {}; stopping the run", ChildName(child), pid,
                 DescribeWaitStatus(wait_status));
        aborting_ = true;
        if (exit_status_ == kExitOk) exit_status_ = kExitFailed;
        StopAll(SIGKILL);
      }
    }
  }
}

void Supervisor::OnSignal(int sig) {
  ++stop_signals_;
  if (exit_status_ == kExitOk) exit_status_ = 128 + sig;
  if (stop_signals_ == 1) {
    LogError("{}: finishing the files in hand and writing the manifest (signal again to stop at once)",
             ::sigabbrev_np(sig) != nullptr ? std::string("SIG") + ::sigabbrev_np(sig) : "signal");
    control_->block()->stop_requested.store(1, std::memory_order_relaxed);
  } else if (!aborting_) {
    LogError("stopping at once");
    aborting_ = true;
    StopAll(SIGKILL);
  }
}

int Supervisor::Run(const std::string& role_folder) {
  role_folder_ = role_folder;
  sigset_t signals;
  ::sigemptyset(&signals);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&signals, sig);

  // The sink first, so results have somewhere to go; the producer last.
  Status status = Start(Role::kSink, -1);
  for (int i = 0; status.ok() && i < options_.workers; ++i) status = Start(Role::kWorker, i);
  if (status.ok()) status = Start(Role::kProducer, -1);
  if (!status.ok()) {
    LogError("{}", status.message());
    aborting_ = true;
    exit_status_ = kExitFailed;
    StopAll(SIGKILL);
  }

  const timespec tick{0, std::chrono::nanoseconds(kTick).count()};
  while (AnyRunning()) {
    siginfo_t info;
    const int sig = ::sigtimedwait(&signals, &info, &tick);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) OnSignal(sig);
    Reap();
  }
  return exit_status_;
}

std::string Summary(double seconds, const RunCounters& counters) {
  return fmt::format("Finished in {:.2f} s: {} thumbnails, {} not images, {} failed", seconds,
                     counters.thumbnails.load(), counters.not_images.load(), counters.failed.load());
}

}  // namespace

int RunThumbpipe(const RunOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::string role_folder;
  Status status = FindRoleFolder(&role_folder);
  if (status.ok()) status = PrepareOutputs(options);
  if (!status.ok()) {
    LogError("{}", status.message());
    return kExitUsage;
  }

  // Signals are taken synchronously in the supervision loop; block them before any child
  // exists so none is lost.
  sigset_t signals;
  ::sigemptyset(&signals);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&signals, sig);
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);

  RunNames names;
  status = NewRunNames(::getpid(), &names);
  if (!status.ok()) {
    LogError("{}", status.message());
    return kExitFailed;
  }
  SharedObjects cleanup(names);
  std::unique_ptr<SharedControl> control;
  std::unique_ptr<IpcQueue> work, results;
  status = SharedControl::Create(names.control(), options, &control);
  if (status.ok()) {
    status = IpcQueue::Create(names.work(), kWorkQueueCapacity, kMaxWorkMessageBytes, &work);
  }
  if (status.ok()) {
    status = IpcQueue::Create(names.results(), kResultQueueCapacity, kMaxResultMessageBytes, &results);
  }
  if (!status.ok()) {
    LogError("{}", status.message());
    return kExitFailed;
  }

  Supervisor supervisor(options, names, control.get());
  const int exit_status = supervisor.Run(role_folder);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogLine(Summary(seconds, control->block()->counters));
  return exit_status;
}

}  // namespace thumbpipe
