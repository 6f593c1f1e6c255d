// The interface of a message queue between the processes of a run: a bounded FIFO of byte
// messages. IpcQueue (ipc_queue.h) is the real one; tests use an in-memory fake.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>

#include "common/status.h"

namespace thumbpipe {

class MessageQueue {
 public:
  virtual ~MessageQueue() = default;

  // Waits up to `timeout` for room, then copies `message` in. Sets *sent to whether it did.
  // An error status means the queue is unusable (for example its lock is held by a process
  // that died); the caller should stop.
  virtual Status Send(std::span<const char> message, std::chrono::milliseconds timeout,
                      bool* sent) = 0;

  // Waits up to `timeout` for a message and copies it into `buffer`, which must hold
  // max_message_bytes(). Sets *size to its length, or to 0 when none arrived in time.
  virtual Status Receive(std::span<char> buffer, std::chrono::milliseconds timeout,
                         size_t* size) = 0;

  virtual size_t max_message_bytes() const = 0;

  // Number of messages waiting. An error status means the queue is unusable, as above.
  virtual Status CountMessages(size_t* count) = 0;
};

// How long one wait inside a queue call lasts before the caller gets to look around (is the
// launcher still there, was the run stopped?).
inline constexpr std::chrono::milliseconds kQueuePollInterval{200};

// Returns a non-empty reason when a blocked caller should give up waiting.
using GiveUpCheck = std::function<std::string()>;

// Sends, waiting as long as needed, but asks `give_up` between waits. Returns an error with
// give_up's reason if it said so.
Status SendWaiting(MessageQueue* queue, std::span<const char> message, const GiveUpCheck& give_up);

// Receives, waiting as long as needed, with the same checks. On success *size > 0.
Status ReceiveWaiting(MessageQueue* queue, std::span<char> buffer, const GiveUpCheck& give_up,
                      size_t* size);

}  // namespace thumbpipe
