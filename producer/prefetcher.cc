#include "producer/prefetcher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

namespace thumbpipe {

Advice AdviseWillNeed(const SourceOpener& sources, const std::string& path, uint64_t limit) {
  Advice advice;
  advice.cached = true;
  int fd = -1;
  if (!sources.Open(path, &fd).ok()) return advice;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    // One byte, only if it is in memory. EAGAIN says the disk would have to be read; a file
    // system that cannot tell (EOPNOTSUPP) gets the advice too.
    char byte;
    iovec one{&byte, 1};
    if (::preadv2(fd, &one, 1, 0, RWF_NOWAIT) != 1) {
      advice.cached = false;
      const uint64_t bytes = std::min(static_cast<uint64_t>(st.st_size), limit);
      if (::posix_fadvise(fd, 0, static_cast<off_t>(bytes), POSIX_FADV_WILLNEED) == 0) {
        advice.bytes = bytes;
      }
    }
  }
  ::close(fd);
  return advice;
}

Prefetcher::Prefetcher(uint64_t budget_bytes, std::function<uint64_t()> finished, uint64_t in_hand,
                       Advise advise)
    : budget_(budget_bytes),
      finished_(std::move(finished)),
      in_hand_(in_hand),
      advise_(std::move(advise)) {}

void Prefetcher::Queued(const std::string& path) {
  if (budget_ == 0) return;
  ++queued_;
  waiting_.push_back(path);
}

bool Prefetcher::Poll() {
  if (waiting_.empty()) return false;
  const uint64_t finished = finished_();
  while (!advised_.empty() && advised_.front().first < finished) {
    advised_bytes_ -= advised_.front().second;
    advised_.pop_front();
  }
  // Files up to this queue position are finished or in a worker's hands: too late.
  const uint64_t taken = finished + in_hand_;
  // At least one file is advised at a time, however large.
  while (!waiting_.empty() && (advised_bytes_ < budget_ || advised_.empty())) {
    const uint64_t position = queued_ - waiting_.size();
    if (position >= taken) Consider(position, waiting_.front());
    waiting_.pop_front();
  }
  return !waiting_.empty() && queued_ > taken;
}

void Prefetcher::Consider(uint64_t position, const std::string& path) {
  if (sampling_ && ++skipped_ < kSampleEvery) return;
  skipped_ = 0;
  const Advice advice = advise_(path, std::min(budget_, kMostPerFile));
  if (advice.bytes != 0) {
    advised_.emplace_back(position, advice.bytes);
    advised_bytes_ += advice.bytes;
  }
  if (!advice.cached) {
    cached_in_a_row_ = 0;
    sampling_ = false;
  } else if (++cached_in_a_row_ >= kCachedBeforeSampling) {
    sampling_ = true;
  }
}

}  // namespace thumbpipe
