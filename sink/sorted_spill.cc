#include "sink/sorted_spill.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <queue>

#include "common/atomic_file.h"
#include "common/escape.h"

namespace thumbpipe {
namespace {

constexpr size_t kIoBufferBytes = 64 << 10;
constexpr uint32_t kRemovedBit = uint32_t{1} << 31;

// Writes records one after the other; after the first error it writes nothing more.
class RunWriter {
 public:
  explicit RunWriter(std::string path) : path_(std::move(path)) {
    // A run file of an earlier launcher that had the same pid is ours to replace.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0) status_ = Status::FromErrno(errno, "cannot create '{}'", EscapePath(path_));
  }
  ~RunWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!status_.ok() || !finished_) ::unlink(path_.c_str());
  }
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  void Add(std::string_view key, std::string_view value, bool removed) {
    if (!status_.ok()) return;
    const uint32_t sizes[2] = {static_cast<uint32_t>(key.size()),
                               static_cast<uint32_t>(value.size()) | (removed ? kRemovedBit : 0)};
    buffer_.append(reinterpret_cast<const char*>(sizes), sizeof(sizes));
    buffer_.append(key);
    buffer_.append(value);
    if (buffer_.size() >= kIoBufferBytes) Flush();
  }
  // Makes the file complete; false (with status()) if any write failed.
  bool Finish() {
    Flush();
    if (status_.ok() && ::close(fd_) != 0) {
      status_ = Status::FromErrno(errno, "cannot write '{}'", EscapePath(path_));
    }
    fd_ = -1;
    finished_ = status_.ok();
    return finished_;
  }
  const Status& status() const { return status_; }

 private:
  void Flush() {
    if (!status_.ok() || buffer_.empty()) return;
    const int err =
        WriteAll(fd_, {reinterpret_cast<const unsigned char*>(buffer_.data()), buffer_.size()});
    buffer_.clear();
    if (err != 0) status_ = Status::FromErrno(err, "cannot write '{}'", EscapePath(path_));
  }

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  Status status_;
  bool finished_ = false;
};

bool KeyLess(const SortedSpill::Record& a, const SortedSpill::Record& b) { return a.key < b.key; }

}  // namespace

// Reads a run file back, record by record, through a buffer of its own.
class SortedSpill::RunReader {
 public:
  explicit RunReader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) status_ = Status::FromErrno(errno, "cannot read '{}'", EscapePath(path));
  }
  ~RunReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;

  // The next record into *record; false at the end or on an error (then status()).
  bool Next(Record* record) {
    uint32_t sizes[2];
    if (!status_.ok()) return false;
    if (!Read(reinterpret_cast<char*>(sizes), sizeof(sizes), /*at_end_ok=*/true)) return false;
    record->removed = (sizes[1] & kRemovedBit) != 0;
    record->key.resize(sizes[0]);
    record->value.resize(sizes[1] & ~kRemovedBit);
    return Read(record->key.data(), record->key.size(), false) &&
           Read(record->value.data(), record->value.size(), false);
  }
  const Status& status() const { return status_; }

 private:
  bool Read(char* out, size_t size, bool at_end_ok) {
    size_t done = 0;
    while (done < size) {
      if (start_ == end_) {
        ssize_t got;
        do {
          got = ::read(fd_, buffer_.get(), kIoBufferBytes);
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
          status_ = Status::FromErrno(errno, "cannot read '{}'", EscapePath(path_));
          return false;
        }
        if (got == 0) {
          if (!(at_end_ok && done == 0)) {
            status_ = Status::Error(fmt::format("'{}' ends within a record", EscapePath(path_)));
          }
          return false;
        }
        start_ = 0;
        end_ = static_cast<size_t>(got);
      }
      const size_t n = std::min(size - done, end_ - start_);
      std::memcpy(out + done, buffer_.get() + start_, n);
      start_ += n;
      done += n;
    }
    return true;
  }

  std::string path_;
  int fd_ = -1;
  std::unique_ptr<char[]> buffer_{new char[kIoBufferBytes]};
  size_t start_ = 0;
  size_t end_ = 0;
  Status status_;
};

SortedSpill::SortedSpill(std::string prefix, size_t memory_bytes)
    : prefix_(std::move(prefix)), memory_bytes_(memory_bytes) {}

SortedSpill::~SortedSpill() {
  for (const Run& run : runs_) ::unlink(run.path.c_str());
}

void SortedSpill::Put(std::string_view key, std::string_view value) {
  memory_.push_back(Record{std::string(key), std::string(value), false});
  memory_used_ += key.size() + value.size() + kEntryCost;
  if (memory_used_ >= memory_bytes_ && !spill_failed_) Spill();
}

void SortedSpill::Remove(std::string_view key) {
  memory_.push_back(Record{std::string(key), std::string(), true});
  memory_used_ += key.size() + kEntryCost;
  if (memory_used_ >= memory_bytes_ && !spill_failed_) Spill();
}

std::string SortedSpill::NextRunPath() { return prefix_ + "-" + std::to_string(next_run_++); }

