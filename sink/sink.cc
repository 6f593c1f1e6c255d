#include "sink/sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <vector>

#include "common/atomic_file.h"
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
    if (status.ok() && size == 0) {
      FlushJournal();
      status = ReceiveWaiting(env_.results, buffer, env_.give_up, &size);
    }
    if (!status.ok()) {
      FlushJournal();
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
  ::close(journal_fd_);
  journal_fd_ = -1;
  if (Status status = manifest_.WriteTo(env_.manifest_path); !status.ok()) {
    return Status::Error(
        fmt::format("cannot write the manifest: {}; the thumbnails made are listed in '{}'",
                    status.message(), EscapePath(env_.journal_path)));
  }
  ::unlink(env_.journal_path.c_str());
  return Status::OK();
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
  switch (result.kind) {
    case ResultKind::kThumbnail:
      Journal(manifest_.Add(result.thumbnail, result.path));
      counters.thumbnails.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kNotImage:
      LogVerbose("not an image: '{}' ({})", EscapePath(result.path), result.reason);
      counters.not_images.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kFailed:
      LogWarning("failed: '{}': {}", EscapePath(result.path), result.reason);
      counters.failed.fetch_add(1, std::memory_order_relaxed);
      break;
    case ResultKind::kEnd:
    case ResultKind::kRemoved:
      break;
  }
}

}  // namespace thumbpipe
