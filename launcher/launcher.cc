#include "launcher/launcher.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>

#include "common/atomic_file.h"
#include "common/control_block.h"
#include "common/desktop_cache.h"
#include "common/escape.h"
#include "common/ipc_queue.h"
#include "common/log.h"
#include "common/message.h"
#include "common/run_names.h"
#include "launcher/children.h"
#include "launcher/new_folders.h"
#include "launcher/service_notifier.h"
#include "launcher/service_reporter.h"
#include "launcher/stale_runs.h"
#include "launcher/supervisor.h"
#include "sink/stats_json.h"

namespace thumbpipe {
namespace {

// Work items waiting for a worker, and results waiting for the sink. Enough to keep every
// worker busy while the producer is descheduled; small enough to bound memory.
constexpr size_t kWorkQueueCapacity = 256;
constexpr size_t kResultQueueCapacity = 256;

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

// The desktop's cache: the thumbnails folder, a folder per flavour of the run and our failure
// markers' folder, each made mode 0700 when missing (with the missing folders above them), as
// the Thumbnail Managing Standard asks. Folders that exist are left as they are.
Status PrepareDesktopCache(const RunOptions& options, NewFolders* new_folders) {
  std::vector<std::string> folders = {options.output_dir};
  for (int i = 0; i < kDesktopFlavourCount; ++i) {
    if ((options.desktop_flavours & (1u << i)) != 0) {
      folders.push_back(options.output_dir + "/" + std::string(kDesktopFlavours[i].name));
    }
  }
  folders.push_back(options.output_dir + "/fail");
  folders.push_back(options.output_dir + "/" + DesktopFailFolder());
  for (const std::string& folder : folders) {
    if (const int error = new_folders->Make(folder, kDesktopFolderMode); error != 0) {
      return Status::FromErrno(error, "cannot create the thumbnail cache's folder '{}'",
                               EscapePath(folder));
    }
  }
  return Status::OK();
}

// Makes the run's folders through `new_folders` (see new_folders.h), then checks them; a
// folder that cannot be made is reported by the check, in its words.
Status PrepareOutputs(const RunOptions& options, NewFolders* new_folders) {
  if (options.layout == OutputLayout::kFreedesktop) {
    if (Status status = PrepareDesktopCache(options, new_folders); !status.ok()) return status;
  }
  new_folders->Make(options.output_dir);
  const std::string* catalog = options.incremental ? &options.catalog : nullptr;
  for (const std::string* file : {&options.manifest, catalog, &options.stats_json}) {
    if (file != nullptr && !file->empty()) {
      new_folders->Make(std::filesystem::path(*file).parent_path());
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options.output_dir, ec);
  if (ec || !std::filesystem::is_directory(options.output_dir)) {
    return Status::Error(fmt::format("cannot create output folder '{}': {}",
                                     EscapePath(options.output_dir),
                                     ec ? ec.message() : "a file of that name exists"));
  }
  if (::access(options.output_dir.c_str(), W_OK) != 0) {
    return Status::FromErrno(errno, "cannot write to output folder '{}'",
                             EscapePath(options.output_dir));
  }
  // Several boxes: each its own folder, made here once rather than by every worker.
  if (!options.more_boxes.empty()) {
    for (const Box& box : RunBoxes(options)) {
      const std::string folder = options.output_dir + "/" + BoxName(box);
      new_folders->Make(folder);
      std::filesystem::create_directory(folder, ec);
      if (ec || !std::filesystem::is_directory(folder)) {
        return Status::Error(fmt::format("cannot create output folder '{}': {}", EscapePath(folder),
                                         ec ? ec.message() : "a file of that name exists"));
      }
    }
  }
  if (Status status = PrepareFolderFor("the manifest", options.manifest); !status.ok())
    return status;
  if (options.incremental) {
    if (Status status = PrepareFolderFor("the catalog", options.catalog); !status.ok())
      return status;
  }
  if (!options.files_from.empty() && options.files_from != "-") {
    if (std::filesystem::is_directory(options.files_from)) {
      return Status::Error(fmt::format("--files-from '{}' is a folder; give a file of paths",
                                       EscapePath(options.files_from)));
    }
    if (::access(options.files_from.c_str(), R_OK) != 0) {
      return Status::FromErrno(errno, "cannot read --files-from '{}'",
                               EscapePath(options.files_from));
    }
  }
  if (std::filesystem::is_directory(options.manifest)) {
    return Status::Error(
        fmt::format("--manifest '{}' is a folder; give a file name", EscapePath(options.manifest)));
  }
  return Status::OK();
}

// "Finished in 1.20 s: 10 thumbnails, 2 not images, 1 failed", and for incremental runs
// "; 9 unchanged, 1 failed before and not retried".
// (and for runs into the desktop's cache, which are incremental by the standard's rule).
std::string Summary(double seconds, const RunCounters& counters, bool incremental) {
  std::string text = fmt::format("Finished in {:.2f} s: {}", seconds, DescribeCounts(counters));
  if (incremental) {
    text += fmt::format("; {} unchanged, {} failed before and not retried",
                        counters.unchanged.load(), counters.skipped_failed.load());
    if (const uint64_t removed = counters.removed.load(); removed != 0) {
      text += fmt::format(", {} removed", removed);
    }
  }
  return text;
}

}  // namespace

int RunThumbpipe(const RunOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::string role_folder;
  Status status = FindRoleFolder(&role_folder);
  // A run refused here takes back the folders it made: a usage error leaves nothing behind.
  NewFolders new_folders;
  if (status.ok()) status = PrepareOutputs(options, &new_folders);
  if (status.ok()) status = PrepareStatsDestination(options.stats_json);
  if (!status.ok()) {
    new_folders.Remove();
    LogError("{}", status.message());
    return kExitUsage;
  }

  const sigset_t signals = SupervisedSignals();
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);

  RemoveStaleRuns(options.manifest);
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
    status =
        IpcQueue::Create(names.results(), kResultQueueCapacity, kMaxResultMessageBytes, &results);
  }
  if (!status.ok()) {
    LogError("{}", status.message());
    return kExitFailed;
  }

  SupervisorEnv env;
  env.options = options;
  env.names = names;
  env.control = control.get();
  env.work = work.get();
  env.results = results.get();
  env.role_folder = role_folder;
  const std::unique_ptr<ServiceNotifier> notifier = NewSystemdNotifier();
  ServiceReporter service(notifier.get(), options.watch);
  env.service = &service;
  Supervisor supervisor(std::move(env));
  const int exit_status = supervisor.Run();
  if (const uint64_t not_done = supervisor.NotDone(); not_done != 0) {
    LogError("{} of the {} files found were not processed", not_done,
             control->block()->counters.found.load());
  }
  // A benchmark hook (scripts/bench/scale): each process's own peak, which no outside
  // observer of the run can measure exactly.
  if (const char* report = std::getenv("THUMBPIPE_REPORT_PEAK_MEMORY");
      report != nullptr && std::string_view(report) == "1") {
    LogLine(supervisor.PeakMemory());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogLine(Summary(seconds, control->block()->counters,
                  options.incremental || options.layout == OutputLayout::kFreedesktop));
  return exit_status;
}

}  // namespace thumbpipe
