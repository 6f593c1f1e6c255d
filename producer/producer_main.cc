// thumbpipe-producer: started by the launcher, walks the run's root folder.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

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
  env.workers = context.options.workers;
  env.give_up = [&context] { return LauncherGoneReason(context); };
  env.stop_requested = [block] {
    return block->stop_requested.load(std::memory_order_relaxed) != 0;
  };
  env.output_dir = context.options.output_dir;
  env.readahead = context.options.readahead;
  env.symlinks = context.options.symlinks;
  env.output_files = {context.options.manifest,
                      JournalPath(context.options.manifest, context.launcher_pid),
                      context.options.stats_json};
  env.walk_done = &block->walk_done;
  env.watch = context.options.watch;
  env.shard = context.options.shard;
  env.files_from = context.options.files_from;
  env.files_from_nul = context.options.files_from_nul;
  {
    // Temporary manifests and the journal (".<name>.*" beside the manifest), the catalog and
    // its companions, anything in the output folder.
    const std::string& manifest = context.options.manifest;
    const size_t slash = manifest.rfind('/');
    env.output_prefixes = {manifest.substr(0, slash + 1) + "." + manifest.substr(slash + 1) + ".",
                           context.options.catalog, context.options.output_dir + "/"};
  }

  std::unique_ptr<CarryOver> carry_over;
  int output_fd = -1;
  if (context.options.incremental) {
    const RunOptions& options = context.options;
    env.output_files.insert(env.output_files.end(),
                            {options.catalog, options.catalog + "-wal", options.catalog + "-shm",
                             options.catalog + ".damaged"});
    output_fd = ::open(options.output_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (output_fd < 0) {
      LogError("{}", Status::FromErrno(errno, "cannot open the output folder").message());
      return kRoleExitSetup;
    }
    if (Status loaded = CarryOver::Load(options, output_fd, &carry_over); !loaded.ok()) {
      LogWarning("{}; every file is done again", loaded.message());
    }
    env.carry_over = carry_over.get();
  }
  status = Producer(std::move(env)).Run(context.options.root);
  if (output_fd >= 0) ::close(output_fd);
  return RoleExitStatus(status);
}
