#include "producer/producer.h"

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "common/clock.h"
#include "common/escape.h"
#include "common/log.h"
#include "common/message.h"
#include "producer/walker.h"

namespace thumbpipe {

Producer::Producer(ProducerEnv env)
    : env_(std::move(env)),
      prefetcher_(
          env_.readahead, [this] { return Finished(); }, static_cast<uint64_t>(env_.workers)) {}

uint64_t Producer::Finished() const {
  const RunCounters& c = *env_.counters;
  return c.thumbnails.load(std::memory_order_relaxed) +
         c.not_images.load(std::memory_order_relaxed) + c.failed.load(std::memory_order_relaxed);
}

Status Producer::Run(const std::string& root) {
  buffer_.resize(std::max(kMaxWorkMessageBytes, kMaxResultMessageBytes));
  WalkCallbacks callbacks;
  callbacks.file = [this](const std::string& path) { return SendFile(path); };
  callbacks.skipped = [](const std::string& message) { LogVerbose("{}", message); };
  callbacks.problem = [](const std::string& message) { LogWarning("{}", message); };
  WalkExclusions exclusions;
  struct stat st;
  if (!env_.output_dir.empty() && ::stat(env_.output_dir.c_str(), &st) == 0) {
    exclusions.folders.insert({st.st_dev, st.st_ino});
  }
  exclusions.paths.insert(env_.output_files.begin(), env_.output_files.end());
  const int64_t walk_start = MonotonicNanos();
  WalkTree(root, callbacks, exclusions);
  env_.counters->walk_ns.store(static_cast<uint64_t>(MonotonicNanos() - walk_start));
  if (!status_.ok()) return status_;
  if (env_.walk_done != nullptr && !env_.stop_requested()) env_.walk_done->store(1);

  const size_t size = EncodeWorkItem(WorkItem{WorkKind::kEnd, {}, {}}, buffer_);
  for (int i = 0; i < env_.workers; ++i) {
    if (Status status = SendWaiting(env_.work, {buffer_.data(), size}, env_.give_up);
        !status.ok()) {
      return status.WithContext("cannot send end-of-work");
    }
  }
  // Files still in the queue can still be read ahead; once the workers have taken them all
  // (the queue holds at most the sentinels), there is nothing left to do here.
  while (prefetcher_.Poll() && !env_.stop_requested() && env_.give_up().empty()) {
    size_t queued = 0;
    if (!env_.work->CountMessages(&queued).ok() || queued <= static_cast<size_t>(env_.workers)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::OK();
}

bool Producer::SendFile(const std::string& path) {
  if (env_.stop_requested()) return false;
  const size_t size = EncodeWorkItem(WorkItem{WorkKind::kFile, path, {}}, buffer_);
  status_ = size == 0 ? ReportTooLong(path)
                      : SendWaiting(env_.work, {buffer_.data(), size}, env_.give_up);
  if (!status_.ok()) return false;
  env_.counters->found.fetch_add(1, std::memory_order_relaxed);
  prefetcher_.Queued(path);
  prefetcher_.Poll();
  return true;
}

Status Producer::ReportTooLong(const std::string& path) {
  Result result;
  result.kind = ResultKind::kFailed;
  result.worker = kProducerId;
  constexpr std::string_view kCut = "...";
  result.path = path.substr(0, kMaxPathBytes - kCut.size()) + std::string(kCut);
  result.reason = fmt::format("path is {} bytes long; thumbpipe handles paths of up to {} bytes",
                              path.size(), kMaxPathBytes);
  const size_t size = EncodeResult(result, buffer_);
  return SendWaiting(env_.results, {buffer_.data(), size}, env_.give_up);
}

}  // namespace thumbpipe
