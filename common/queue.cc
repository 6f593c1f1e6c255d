#include "common/queue.h"

namespace thumbpipe {

Status SendWaiting(MessageQueue* queue, std::span<const char> message, const GiveUpCheck& give_up) {
  for (;;) {
    bool sent = false;
    Status status = queue->Send(message, kQueuePollInterval, &sent);
    if (!status.ok() || sent) return status;
    if (std::string reason = give_up(); !reason.empty()) return Status::Error(reason);
  }
}

Status ReceiveWaiting(MessageQueue* queue, std::span<char> buffer, const GiveUpCheck& give_up,
                      size_t* size) {
  for (;;) {
    Status status = queue->Receive(buffer, kQueuePollInterval, size);
    if (!status.ok() || *size > 0) return status;
    if (std::string reason = give_up(); !reason.empty()) return Status::Error(reason);
  }
}

}  // namespace thumbpipe
