#include "launcher/supervisor.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/desktop_cache.h"
#include "common/escape.h"
#include "common/log.h"
#include "common/message.h"
#include "common/role.h"
#include "launcher/stale_runs.h"
#include "launcher/stop_exit_status.h"
#include "sink/manifest.h"

namespace thumbpipe {
namespace {

constexpr auto kTick = std::chrono::milliseconds(100);
// A worker that dies this soon after starting, before doing any work, failed its start-up.
constexpr int64_t kStartupWindowNs = kNanosPerSecond;
constexpr int kMaxStartupFailures = 3;
// An orderly stop may take this long before everything is killed.
constexpr int64_t kStopGraceNs = 10 * kNanosPerSecond;
// Once the sink is done, workers have this long to exit.
constexpr int64_t kExitGraceNs = 5 * kNanosPerSecond;

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : fmt::format("signal {}", sig);
}

bool ExitedWith(int wait_status, int code) {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == code;
}

}  // namespace

Supervisor::Supervisor(SupervisorEnv env)
    : env_(std::move(env)),
      slots_(static_cast<size_t>(env_.options.workers)),
      progress_(env_.control->block(), Progress::ModeFor(env_.options.progress, StderrTarget())) {}

Status Supervisor::Start(Role role, int index) {
  std::vector<std::string> args = {"--run", env_.names.prefix};
  if (role == Role::kWorker) {
    args.push_back("--index");
    args.push_back(std::to_string(index));
    WorkerSlot& slot = SlotOf(index);
    SlotSetState(&slot, SlotState::kStarting);
    slot.pid.store(0, std::memory_order_relaxed);
  }
  Process process;
  process.role = role;
  process.index = index;
  process.started_ns = MonotonicNanos();
  if (role == Role::kWorker) process.items_at_start = SlotOf(index).items_done.load();
  if (Status status = SpawnRole(env_.role_folder + "/" + RoleProgram(role), args, &process.pid);
      !status.ok()) {
    return status;
  }
  process.running = true;
  processes_.push_back(process);
  return Status::OK();
}

bool Supervisor::AnyRunning() const {
  for (const Process& p : processes_) {
    if (p.running) return true;
  }
  return false;
}

bool Supervisor::Running(Role role) const {
  for (const Process& p : processes_) {
    if (p.running && p.role == role) return true;
  }
  return false;
}

void Supervisor::Abort(const std::string& reason) {
  if (aborting_) return;
  aborting_ = true;
  if (!reason.empty()) LogError("{}", reason);
  if (exit_status_ == 0) exit_status_ = 1;
  for (const Process& p : processes_) {
    if (p.running) ::kill(p.pid, SIGKILL);
  }
}

bool Supervisor::QueuesAreSound() {
  for (IpcQueue* queue : {env_.work, env_.results}) {
    size_t count = 0;
    if (Status status = queue->CountMessages(&count); !status.ok()) {
      Abort(fmt::format("a process died holding a queue's lock, so the run cannot go on ({})",
                        status.message()));
      return false;
    }
  }
  return true;
}

Status Supervisor::SendResult(const Result& result) {
  std::vector<char> buffer(kMaxResultMessageBytes);
  const size_t size = EncodeResult(result, buffer);
  return SendWaiting(env_.results, {buffer.data(), size}, [this] {
    return Running(Role::kSink) ? std::string() : std::string("the sink is gone");
  });
}

void Supervisor::Reap() {
  for (;;) {
    int wait_status = 0;
    struct rusage usage {};
    const pid_t pid = ::wait4(-1, &wait_status, WNOHANG, &usage);
    if (pid <= 0) return;
    for (Process& p : processes_) {
      if (p.pid == pid && p.running) {
        p.running = false;
        p.wait_status = wait_status;
        p.peak_rss_kib = usage.ru_maxrss;
        OnExit(p);
        break;
      }
    }
  }
}

void Supervisor::OnExit(Process& p) {
  if (aborting_) return;  // we killed it
  const bool clean = ExitedWith(p.wait_status, kRoleExitOk);
  const std::string how =
      fmt::format("{} (pid {}) {}", ChildName(p), p.pid, DescribeWaitStatus(p.wait_status));
  switch (p.role) {
    case Role::kSink:
      if (clean) {
        sink_done_ = true;
        sink_done_ns_ = MonotonicNanos();
      } else if (QueuesAreSound()) {
        Abort(how + "; stopping the run");
      }
      return;
    case Role::kProducer:
      producer_done_ = true;
      if (!clean && QueuesAreSound()) {
        LogError("{}; finishing the files found so far", how);
        exit_status_ = exit_status_ == 0 ? 1 : exit_status_;
      }
      return;
    case Role::kWorker:
      OnWorkerExit(p);
      return;
  }
}

