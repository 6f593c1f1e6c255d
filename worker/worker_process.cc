#include <unistd.h>

#include "common/atomic_file.h"
#include "common/ipc_queue.h"
#include "common/log.h"
#include "common/role.h"
#include "worker/codec.h"
#include "worker/worker.h"

namespace thumbpipe {

int WorkerProcessMain(int argc, char** argv, std::function<void(const std::string&)> before_item) {
  RoleContext context;
  std::unique_ptr<IpcQueue> work, results;
  std::unique_ptr<OutputDir> output;
  Status status = AttachToRun(argc, argv, "worker", /*needs_index=*/true, &context);
  if (status.ok()) status = IpcQueue::Open(context.names.work(), &work);
  if (status.ok()) status = IpcQueue::Open(context.names.results(), &results);
  if (status.ok()) status = OutputDir::Open(context.options.output_dir, &output);
  if (!status.ok()) {
    LogError("{}", status.message());
    return kRoleExitSetup;
  }
  ConfigureCodecs(kDefaultMaxPixels);

  WorkerSlot* slot = &context.control->block()->slots[context.index];
  slot->pid.store(static_cast<int32_t>(::getpid()), std::memory_order_relaxed);
  WorkerEnv env;
  env.work = work.get();
  env.results = results.get();
  env.output = output.get();
  env.slot = slot;
  env.index = static_cast<uint16_t>(context.index);
  env.request.box = {context.options.box_width, context.options.box_height};
  env.request.max_pixels = kDefaultMaxPixels;
  env.give_up = [&context] { return LauncherGoneReason(context); };
  env.before_item = std::move(before_item);
  status = Worker(std::move(env)).Run();
  if (!status.ok()) {
    LogError("{}", status.message());
    return kRoleExitFailed;
  }
  return kRoleExitOk;
}

}  // namespace thumbpipe
