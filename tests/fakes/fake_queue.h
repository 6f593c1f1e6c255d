// An in-memory MessageQueue for tests of one role at a time: a bounded FIFO; a full or empty
// queue times out at once (no waiting), so tests never sleep.
#pragma once

#include <cstring>
#include <deque>
#include <string>

#include "common/queue.h"

namespace thumbpipe::testing {

class FakeQueue : public MessageQueue {
 public:
  explicit FakeQueue(size_t capacity, size_t max_message_bytes)
      : capacity_(capacity), max_message_bytes_(max_message_bytes) {}

  Status Send(std::span<const char> message, std::chrono::milliseconds, bool* sent) override {
    if (!broken_.empty()) return Status::Error(broken_);
    *sent = messages_.size() < capacity_;
    if (*sent) messages_.emplace_back(message.data(), message.size());
    return Status::OK();
  }
  Status Receive(std::span<char> buffer, std::chrono::milliseconds, size_t* size) override {
    if (!broken_.empty()) return Status::Error(broken_);
    *size = 0;
    if (messages_.empty()) return Status::OK();
    std::memcpy(buffer.data(), messages_.front().data(), messages_.front().size());
    *size = messages_.front().size();
    messages_.pop_front();
    return Status::OK();
  }
  size_t max_message_bytes() const override { return max_message_bytes_; }
  Status CountMessages(size_t* count) override {
    if (!broken_.empty()) return Status::Error(broken_);
    *count = messages_.size();
    return Status::OK();
  }

  std::deque<std::string>& messages() { return messages_; }
  void Break(std::string reason) { broken_ = std::move(reason); }

 private:
  size_t capacity_;
  size_t max_message_bytes_;
  std::deque<std::string> messages_;
  std::string broken_;
};

}  // namespace thumbpipe::testing