void Supervisor::OnWorkerExit(Process& p) {
  const int status = p.wait_status;
  SlotRecord& record = slots_[static_cast<size_t>(p.index)];
  // A worker killed while it decoded (a crash, --timeout, SIGKILL from outside) still holds
  // its decode slot: give it back before anything else, and before a replacement takes the
  // same index.
  if (ReclaimDecodeSlots(&env_.control->block()->decode_slots, p.index) > 0) {
    LogVerbose("{} (pid {}) held a decode slot; given back", ChildName(p), p.pid);
  }
  if (ExitedWith(status, kRoleExitOk)) {
    record.done = true;
    return;
  }
  const std::string how =
      fmt::format("{} (pid {}) {}", ChildName(p), p.pid, DescribeWaitStatus(status));
  if (ExitedWith(status, kRoleExitSetup)) {
    Abort(how + " at start-up; stopping the run");
    return;
  }
  if (!QueuesAreSound()) return;
  if (ExitedWith(status, kRoleExitQueueBroken)) {
    Abort(how + " after a queue failed; stopping the run");
    return;
  }

  WorkerSlot& slot = SlotOf(p.index);
  const SlotState state = SlotGetState(slot);
  if (state == SlotState::kEnding || state == SlotState::kFinished) {
    // It had taken its sentinel: nothing to redo, but the sink must still hear its end.
    record.done = true;
    LogWarning("{} after its last file", how);
    Result end;
    end.kind = ResultKind::kEnd;
    end.worker = static_cast<uint16_t>(p.index);
    if (Status sent = SendResult(end); !sent.ok()) Abort(sent.message());
    return;
  }
  if (state == SlotState::kBusy) {
    Result failed;
    failed.kind = ResultKind::kFailed;
    failed.worker = static_cast<uint16_t>(p.index);
    failed.item = slot.item.load();
    WorkItem held;
    if (SlotReadItem(slot, &held)) {
      failed.path = std::move(held.path);
      failed.stamp = held.stamp;
      failed.found_ns = held.found_ns;
    } else {
      failed.path = "(unknown)";
    }
    const bool timed_out = !p.watchdog_reason.empty() && p.watchdog_item == failed.item;
    failed.reason =
        timed_out ? p.watchdog_reason
                  : fmt::format("the worker {} while decoding it", DescribeWaitStatus(status));
    // A crash or a time-out is the file's doing, and remembered by incremental runs; a
    // SIGKILL from outside (the OOM killer, an admin) may not be: the next run tries again.
    if (!timed_out && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      failed.flags |= kResultTransient;
    }
    LogWarning("{} on '{}'; starting another", how, EscapePath(failed.path));
    if (env_.options.layout == OutputLayout::kFreedesktop &&
        (failed.flags & kResultTransient) == 0 && failed.stamp != FileStamp()) {
      RecordDesktopFailureOf(failed);
    }
    if (Status sent = SendResult(failed); !sent.ok()) {
      Abort(sent.message());
      return;
    }
    startup_failures_ = 0;
  } else if (slot.items_done.load() == p.items_at_start &&
             MonotonicNanos() - p.started_ns < kStartupWindowNs) {
    if (++startup_failures_ >= kMaxStartupFailures) {
      Abort(fmt::format("{}: workers keep dying at start-up; stopping the run", how));
      return;
    }
    LogWarning("{} at start-up; starting another", how);
  } else {
    LogWarning("{} while idle; starting another", how);
  }
  if (Status started = Start(Role::kWorker, p.index); !started.ok()) Abort(started.message());
}

void Supervisor::RecordDesktopFailureOf(const Result& failed) {
  // The worker that would have written the marker is dead: without it, every later run would
  // crash or hang on the file again.
  std::unique_ptr<OutputDir> cache;
  Status status = OutputDir::Open(env_.options.output_dir, &cache);
  if (status.ok()) {
    status = RecordDesktopFailure(cache.get(), env_.options.desktop_flavours, failed.path,
                                  failed.stamp, failed.reason);
  }
  if (!status.ok()) {
    LogWarning("cannot write the failure marker of '{}': {}", EscapePath(failed.path),
               status.message());
  }
}

void Supervisor::Watchdog(int64_t now_ns) {
  if (env_.options.timeout_seconds <= 0) return;
  const auto limit_ns = static_cast<int64_t>(env_.options.timeout_seconds * kNanosPerSecond);
  for (Process& p : processes_) {
    if (!p.running || p.role != Role::kWorker || !p.watchdog_reason.empty()) continue;
    const WorkerSlot& slot = SlotOf(p.index);
    if (SlotGetState(slot) != SlotState::kBusy) continue;
    if (now_ns - slot.busy_since_ns.load(std::memory_order_relaxed) < limit_ns) continue;
    p.watchdog_item = slot.item.load();
    p.watchdog_reason =
        fmt::format("timed out after {:g} s (--timeout)", env_.options.timeout_seconds);
    ::kill(p.pid, SIGKILL);
  }
}

