#include "common/control_block.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/clock.h"

namespace thumbpipe {
namespace {

constexpr uint32_t kControlMagic = 0x42435054;  // "TPCB"

void CopyString(const std::string& from, char* to, size_t capacity) {
  const size_t n = std::min(from.size(), capacity - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

std::string ShmPath(const std::string& name) { return "/" + name; }

}  // namespace

std::string DescribeCounts(const RunCounters& counters) {
  return fmt::format("{} thumbnails, {} not images, {} failed", counters.thumbnails.load(),
                     counters.not_images.load(), counters.failed.load());
}

uint64_t SlotBeginItem(WorkerSlot* slot, const WorkItem& work, int64_t now_ns) {
  const uint64_t item = slot->item.fetch_add(1, std::memory_order_relaxed) + 1;
  slot->sequence.fetch_add(1, std::memory_order_acq_rel);  // now odd
  const size_t n = std::min(work.path.size(), kMaxPathBytes);
  std::memcpy(slot->path, work.path.data(), n);
  slot->path[n] = '\0';
  slot->stamp = work.stamp;
  slot->found_ns = work.found_ns;
  slot->busy_since_ns.store(now_ns, std::memory_order_relaxed);
  slot->state.store(static_cast<uint32_t>(SlotState::kBusy), std::memory_order_relaxed);
  slot->sequence.fetch_add(1, std::memory_order_release);  // even again
  return item;
}

void SlotSetState(WorkerSlot* slot, SlotState state) {
  slot->state.store(static_cast<uint32_t>(state), std::memory_order_release);
}

SlotState SlotGetState(const WorkerSlot& slot) {
  return static_cast<SlotState>(slot.state.load(std::memory_order_acquire));
}

void SlotEndItem(WorkerSlot* slot) {
  slot->items_done.fetch_add(1, std::memory_order_relaxed);
  SlotSetState(slot, SlotState::kIdle);
}

bool SlotReadItem(const WorkerSlot& slot, WorkItem* item) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const uint64_t before = slot.sequence.load(std::memory_order_acquire);
    if (before % 2 != 0) continue;
    char copy[sizeof slot.path];
    std::memcpy(copy, slot.path, sizeof copy);
    const FileStamp stamp = slot.stamp;
    const int64_t found_ns = slot.found_ns;
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) == before) {
      copy[sizeof copy - 1] = '\0';
      item->path.assign(copy);
      item->stamp = stamp;
      item->found_ns = found_ns;
      return true;
    }
  }
  return false;
}

bool SlotReadPath(const WorkerSlot& slot, std::string* path) {
  WorkItem item;
  if (!SlotReadItem(slot, &item)) return false;
  *path = std::move(item.path);
  return true;
}

Status SharedControl::Create(const std::string& name, const RunOptions& options,
                             std::unique_ptr<SharedControl>* control) {
  const int fd = ::shm_open(ShmPath(name).c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "cannot create shared memory '{}'", name);
  if (::ftruncate(fd, sizeof(ControlBlock)) != 0) {
    const int err = errno;
    ::close(fd);
    ::shm_unlink(ShmPath(name).c_str());
    return Status::FromErrno(err, "cannot size shared memory '{}'", name);
  }
  void* address = ::mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);
  if (address == MAP_FAILED) {
    ::shm_unlink(ShmPath(name).c_str());
    return Status::FromErrno(err, "cannot map shared memory '{}'", name);
  }
  // The object is fresh and zero-filled; zero is a valid state for every atomic in it.
  auto* block = static_cast<ControlBlock*>(address);
  block->magic = kControlMagic;
  block->version = kProtocolVersion;
  block->size = sizeof(ControlBlock);
  block->launcher_pid = static_cast<int32_t>(::getpid());
  block->started_ns = MonotonicNanos();
  SharedOptions& shared = block->options;
  CopyString(options.root, shared.root, sizeof shared.root);
  CopyString(options.output_dir, shared.output_dir, sizeof shared.output_dir);
  CopyString(options.manifest, shared.manifest, sizeof shared.manifest);
  shared.workers = options.workers;
  shared.box_width = options.box_width;
  shared.box_height = options.box_height;
  shared.more_boxes = static_cast<uint32_t>(std::min(options.more_boxes.size(), kMaxBoxes - 1));
  for (uint32_t i = 0; i < shared.more_boxes; ++i) {
    shared.more_box[i][0] = options.more_boxes[i].width;
    shared.more_box[i][1] = options.more_boxes[i].height;
  }
  shared.verbosity = static_cast<int32_t>(options.verbosity);
  shared.timeout_seconds = options.timeout_seconds;
  shared.max_pixels = options.max_pixels;
  shared.max_memory = options.max_memory;
  shared.readahead = options.readahead;
  shared.symlinks = static_cast<int32_t>(options.symlinks);
  shared.format = static_cast<int32_t>(options.format);
  shared.quality = options.quality;
  shared.background = options.background;
  shared.incremental = options.incremental;
  shared.force = options.force;
  shared.retry_failed = options.retry_failed;
  shared.prune = options.prune;
  shared.watch = options.watch;
  CopyString(options.catalog, shared.catalog, sizeof shared.catalog);
  CopyString(options.stats_json, shared.stats_json, sizeof shared.stats_json);
  shared.progress = options.progress;
  shared.shard_index = options.shard.index;
  shared.shard_count = options.shard.count;
  CopyString(options.files_from, shared.files_from, sizeof shared.files_from);
  shared.files_from_nul = options.files_from_nul;
  control->reset(new SharedControl(block));
  return Status::OK();
}

