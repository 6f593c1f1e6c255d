// Starting role processes and describing how they ended. Launcher only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace thumbpipe {

enum class Role { kProducer, kWorker, kSink };

struct Child {
  Role role = Role::kWorker;
  int index = -1;  // worker index
  pid_t pid = 0;
  bool running = false;
  int wait_status = 0;    // from waitpid, once !running
  long peak_rss_kib = 0;  // its largest resident set (ru_maxrss), once !running
};

// The program of a role: "thumbpipe-producer", "thumbpipe-worker", "thumbpipe-sink".
const char* RoleProgram(Role role);
// "thumbpipe-worker[3]", "thumbpipe-sink"
std::string ChildName(const Child& child);
// "exited with status 2", "was killed by signal 11 (Segmentation fault)"
std::string DescribeWaitStatus(int wait_status);

// The folder holding thumbpipe-producer, -worker and -sink: $THUMBPIPE_LIBEXEC_DIR if set, else
// the launcher's own folder (a build tree), else <prefix>/libexec/thumbpipe (an install).
Status FindRoleFolder(std::string* folder);

// fork + exec of `program` with `args`. In the child: default signal handling and mask, and
// a kernel request to be killed when the launcher dies. The launcher must have no threads.
Status SpawnRole(const std::string& program, const std::vector<std::string>& args, pid_t* pid);

}  // namespace thumbpipe
