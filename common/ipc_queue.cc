// Boost 1.74's message_queue guards its state with a plain process-shared mutex that is not
// robust: a process killed while holding it blocks everyone else forever. With this switch
// every lock attempt gives up after the duration below and throws, so a blocked process
// notices; the launcher decides what that means for the run.
//
// Its blocking calls also wait on process-shared condition variables, and glibc's are not
// safe against a waiter that is killed: a later signal can wait forever for the dead waiter.
// So this file never blocks inside the queue: it only uses try_send and try_receive, which
// hold the mutex for one copy and, with no blocked waiters, never touch the condition
// variables, and it sleeps outside the queue between attempts.
#define BOOST_INTERPROCESS_ENABLE_TIMEOUT_WHEN_LOCKING
#define BOOST_INTERPROCESS_TIMEOUT_WHEN_LOCKING_DURATION_MS 2000

#include "common/ipc_queue.h"

#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <signal.h>

#include <algorithm>
#include <thread>

namespace thumbpipe {

namespace bip = boost::interprocess;

struct IpcQueue::Impl {
  std::string name;
  std::unique_ptr<bip::message_queue> queue;
  std::chrono::microseconds first_pause{50};
  std::chrono::microseconds longest_pause{2000};
};

namespace {

// Retries `attempt` (which returns true on success) with sleeps growing from `first` to
// `longest` until it succeeds or `timeout` has passed. Returns whether it succeeded.
template <typename Attempt>
bool Retry(std::chrono::milliseconds timeout, std::chrono::microseconds first,
           std::chrono::microseconds longest, Attempt attempt) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::chrono::microseconds pause = first;
  for (;;) {
    if (attempt()) return true;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, longest);
  }
}

Status FromException(std::string_view what, const std::string& name, const std::exception& e) {
  return Status::QueueBroken(fmt::format("{} queue '{}': {}", what, name, e.what()));
}

}  // namespace

IpcQueue::IpcQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IpcQueue::~IpcQueue() = default;

Status IpcQueue::Create(const std::string& name, size_t capacity, size_t max_message_bytes,
                        std::unique_ptr<IpcQueue>* queue) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  try {
    impl->queue = std::make_unique<bip::message_queue>(bip::create_only, name.c_str(), capacity,
                                                       max_message_bytes, bip::permissions(0600));
  } catch (const std::exception& e) {
    return FromException("cannot create", name, e);
  }
  queue->reset(new IpcQueue(std::move(impl)));
  return Status::OK();
}

Status IpcQueue::Open(const std::string& name, std::unique_ptr<IpcQueue>* queue) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  try {
    impl->queue = std::make_unique<bip::message_queue>(bip::open_only, name.c_str());
  } catch (const std::exception& e) {
    return FromException("cannot open", name, e);
  }
  queue->reset(new IpcQueue(std::move(impl)));
  return Status::OK();
}

bool IpcQueue::Remove(const std::string& name) { return bip::message_queue::remove(name.c_str()); }

Status IpcQueue::Send(std::span<const char> message, std::chrono::milliseconds timeout,
                      bool* sent) {
  try {
    *sent = Retry(timeout, impl_->first_pause, impl_->longest_pause,
                  [&] { return impl_->queue->try_send(message.data(), message.size(), 0); });
  } catch (const std::exception& e) {
    *sent = false;
    return FromException("cannot send to", impl_->name, e);
  }
  return Status::OK();
}

Status IpcQueue::Receive(std::span<char> buffer, std::chrono::milliseconds timeout, size_t* size) {
  *size = 0;
  try {
    bip::message_queue::size_type received = 0;
    unsigned int priority = 0;
    if (Retry(timeout, impl_->first_pause, impl_->longest_pause, [&] {
          return impl_->queue->try_receive(buffer.data(), buffer.size(), received, priority);
        })) {
      *size = received;
      if (received == 0) return Status::Error(fmt::format("empty message on '{}'", impl_->name));
    }
  } catch (const std::exception& e) {
    return FromException("cannot receive from", impl_->name, e);
  }
  return Status::OK();
}

void IpcQueue::SetPollPauses(std::chrono::microseconds first, std::chrono::microseconds longest) {
  impl_->first_pause = first;
  impl_->longest_pause = std::max(first, longest);
}

size_t IpcQueue::max_message_bytes() const { return impl_->queue->get_max_msg_size(); }

Status IpcQueue::CountMessages(size_t* count) {
  try {
    *count = impl_->queue->get_num_msg();
  } catch (const std::exception& e) {
    return FromException("cannot lock", impl_->name, e);
  }
  return Status::OK();
}

void IpcQueue::LockAndDieForTesting(const std::string& name) {
  // The queue's header, with its mutex, starts right after the segment's small preamble.
  using Header = bip::ipcdetail::mq_hdr_t<bip::offset_ptr<void>>;
  using Segment =
      bip::ipcdetail::managed_open_or_create_impl<bip::shared_memory_object, 0, true, false>;
  bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
  bip::mapped_region region(object, bip::read_write);
  auto* header = reinterpret_cast<Header*>(static_cast<char*>(region.get_address()) +
                                           Segment::ManagedOpenOrCreateUserOffset);
  header->m_mutex.lock();
  ::raise(SIGKILL);
  for (;;) ::pause();
}

}  // namespace thumbpipe
