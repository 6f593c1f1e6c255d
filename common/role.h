// What every role process (producer, worker, sink) does first: read its place in the run from
// argv ("--run <prefix> [--index N]"), map the control block, and set up the process so that
// the launcher alone decides about signals and the run's fate.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/control_block.h"
#include "common/run_names.h"
#include "common/status.h"

namespace thumbpipe {

// Exit codes of the role processes, read by the launcher.
inline constexpr int kRoleExitOk = 0;
inline constexpr int kRoleExitFailed = 1;       // gave up during the run
inline constexpr int kRoleExitSetup = 2;        // could not start: never worth a respawn
inline constexpr int kRoleExitQueueBroken = 3;  // a queue failed (its lock is held by the dead?)

struct RoleContext {
  RunNames names;
  int index = -1;  // worker index; -1 for producer and sink
  pid_t launcher_pid = 0;
  std::unique_ptr<SharedControl> control;
  RunOptions options;
};

// `role` is the program's short name ("worker"); it becomes the log prefix. On failure the
// status explains what was wrong; the caller exits with kRoleExitSetup.
Status AttachToRun(int argc, char** argv, std::string_view role, bool needs_index,
                   RoleContext* context);

// Non-empty when the launcher is gone (the role should exit).
std::string LauncherGoneReason(const RoleContext& context);

// The exit status for a role that stopped on `status` during the run.
int RoleExitStatus(const Status& status);

}  // namespace thumbpipe
