#include "sink/sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/escape.h"
#include "common/log.h"
#include "common/message.h"

namespace thumbpipe {

Status Sink::Run() {
  journal_fd_ =
      ::open(env_.journal_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (journal_fd_ < 0) {
    return Status::FromErrno(errno, "cannot create the journal '{}'",
                             EscapePath(env_.journal_path));
  }
  ended_.assign(static_cast<size_t>(env_.workers), false);
  last_item_.assign(static_cast<size_t>(env_.workers), 0);
  std::vector<char> buffer(kMaxResultMessageBytes);
  int ends = 0;
  while (ends < env_.workers) {
    // Whatever is waiting is taken at once; the journal gets it in one write before the
    // sink waits for more.
    size_t size = 0;
    Status status = env_.results->Receive(buffer, std::chrono::milliseconds(0), &size);
    while (status.ok() && size == 0) {
      OnQuiet();
      status = env_.results->Receive(buffer, QuietWait(), &size);
      if (status.ok() && size == 0) {
        if (std::string reason = env_.give_up(); !reason.empty()) status = Status::Error(reason);
      }
    }
    if (!status.ok()) {
      FlushJournal();
      if (env_.catalog != nullptr) env_.catalog->Commit();
      return status;
    }
    Result result;
    std::string err;
    if (!DecodeResult({buffer.data(), size}, &result, &err)) {
      FlushJournal();
      return Status::Error("bad result: " + err);
    }
    if (result.kind == ResultKind::kEnd) {
      if (result.worker < ended_.size() && !ended_[result.worker]) {
        ended_[result.worker] = true;
        ++ends;
      }
    } else if (!IsRepeat(result)) {
      Record(result);
    }
  }
  FlushJournal();
  if (!first_pass_ended_) EndFirstPass();
  if (env_.catalog != nullptr) env_.catalog->Commit();
  ::close(journal_fd_);
  journal_fd_ = -1;
  if (Status status = WriteManifest(); !status.ok()) {
    return Status::Error(
        fmt::format("cannot write the manifest: {}; the thumbnails made are listed in '{}'",
                    status.message(), EscapePath(env_.journal_path)));
  }
  ::unlink(env_.journal_path.c_str());
  return Status::OK();
}

Status Sink::WriteManifest() {
  // Watch mode rewrites it as the tree changes: the entries stay for the next time.
  if (Status status = manifest_.WriteTo(env_.manifest_path, env_.watch); !status.ok()) {
    return status;
  }
  manifest_changed_ = false;
  manifest_written_ns_ = MonotonicNanos();
  return Status::OK();
}

std::chrono::milliseconds Sink::QuietWait() const {
  if (!env_.watch || !manifest_changed_) return kQueuePollInterval;
  // Wake when the manifest is due, not up to a poll interval later.
  const int64_t due_in_ns = manifest_written_ns_ +
                            std::chrono::nanoseconds(env_.manifest_interval).count() -
                            MonotonicNanos();
  return std::clamp(std::chrono::milliseconds(due_in_ns / 1'000'000 + 1),
                    std::chrono::milliseconds(1), kQueuePollInterval);
}

bool Sink::IsStale(const Result& result) {
  if (!env_.watch || result.found_ns == 0) return false;
  int64_t& latest = latest_found_ns_[result.path];
  if (result.found_ns < latest) return true;
  latest = result.found_ns;
  return false;
}

void Sink::Count(const Result& result) {
  RunCounters& counters = *env_.counters;
  const bool unchanged = (result.flags & kResultUnchanged) != 0;
  switch (result.kind) {
    case ResultKind::kThumbnail:
      if (unchanged) counters.unchanged.fetch_add(1, std::memory_order_relaxed);
      counters.thumbnails.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kNotImage:
      if (unchanged) counters.unchanged.fetch_add(1, std::memory_order_relaxed);
      counters.not_images.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kFailed:
      if (unchanged) counters.skipped_failed.fetch_add(1, std::memory_order_relaxed);
      counters.failed.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kRemoved:
      counters.removed.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kEnd:
      break;
  }
}

void Sink::OnQuiet() {
  FlushJournal();
  if (env_.catalog != nullptr) env_.catalog->Commit();
  if (!first_pass_ended_ && env_.walk_done != nullptr &&
      env_.walk_done->load(std::memory_order_acquire) != 0) {
    // Once the walk is done, the number found is final.
    const RunCounters& c = *env_.counters;
    const uint64_t reported = c.thumbnails.load() + c.not_images.load() + c.failed.load();
    if (reported >= c.found.load()) EndFirstPass();
  }
  if (env_.watch && manifest_changed_ &&
      MonotonicNanos() - manifest_written_ns_ >=
          std::chrono::nanoseconds(env_.manifest_interval).count()) {
    if (Status status = WriteManifest(); !status.ok()) {
      LogWarning("cannot write the manifest: {}; trying again later", status.message());
      manifest_written_ns_ = MonotonicNanos();
    } else if (!journal_failed_ && ::ftruncate(journal_fd_, 0) != 0) {
      // The manifest holds everything now: the journal only needs what comes after it.
      journal_failed_ = true;
    }
  }
}

// The first walk is complete and every file it found is reported (or the run is ending).
void Sink::EndFirstPass() {
  first_pass_ended_ = true;
  const bool walk_complete =
      env_.walk_done != nullptr && env_.walk_done->load(std::memory_order_acquire) != 0;
  if (env_.catalog != nullptr && walk_complete) {
    env_.catalog->Commit();
    if (const size_t dropped = env_.catalog->DropUnseen(); dropped != 0) {
      LogVerbose("{} files are gone since the last run; their entries are dropped", dropped);
    }
    if (!env_.prune_output_dir.empty()) {
      size_t removed = 0;
      Status status = env_.catalog->Prune(env_.prune_output_dir, env_.run_box_folders, &removed);
      if (!status.ok()) LogWarning("--prune: {}", status.message());
      LogInfo("pruned {} thumbnails no file refers to any more", removed);
    }
  }
  if (env_.watch) {
    if (Status status = WriteManifest(); !status.ok()) {
      LogWarning("cannot write the manifest: {}", status.message());
    }
  }
  if (env_.first_pass_done != nullptr) {
    env_.first_pass_done->store(1, std::memory_order_release);
  }
}

bool Sink::IsRepeat(const Result& result) {
  if (result.item == 0 || result.worker >= last_item_.size()) return false;
  uint64_t& last = last_item_[result.worker];
  if (result.item <= last) return true;
  last = result.item;
  return false;
}

void Sink::Journal(std::string_view line) {
  if (journal_failed_) return;
  pending_journal_ += line;
  if (pending_journal_.size() >= kJournalBatchBytes) FlushJournal();
}

void Sink::FlushJournal() {
  if (journal_failed_ || pending_journal_.empty()) return;
  const int err = WriteAll(
      journal_fd_,
      {reinterpret_cast<const unsigned char*>(pending_journal_.data()), pending_journal_.size()});
  pending_journal_.clear();
  if (err != 0) {
    journal_failed_ = true;
    LogWarning("{}",
               Status::FromErrno(
                   err, "cannot write the journal '{}' (the manifest is still written at the end)",
                   EscapePath(env_.journal_path))
                   .message());
  }
}

void Sink::Record(const Result& result) {
  RunCounters& counters = *env_.counters;
  counters.bytes_read.fetch_add(result.source_bytes, std::memory_order_relaxed);
  counters.bytes_written.fetch_add(result.thumbnail_bytes, std::memory_order_relaxed);
  if (env_.stats != nullptr) env_.stats->Record(result);
  Count(result);
  if (IsStale(result)) {
    // Watch mode: the file was removed or found again since this result's work was sent (a
    // temporary name renamed while a worker read it): the newer news stands.
    LogVerbose("'{}' changed while it was being done; its newer state stands",
               EscapePath(result.path));
    return;
  }
  if (env_.catalog != nullptr) env_.catalog->Record(result);
  switch (result.kind) {
    case ResultKind::kThumbnail:
      Journal(manifest_.Add(result.thumbnail, result.path));
      manifest_changed_ = true;
      return;
    case ResultKind::kNotImage:
      LogVerbose("not an image: '{}' ({})", EscapePath(result.path), result.reason);
      break;
    case ResultKind::kFailed:
      if ((result.flags & kResultUnchanged) != 0) {
        LogVerbose("failed before, not retried: '{}': {}", EscapePath(result.path), result.reason);
      } else {
        LogWarning("failed: '{}': {}", EscapePath(result.path), result.reason);
      }
      break;
    case ResultKind::kRemoved:
      if (env_.catalog != nullptr) env_.catalog->Forget(result.path);
      break;
    case ResultKind::kEnd:
      return;
  }
  // Watch mode: a file that may have had a thumbnail has none now (gone, or no longer an
  // image). Whether it had one is only known when the manifest is next written.
  if (env_.watch) {
    manifest_.Remove(result.path);
    manifest_changed_ = true;
  }
}

}  // namespace thumbpipe
