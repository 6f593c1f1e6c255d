// A MessageQueue in POSIX shared memory (/dev/shm/<name>), shared by the processes of a run.
// Created by the launcher, opened by the roles. The only user of Boost.Interprocess.
#pragma once

#include <memory>
#include <string>

#include "common/queue.h"

namespace thumbpipe {

class IpcQueue : public MessageQueue {
 public:
  // Creates a new queue; fails if `name` exists already. Mode 0600.
  static Status Create(const std::string& name, size_t capacity, size_t max_message_bytes,
                       std::unique_ptr<IpcQueue>* queue);
  // Opens a queue another process created.
  static Status Open(const std::string& name, std::unique_ptr<IpcQueue>* queue);
  // Removes the name; processes that have it open keep using it. False if it did not exist.
  static bool Remove(const std::string& name);

  ~IpcQueue() override;

  Status Send(std::span<const char> message, std::chrono::milliseconds timeout,
              bool* sent) override;
  Status Receive(std::span<char> buffer, std::chrono::milliseconds timeout, size_t* size) override;
  size_t max_message_bytes() const override;

  // How long to sleep between tries while waiting: from `first`, doubling up to `longest`.
  // Short pauses answer fast; a consumer that need not answer fast (the sink) wakes less often
  // with a long first pause. The default is 50 us to 2 ms.
  void SetPollPauses(std::chrono::microseconds first, std::chrono::microseconds longest);

  // Number of messages waiting, or an error if the queue's lock cannot be had in time.
  Status CountMessages(size_t* count) override;

  // For tests of a process that dies holding a queue's lock: takes the lock of queue `name`
  // and kills the calling process with SIGKILL. Never returns.
  [[noreturn]] static void LockAndDieForTesting(const std::string& name);

 private:
  struct Impl;
  explicit IpcQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace thumbpipe
