#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include "common/atomic_file.h"
#include "common/ipc_queue.h"
#include "common/log.h"
#include "common/role.h"
#include "common/source_opener.h"
#include "worker/decoders/decoder.h"
#include "worker/worker.h"

namespace thumbpipe {
namespace {

// Caps the worker's address space, so that an image that needs more memory than it should
// fails (or kills this worker alone) instead of pushing the machine into swap. AddressSanitizer
// reserves terabytes of address space up front, so sanitizer builds skip it.
Status LimitMemory(uint64_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  (void)bytes;
  return Status::OK();
#else
  if (bytes == 0) return Status::OK();
  rlimit limit{bytes, bytes};
  if (::setrlimit(RLIMIT_AS, &limit) != 0) {
    return Status::FromErrno(errno, "cannot limit memory to {} bytes", bytes);
  }
  return Status::OK();
#endif
}

}  // namespace

int WorkerProcessMain(int argc, char** argv, std::function<void(const std::string&)> before_item) {
  RoleContext context;
  std::unique_ptr<IpcQueue> work, results;
  std::unique_ptr<OutputDir> output;
  std::unique_ptr<SourceOpener> sources;
  Status status = AttachToRun(argc, argv, "worker", /*needs_index=*/true, &context);
  if (status.ok()) status = IpcQueue::Open(context.names.work(), &work);
  if (status.ok()) status = IpcQueue::Open(context.names.results(), &results);
  if (status.ok()) status = OutputDir::Open(context.options.output_dir, &output);
  // Several boxes: a folder for each (the launcher made them).
  std::vector<std::unique_ptr<OutputDir>> box_outputs;
  if (!context.options.more_boxes.empty()) {
    for (const Box& box : RunBoxes(context.options)) {
      if (!status.ok()) break;
      box_outputs.emplace_back();
      status =
          OutputDir::Open(context.options.output_dir + "/" + BoxName(box), &box_outputs.back());
    }
  }
  if (status.ok()) {
    status = SourceOpener::Create(context.options.symlinks, context.options.root, &sources);
  }
  if (!status.ok()) {
    LogError("{}", status.message());
    return kRoleExitSetup;
  }
  if (Status limited = LimitMemory(context.options.max_memory); !limited.ok()) {
    LogError("{}", limited.message());
    return kRoleExitSetup;
  }

  // A watching service waits for files most of the time: waking 50 times a second instead of
  // 500 costs a new file at most 20 ms.
  if (context.options.watch) {
    work->SetPollPauses(std::chrono::microseconds(50), std::chrono::milliseconds(20));
  }

  WorkerSlot* slot = &context.control->block()->slots[context.index];
  slot->pid.store(static_cast<int32_t>(::getpid()), std::memory_order_relaxed);
  WorkerEnv env;
  env.work = work.get();
  env.results = results.get();
  env.output = output.get();
  env.sources = sources.get();
  env.slot = slot;
  env.counters = &context.control->block()->counters;
  env.index = static_cast<uint16_t>(context.index);
  env.request.box = {context.options.box_width, context.options.box_height};
  for (const Box& box : context.options.more_boxes) {
    env.request.more_boxes.push_back({box.width, box.height});
  }
  for (const std::unique_ptr<OutputDir>& dir : box_outputs) env.box_outputs.push_back(dir.get());
  env.request.max_pixels = context.options.max_pixels;
  env.request.format = context.options.format;
  env.request.background = context.options.background;
  env.quality = context.options.quality;
  env.give_up = [&context] { return LauncherGoneReason(context); };
  const ControlBlock* block = context.control->block();
  env.stop_requested = [block] {
    return block->stop_requested.load(std::memory_order_relaxed) != 0;
  };
  env.before_item = std::move(before_item);
  return RoleExitStatus(Worker(std::move(env)).Run());
}

}  // namespace thumbpipe