void SortedSpill::SortMemory() {
  // Of several entries for one key, the last one made stands.
  std::stable_sort(memory_.begin(), memory_.end(), KeyLess);
  size_t kept = 0;
  for (size_t i = 0; i < memory_.size(); ++i) {
    if (i + 1 < memory_.size() && memory_[i + 1].key == memory_[i].key) continue;
    if (kept != i) memory_[kept] = std::move(memory_[i]);
    ++kept;
  }
  memory_.resize(kept);
}

void SortedSpill::Spill() {
  SortMemory();
  RunWriter writer(NextRunPath());
  for (const Record& record : memory_) writer.Add(record.key, record.value, record.removed);
  if (!writer.Finish()) {
    // The run goes on in memory, as if there were no limit: the manifest is still right.
    spill_failed_ = true;
    return;
  }
  runs_.push_back(Run{prefix_ + "-" + std::to_string(next_run_ - 1), 0});
  memory_.clear();
  memory_.shrink_to_fit();
  memory_used_ = 0;
  while (runs_.size() >= kFanIn) {
    const size_t first = runs_.size() - kFanIn;
    const int level = runs_[first].level;
    if (!std::all_of(runs_.begin() + static_cast<std::ptrdiff_t>(first), runs_.end(),
                     [level](const Run& run) { return run.level == level; })) {
      break;
    }
    const std::string merged = NextRunPath();
    bool output_failed = false;
    if (!Merge(first, false, &merged, nullptr, &output_failed).ok() || output_failed) {
      return;  // they stay as they are
    }
    for (size_t i = first; i < runs_.size(); ++i) ::unlink(runs_[i].path.c_str());
    runs_.resize(first);
    runs_.push_back(Run{merged, level + 1});
  }
}

Status SortedSpill::ForEach(
    const std::function<Status(std::string_view key, std::string_view value)>& fn, bool keep) {
  SortMemory();
  if (keep && !spill_failed_) {
    const std::string merged = NextRunPath();
    bool output_failed = false;
    Status status = Merge(0, true, &merged, &fn, &output_failed);
    if (status.ok() && output_failed) {
      // Every entry went to fn; only the merged copy is missing: things stay as they were,
      // in memory from now on.
      spill_failed_ = true;
    } else if (status.ok()) {
      for (const Run& run : runs_) ::unlink(run.path.c_str());
      runs_.assign(1, Run{merged, kMergedLevel});
      memory_.clear();
      memory_.shrink_to_fit();
      memory_used_ = 0;
    }
    return status;
  }
  Status status = Merge(0, true, nullptr, &fn, nullptr);
  if (!keep) {
    for (const Run& run : runs_) ::unlink(run.path.c_str());
    runs_.clear();
    memory_.clear();
    memory_.shrink_to_fit();
    memory_used_ = 0;
  }
  return status;
}

Status SortedSpill::Merge(size_t first, bool with_memory, const std::string* out,
                          const std::function<Status(std::string_view, std::string_view)>* fn,
                          bool* output_failed) {
  // Sources, oldest first: runs_[first...], then memory. current[i] is source i's record.
  const size_t run_count = runs_.size() - first;
  std::vector<std::unique_ptr<RunReader>> readers;
  std::vector<Record> current(run_count + (with_memory ? 1 : 0));
  size_t memory_next = 0;
  auto advance = [&](size_t source) {
    if (source < run_count) return readers[source]->Next(&current[source]);
    if (memory_next == memory_.size()) return false;
    current[source] = memory_[memory_next++];
    return true;
  };
  // The smallest key first; of equal keys, the newest source first.
  auto lower = [&current](size_t a, size_t b) {
    const int order = current[a].key.compare(current[b].key);
    return order > 0 || (order == 0 && a < b);
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(lower)> heap(lower);
  for (size_t i = 0; i < run_count; ++i) {
    readers.push_back(std::make_unique<RunReader>(runs_[first + i].path));
    if (!readers.back()->status().ok()) return readers.back()->status();
  }
  for (size_t i = 0; i < current.size(); ++i) {
    if (advance(i)) heap.push(i);
  }
  std::unique_ptr<RunWriter> writer;
  if (out != nullptr) writer = std::make_unique<RunWriter>(*out);
  const bool keep_removals = first != 0;
  Status status;
  while (!heap.empty() && status.ok()) {
    const size_t winner = heap.top();
    heap.pop();
    while (!heap.empty() && current[heap.top()].key == current[winner].key) {
      const size_t older = heap.top();
      heap.pop();
      if (advance(older)) heap.push(older);
    }
    const Record& record = current[winner];
    if (writer != nullptr && (!record.removed || keep_removals)) {
      writer->Add(record.key, record.value, record.removed);
    }
    if (fn != nullptr && !record.removed) status = (*fn)(record.key, record.value);
    if (advance(winner)) heap.push(winner);
  }
  for (const auto& reader : readers) {
    if (status.ok() && !reader->status().ok()) status = reader->status();
  }
  if (status.ok() && writer != nullptr && !writer->Finish()) *output_failed = true;
  return status;
}

}  // namespace thumbpipe
