#include "producer/producer.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <set>
#include <thread>

#include "catalog/entry.h"
#include "common/clock.h"
#include "common/escape.h"
#include "common/file_stamp.h"
#include "common/log.h"
#include "common/message.h"
#include "producer/file_list.h"
#include "producer/walker.h"

namespace thumbpipe {

Producer::Producer(ProducerEnv env)
    : env_(std::move(env)),
      prefetcher_(
          env_.readahead, [this] { return Finished(); }, static_cast<uint64_t>(env_.workers),
          [this](const std::string& path, uint64_t limit) {
            return sources_ != nullptr ? AdviseWillNeed(*sources_, path, limit) : Advice{0, true};
          }) {}

uint64_t Producer::Finished() const {
  // Only what went through the queue: carried-over files never entered it.
  const RunCounters& c = *env_.counters;
  return c.thumbnails.load(std::memory_order_relaxed) +
         c.not_images.load(std::memory_order_relaxed) + c.failed.load(std::memory_order_relaxed) -
         c.unchanged.load(std::memory_order_relaxed) -
         c.skipped_failed.load(std::memory_order_relaxed);
}

Status Producer::Run(const std::string& root) {
  buffer_.resize(std::max(kMaxWorkMessageBytes, kMaxResultMessageBytes));
  // Files read ahead are opened as a worker opens them. If ROOT cannot be opened, the walk
  // says so and there is nothing to read ahead.
  if (env_.readahead > 0) SourceOpener::Create(env_.symlinks, root, &sources_);
  struct stat st;
  if (!env_.output_dir.empty() && ::stat(env_.output_dir.c_str(), &st) == 0) {
    exclusions_.folders.insert({st.st_dev, st.st_ino});
  }
  exclusions_.paths.insert(env_.output_files.begin(), env_.output_files.end());
  if (env_.watch) {
    if (Status status = Watcher::Create(&watcher_); !status.ok()) return status;
  }
  root_ = root;
  const int64_t walk_start = MonotonicNanos();
  const bool listed = !env_.files_from.empty();
  const bool whole = listed ? SendListed(root) : WalkAndSend(root);
  env_.counters->walk_ns.store(static_cast<uint64_t>(MonotonicNanos() - walk_start));
  if (!status_.ok()) return status_;
  // A list is not the whole tree: the catalog keeps what the list did not name.
  if (whole && !listed && !env_.stop_requested() && env_.walk_done != nullptr) {
    env_.walk_done->store(1, std::memory_order_release);
  }
  if (env_.watch) {
    watching_ = true;
    if (Status status = Watch(root); !status.ok()) return status;
  }

  const size_t size = EncodeWorkItem(WorkItem{WorkKind::kEnd, {}, {}, 0}, buffer_);
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

bool Producer::WalkAndSend(const std::string& folder, std::set<std::string>* seen) {
  WalkCallbacks callbacks;
  callbacks.file = [this, seen](const std::string& path, const struct stat& st) {
    // The run's own files that come and go beside the manifest (its sorted runs, say) when
    // the manifest lies inside the tree.
    if (IsOwnOutput(path)) return true;
    if (!env_.shard.Takes(RelativeToRoot(path, root_))) return !env_.stop_requested();
    if (seen != nullptr) seen->insert(path);
    return watching_ ? SendWhenSettled(path, st) : SendFile(path, st);
  };
  if (env_.shard.active()) {
    callbacks.wanted = [this](const std::string& path) {
      return env_.shard.Takes(RelativeToRoot(path, root_));
    };
  }
  callbacks.skipped = [](const std::string& message) { LogVerbose("{}", message); };
  callbacks.problem = [](const std::string& message) { LogWarning("{}", message); };
  if (watcher_ != nullptr)
    callbacks.folder = [this](const std::string& path) { WatchFolder(path); };
  return WalkTree(folder, callbacks, exclusions_, env_.symlinks);
}

bool Producer::SendListed(const std::string& root) {
  std::unique_ptr<FileList> list;
  status_ = FileList::Open(env_.files_from, env_.files_from_nul, &list);
  if (!status_.ok()) return false;
  ListResolver resolver(root, env_.symlinks,
                        [](const std::string& message) { LogVerbose("{}", message); });
  std::string entry;
  while (!env_.stop_requested() && list->Next(&entry)) {
    const ListedFile file = resolver.Resolve(
        entry, [this](std::string_view relative) { return env_.shard.Takes(relative); });
    switch (file.kind) {
      case ListedFile::Kind::kFile:
        if (IsOwnOutput(file.path)) {
          LogVerbose("not processing our own output '{}'", EscapePath(file.path));
        } else if (!SendFile(file.path, file.st)) {
          return false;
        }
        break;
      case ListedFile::Kind::kFailed:
        if (!SendFailed(file.path, file.reason)) return false;
        break;
      case ListedFile::Kind::kSkipped:
      case ListedFile::Kind::kNotWanted:
        break;
    }
  }
  if (status_.ok() && !list->status().ok()) {
    status_ = list->status();
    return false;
  }
  return !env_.stop_requested();
}

bool Producer::SendFailed(const std::string& path, const std::string& reason) {
  if (path.size() > kMaxPathBytes) {
    status_ = ReportTooLong(path);
  } else {
    Result result;
    result.kind = ResultKind::kFailed;
    result.worker = kProducerId;
    result.path = path;
    result.reason = reason;
    status_ = SendResult(result);
  }
  if (!status_.ok()) return false;
  env_.counters->found.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Producer::WatchFolder(const std::string& path) {
  if (watcher_->out_of_watches()) return;  // said once; rescans stand in for the rest
  if (Status status = watcher_->Watch(path); !status.ok()) LogWarning("{}", status.message());
}

bool Producer::IsOwnOutput(const std::string& path) const {
  if (exclusions_.paths.count(path) != 0) return true;
  for (const std::string& prefix : env_.output_prefixes) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

void Producer::Forget(const std::string& path) {
  if (known_.erase(path) == 0) return;
  Result removed;
  removed.kind = ResultKind::kRemoved;
  removed.worker = kProducerId;
  removed.path = path;
  removed.found_ns = WallClockNanos();  // work on this path sent before now is out of date
  if (status_.ok()) status_ = SendResult(removed);
}

void Producer::Rescan(const std::string& root) {
  std::set<std::string> seen;
  if (!WalkAndSend(root, &seen)) return;  // stopped: nothing is known to be gone
  std::vector<std::string> gone;
  for (const auto& [path, stamp] : known_) {
    if (seen.count(path) == 0) gone.push_back(path);
  }
  for (const std::string& path : gone) Forget(path);
}

void Producer::FileReady(const std::string& path) {
  // Only regular files are work; a symlink moved in waits for a rescan, which applies
  // --symlinks to it as the walk does.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) SendWhenSettled(path, st);
}

bool Producer::SendWhenSettled(const std::string& path, const struct stat& st) {
  const int64_t mtime_ns = StampOf(st).mtime_ns;
  const int64_t due = mtime_ns + RacyWindowNs(mtime_ns);
  if (due <= WallClockNanos()) return SendFile(path, st);
  waiting_[path] = due;  // the watch loop looks at it again then
  return !env_.stop_requested();
}

Status Producer::Watch(const std::string& root) {
  std::vector<TreeEvent> events;
  int64_t last_scan_ns = MonotonicNanos();
  while (status_.ok() && !env_.stop_requested()) {
    if (std::string reason = env_.give_up(); !reason.empty()) return Status::Error(reason);
    events.clear();
    auto wait = std::chrono::milliseconds(200);
    if (!waiting_.empty()) {
      int64_t first_due = INT64_MAX;
      for (const auto& [path, due] : waiting_) first_due = std::min(first_due, due);
      const int64_t ms = (first_due - WallClockNanos()) / 1'000'000 + 1;
      wait = std::clamp(std::chrono::milliseconds(ms), std::chrono::milliseconds(0), wait);
    }
    if (Status status = watcher_->Wait(wait, &events); !status.ok()) return status;
    if (watcher_->out_of_watches() &&
        MonotonicNanos() - last_scan_ns >= std::chrono::nanoseconds(env_.rescan_interval).count()) {
      events.push_back({TreeEvent::kRescan, ""});
    }
    for (const TreeEvent& event : events) {
      if (!status_.ok() || env_.stop_requested()) break;
      if (event.kind != TreeEvent::kRescan && IsOwnOutput(event.path)) continue;
      switch (event.kind) {
        case TreeEvent::kFileReady:
          FileReady(event.path);
          break;
        case TreeEvent::kFileGone:
          waiting_.erase(event.path);
          Forget(event.path);
          break;
        case TreeEvent::kFolderNew:
          WalkAndSend(event.path);
          break;
        case TreeEvent::kFolderGone: {
          const std::string prefix = event.path + "/";
          std::vector<std::string> gone;
          for (auto it = known_.lower_bound(prefix);
               it != known_.end() && it->first.starts_with(prefix); ++it) {
            gone.push_back(it->first);
          }
          for (const std::string& path : gone) Forget(path);
          break;
        }
        case TreeEvent::kRescan:
          LogVerbose("rescanning the tree");
          last_scan_ns = MonotonicNanos();
          Rescan(root);
          break;
      }
    }
    // Files held back whose time has come: looked at again, as their mtime may have moved.
    const int64_t now = WallClockNanos();
    std::vector<std::string> due;
    for (const auto& [path, when] : waiting_) {
      if (when <= now) due.push_back(path);
    }
    for (const std::string& path : due) {
      waiting_.erase(path);
      if (status_.ok()) FileReady(path);
    }
  }
  return status_;
}

bool Producer::SendFile(const std::string& path, const struct stat& st) {
  if (env_.stop_requested()) return false;
  WorkItem item{WorkKind::kFile, path, StampOf(st), WallClockNanos()};
  if (env_.watch) {
    // Seen already as it is now (by the walk and by an event, or in a rescan): done.
    const auto known = known_.find(path);
    if (known != known_.end() && known->second == item.stamp && item.stamp.inode != 0) {
      return true;
    }
    known_[path] = item.stamp;
  }
  if (env_.carry_over != nullptr || env_.desktop_check != nullptr) {
    Result carried;
    if ((env_.carry_over != nullptr && env_.carry_over->Carry(path, item.stamp, &carried)) ||
        (env_.desktop_check != nullptr &&
         env_.desktop_check->Current(path, item.stamp, &carried))) {
      status_ = SendResult(carried);
      if (!status_.ok()) return false;
      env_.counters->found.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  const size_t size = EncodeWorkItem(item, buffer_);
  status_ = size == 0 ? ReportTooLong(path)
                      : SendWaiting(env_.work, {buffer_.data(), size}, env_.give_up);
  if (!status_.ok()) return false;
  env_.counters->found.fetch_add(1, std::memory_order_relaxed);
  prefetcher_.Queued(path);
  prefetcher_.Poll();
  return true;
}

Status Producer::SendResult(const Result& result) {
  const size_t size = EncodeResult(result, buffer_);
  return SendWaiting(env_.results, {buffer_.data(), size}, env_.give_up);
}

Status Producer::ReportTooLong(const std::string& path) {
  Result result;
  result.kind = ResultKind::kFailed;
  result.worker = kProducerId;
  constexpr std::string_view kCut = "...";
  result.path = path.substr(0, kMaxPathBytes - kCut.size()) + std::string(kCut);
  result.reason = fmt::format("path is {} bytes long; thumbpipe handles paths of up to {} bytes",
                              path.size(), kMaxPathBytes);
  return SendResult(result);
}

}  // namespace thumbpipe