void Supervisor::TopUpSentinels(int64_t now_ns) {
  // See sentinel_timer.h.
  if (!producer_done_) return;
  size_t queued = 0;
  if (Status status = env_.work->CountMessages(&queued); !status.ok()) {
    QueuesAreSound();
    return;
  }
  for (Process& p : processes_) {
    if (!p.running || p.role != Role::kWorker) continue;
    const bool waiting = queued == 0 && SlotGetState(SlotOf(p.index)) == SlotState::kIdle;
    if (!slots_[static_cast<size_t>(p.index)].top_up.Due(waiting, now_ns)) continue;
    std::vector<char> buffer(kMaxWorkMessageBytes);
    const size_t size = EncodeWorkItem(WorkItem{WorkKind::kEnd, {}, {}, 0}, buffer);
    bool sent = false;
    if (Status status = env_.work->Send({buffer.data(), size}, kTick, &sent); !status.ok()) {
      QueuesAreSound();
      return;
    }
  }
}

void Supervisor::OnStopSignal(int sig) {
  ++stop_signals_;
  exit_status_ = StopExitStatus(env_.options.watch, sig, exit_status_);
  if (stop_signals_ == 1 && !aborting_) {
    LogError(
        "{}: stopping; files in hand are finished and the manifest is written "
        "(send it again to stop at once)",
        SignalName(sig));
    stopping_ = true;
    stop_deadline_ns_ = MonotonicNanos() + kStopGraceNs;
    if (env_.service != nullptr) env_.service->Stopping(*env_.control->block(), MonotonicNanos());
    env_.control->block()->stop_requested.store(1, std::memory_order_relaxed);
  } else if (!aborting_) {
    const int status = exit_status_;
    Abort(fmt::format("{}: stopping at once", SignalName(sig)));
    exit_status_ = status;
  }
}

void Supervisor::RecoverManifest() {
  const std::string journal =
      JournalPath(env_.options.manifest, env_.control->block()->launcher_pid);
  if (::access(journal.c_str(), F_OK) != 0) return;  // the sink never got to start it
  size_t lines = 0;
  if (Status status = WriteManifestFromJournal(
          journal, env_.options.manifest,
          ManifestSpillPrefix(env_.options.manifest, env_.control->block()->launcher_pid), &lines);
      !status.ok()) {
    LogError("cannot write the manifest from the journal: {}", status.message());
    return;
  }
  LogError("wrote the manifest of the {} thumbnails made before the run stopped", lines);
}

std::string Supervisor::PeakMemory() const {
  struct rusage self {};
  ::getrusage(RUSAGE_SELF, &self);
  std::string text = fmt::format("peak resident memory (KiB): thumbpipe {}", self.ru_maxrss);
  for (const Process& p : processes_) {
    if (!p.running) text += fmt::format(", {} {}", ChildName(p), p.peak_rss_kib);
  }
  return text;
}

uint64_t Supervisor::NotDone() const {
  const RunCounters& c = env_.control->block()->counters;
  const uint64_t reported = c.thumbnails.load() + c.not_images.load() + c.failed.load();
  const uint64_t found = c.found.load();
  return found > reported ? found - reported : 0;
}

sigset_t SupervisedSignals() {
  sigset_t signals;
  ::sigemptyset(&signals);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&signals, sig);
  return signals;
}

int Supervisor::Run() {
  const sigset_t signals = SupervisedSignals();

  // The sink first, so results have somewhere to go; the producer last.
  Status status = Start(Role::kSink, -1);
  for (int i = 0; status.ok() && i < env_.options.workers; ++i) status = Start(Role::kWorker, i);
  if (status.ok()) status = Start(Role::kProducer, -1);
  if (!status.ok()) Abort(status.message());

  const timespec tick{0, std::chrono::nanoseconds(kTick).count()};
  while (AnyRunning()) {
    siginfo_t info;
    const int sig = ::sigtimedwait(&signals, &info, &tick);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) OnStopSignal(sig);
    Reap();
    if (env_.service != nullptr) env_.service->Tick(*env_.control->block(), MonotonicNanos());
    if (aborting_) continue;
    const int64_t now = MonotonicNanos();
    progress_.Tick(now);
    Watchdog(now);
    if (!aborting_) TopUpSentinels(now);
    if (stopping_ && now > stop_deadline_ns_) {
      const int exit_status = exit_status_;
      Abort("the run did not stop in time; stopping at once");
      exit_status_ = exit_status;
    }
    if (sink_done_ && now - sink_done_ns_ > kExitGraceNs) {
      for (const Process& p : processes_) {
        if (p.running) {
          LogError("{} (pid {}) did not exit after the run; killing it", ChildName(p), p.pid);
          ::kill(p.pid, SIGKILL);
        }
      }
    }
  }
  progress_.Finish();
  if (!sink_done_) {
    // A sink that died leaves the sorted runs of its manifest; the journal has every line.
    RemoveSpilledRuns(env_.options.manifest, env_.control->block()->launcher_pid);
    RecoverManifest();
  }
  return exit_status_;
}

}  // namespace thumbpipe
