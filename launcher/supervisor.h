// The launcher's supervision of one run: starts the sink, the workers and the producer, and
// decides what every death means until all have ended. Modelled on a master process: a table
// of children, signals taken synchronously in one loop, a watchdog, respawns, escalation.
//
//   worker dies while busy        its file is reported failed, a replacement takes its index
//   worker dies after its sentinel the launcher passes its end-of-work on to the sink
//   worker dies at start-up       not respawned in a loop: the run stops
//   worker stuck on one file      killed after --timeout, reported, replaced
//   producer dies                 the files found so far are finished; sentinels are topped up
//   sink dies                     the run stops; the manifest is made from the sink's journal
//   a queue's lock is held by a dead process   the run stops
//   SIGINT/SIGTERM/SIGHUP         orderly stop; a second one stops at once (a watch run
//                                 stopped by SIGTERM exits 0: see stop_exit_status.h)
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/control_block.h"
#include "common/ipc_queue.h"
#include "common/run_names.h"
#include "launcher/children.h"
#include "launcher/progress.h"
#include "launcher/sentinel_timer.h"
#include "launcher/service_reporter.h"

namespace thumbpipe {

// The signals the supervision loop takes synchronously (children ending, requests to stop).
// They must be blocked before the first child is started, so that none is lost.
sigset_t SupervisedSignals();

struct SupervisorEnv {
  RunOptions options;
  RunNames names;
  SharedControl* control = nullptr;
  IpcQueue* work = nullptr;
  IpcQueue* results = nullptr;
  std::string role_folder;
  ServiceReporter* service = nullptr;  // told of the run's progress when set
};

class Supervisor {
 public:
  explicit Supervisor(SupervisorEnv env);

  // Runs until every child has ended; returns the exit status of the run.
  int Run();

  // After Run: the peak resident set of the launcher and of every child that ended, as
  // "peak resident memory (KiB): thumbpipe 4100, thumbpipe-sink 9000, thumbpipe-worker[0] ...".
  std::string PeakMemory() const;

  // How many found files were never reported (stopped runs, or lost with a worker).
  uint64_t NotDone() const;

 private:
  // --layout freedesktop: the failure marker of a file its worker crashed or timed out on.
  void RecordDesktopFailureOf(const Result& failed);
  struct Process : Child {
    int64_t started_ns = 0;
    uint64_t items_at_start = 0;
    std::string watchdog_reason;  // set when the watchdog killed it
    uint64_t watchdog_item = 0;
  };
  // How long a worker waits for work, with nothing queued and the producer gone, before the
  // launcher sends it a sentinel.
  static constexpr int64_t kIdleBeforeTopUpNs = 1'000'000'000;
  struct SlotRecord {
    bool done = false;  // its end-of-work reached the sink
    SentinelTimer top_up{kIdleBeforeTopUpNs};
  };

  Status Start(Role role, int index);
  void Reap();
  void OnExit(Process& process);
  void OnWorkerExit(Process& process);
  void OnStopSignal(int sig);
  void Watchdog(int64_t now_ns);
  void TopUpSentinels(int64_t now_ns);
  void Abort(const std::string& reason);
  bool QueuesAreSound();
  Status SendResult(const Result& result);
  void RecoverManifest();
  bool AnyRunning() const;
  bool Running(Role role) const;
  WorkerSlot& SlotOf(int index) { return env_.control->block()->slots[index]; }

  SupervisorEnv env_;
  std::vector<Process> processes_;
  std::vector<SlotRecord> slots_;
  Progress progress_;
  int startup_failures_ = 0;
  bool producer_done_ = false;
  bool sink_done_ = false;
  bool stopping_ = false;
  bool aborting_ = false;
  int stop_signals_ = 0;
  int64_t stop_deadline_ns_ = 0;
  int64_t sink_done_ns_ = 0;
  int exit_status_ = 0;
};

}  // namespace thumbpipe