Status SharedControl::Open(const std::string& name, std::unique_ptr<SharedControl>* control) {
  const int fd = ::shm_open(ShmPath(name).c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "cannot open shared memory '{}'", name);
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != sizeof(ControlBlock)) {
    ::close(fd);
    return Status::Error(fmt::format(
        "shared memory '{}' is not a control block of this version of thumbpipe", name));
  }
  void* address = ::mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);
  if (address == MAP_FAILED) return Status::FromErrno(err, "cannot map shared memory '{}'", name);
  auto* block = static_cast<ControlBlock*>(address);
  if (block->magic != kControlMagic || block->version != kProtocolVersion ||
      block->size != sizeof(ControlBlock)) {
    ::munmap(address, sizeof(ControlBlock));
    return Status::Error(fmt::format(
        "shared memory '{}' is not a control block of this version of thumbpipe", name));
  }
  control->reset(new SharedControl(block));
  return Status::OK();
}

bool SharedControl::Remove(const std::string& name) {
  return ::shm_unlink(ShmPath(name).c_str()) == 0;
}

SharedControl::~SharedControl() { ::munmap(block_, sizeof(ControlBlock)); }

RunOptions SharedControl::options() const {
  const SharedOptions& shared = block_->options;
  RunOptions options;
  options.root = shared.root;
  options.output_dir = shared.output_dir;
  options.manifest = shared.manifest;
  options.workers = shared.workers;
  options.box_width = shared.box_width;
  options.box_height = shared.box_height;
  for (uint32_t i = 0; i < shared.more_boxes && i < kMaxBoxes - 1; ++i) {
    options.more_boxes.push_back({shared.more_box[i][0], shared.more_box[i][1]});
  }
  options.verbosity = static_cast<Verbosity>(shared.verbosity);
  options.timeout_seconds = shared.timeout_seconds;
  options.max_pixels = shared.max_pixels;
  options.max_memory = shared.max_memory;
  options.readahead = shared.readahead;
  options.symlinks = static_cast<SymlinkPolicy>(shared.symlinks);
  options.format = static_cast<OutputFormat>(shared.format);
  options.quality = shared.quality;
  options.background = shared.background;
  options.incremental = shared.incremental != 0;
  options.force = shared.force != 0;
  options.retry_failed = shared.retry_failed != 0;
  options.prune = shared.prune != 0;
  options.watch = shared.watch != 0;
  options.catalog = shared.catalog;
  options.stats_json = shared.stats_json;
  options.progress = shared.progress != 0;
  options.shard = Shard{shared.shard_index, shared.shard_count};
  options.files_from = shared.files_from;
  options.files_from_nul = shared.files_from_nul != 0;
  return options;
}

}  // namespace thumbpipe
