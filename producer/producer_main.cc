// thumbpipe-producer: started by the launcher, walks the run's root folder.
#include <sys/resource.h>

#include "common/ipc_queue.h"
#include "common/log.h"
#include "common/role.h"
#include "producer/producer.h"

using namespace thumbpipe;

namespace {

// Deep trees hold one open folder per level.
void RaiseOpenFileLimit() {
  rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  RoleContext context;
  std::unique_ptr<IpcQueue> work, results;
  Status status = AttachToRun(argc, argv, "producer", /*needs_index=*/false, &context);
  if (status.ok()) status = IpcQueue::Open(context.names.work(), &work);
  if (status.ok()) status = IpcQueue::Open(context.names.results(), &results);
  if (!status.ok()) {
    LogError("{}", status.message());
    return kRoleExitSetup;
  }
  RaiseOpenFileLimit();
  // A full work queue holds 256 files, milliseconds of work even for tiny images: the producer
  // waits a millisecond or more before trying again and then refills it in a burst, rather
  // than waking for every file a worker takes, which would cost a worker its CPU each time.
  work->SetPollPauses(std::chrono::milliseconds(1), std::chrono::milliseconds(4));

  ControlBlock* block = context.control->block();
  ProducerEnv env;
  env.work = work.get();
  env.results = results.get();
  env.counters = &block->counters;
  env.walk_done = &block->walk_done;
  env.workers = context.options.workers;
  env.give_up = [&context] { return LauncherGoneReason(context); };
  env.stop_requested = [block] {
    return block->stop_requested.load(std::memory_order_relaxed) != 0;
  };
  env.output_dir = context.options.output_dir;
  env.readahead = context.options.readahead;
  env.output_files = {context.options.manifest,
                      JournalPath(context.options.manifest, context.launcher_pid),
                      context.options.stats_json};
  status = Producer(std::move(env)).Run(context.options.root);
  return RoleExitStatus(status);
}
