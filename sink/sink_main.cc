// thumbpipe-sink: started by the launcher, collects results and writes the manifest.
#include "catalog/entry.h"
#include "common/boxes.h"
#include "common/clock.h"
#include "common/ipc_queue.h"
#include "common/log.h"
#include "common/options.h"
#include "common/role.h"
#include "sink/sink.h"
#include "sink/stats_json.h"

using namespace thumbpipe;

int main(int argc, char** argv) {
  RoleContext context;
  std::unique_ptr<IpcQueue> results;
  Status status = AttachToRun(argc, argv, "sink", /*needs_index=*/false, &context);
  if (status.ok()) status = IpcQueue::Open(context.names.results(), &results);
  if (!status.ok()) {
    LogError("{}", status.message());
    return kRoleExitSetup;
  }
  // Results may wait a millisecond: the sink wakes a thousand times a second at most, instead
  // of once per result, and 256 of them fit in the queue meanwhile.
  // A watching service waits most of the time: 50 wake-ups a second are enough then.
  results->SetPollPauses(std::chrono::milliseconds(1),
                         std::chrono::milliseconds(context.options.watch ? 20 : 2));
  SinkEnv env;
  env.results = results.get();
  env.counters = &context.control->block()->counters;
  env.workers = context.options.workers;
  env.manifest_path = context.options.manifest;
  env.journal_path = JournalPath(context.options.manifest, context.launcher_pid);
  env.manifest_spill_prefix = ManifestSpillPrefix(context.options.manifest, context.launcher_pid);
  env.manifest_memory = ManifestMemoryBytes();
  env.give_up = [&context] { return LauncherGoneReason(context); };
  RunStats stats;
  if (!context.options.stats_json.empty()) env.stats = &stats;
  ControlBlock* block = context.control->block();
  env.walk_done = &block->walk_done;
  env.first_pass_done = &block->first_pass_done;
  env.watch = context.options.watch;

  const RunOptions& options = context.options;
  std::unique_ptr<CatalogWriter> catalog;
  if (options.incremental) {
    status =
        CatalogWriter::Open(options.catalog, options.root, ThumbnailSettings(options), &catalog);
    if (!status.ok()) {
      LogError("{}", status.message());
      return kRoleExitSetup;
    }
    if (!catalog->note().empty()) LogWarning("{}", catalog->note());
    env.catalog = catalog.get();
    if (options.prune) {
      env.prune_output_dir = options.output_dir;
      if (!options.more_boxes.empty()) {
        for (const Box& box : RunBoxes(options)) env.run_box_folders.push_back(BoxName(box));
      }
    }
  }
  status = Sink(std::move(env)).Run();
  if (status.ok() && !context.options.stats_json.empty()) {
    StatsReport report;
    report.options = &context.options;
    report.counters = &context.control->block()->counters;
    report.stats = &stats;
    report.wall_seconds =
        static_cast<double>(MonotonicNanos() - context.control->block()->started_ns) /
        kNanosPerSecond;
    report.version = THUMBPIPE_VERSION;
    status = WriteStatsJson(context.options.stats_json, report);
  }
  return RoleExitStatus(status);
}
