#include "common/message.h"

#include <cstring>

#include <fmt/format.h>

namespace thumbpipe {
namespace {

constexpr char kWorkMagic = 'W';
constexpr char kResultMagic = 'R';

// Little cursor over a byte buffer; all multi-byte fields are host order, since both ends of a
// queue are processes of one machine built from one tree (the version byte guards the rest).
class Writer {
 public:
  explicit Writer(std::span<char> buffer) : buffer_(buffer) {}
  template <typename T>
  void Put(T value) {
    std::memcpy(buffer_.data() + offset_, &value, sizeof value);
    offset_ += sizeof value;
  }
  void PutBytes(std::string_view bytes) {
    std::memcpy(buffer_.data() + offset_, bytes.data(), bytes.size());
    offset_ += bytes.size();
  }
  void Skip(size_t n) {
    std::memset(buffer_.data() + offset_, 0, n);
    offset_ += n;
  }
  size_t size() const { return offset_; }

 private:
  std::span<char> buffer_;
  size_t offset_ = 0;
};

class Reader {
 public:
  explicit Reader(std::span<const char> buffer) : buffer_(buffer) {}
  template <typename T>
  bool Get(T* value) {
    if (buffer_.size() - offset_ < sizeof *value) return false;
    std::memcpy(value, buffer_.data() + offset_, sizeof *value);
    offset_ += sizeof *value;
    return true;
  }
  bool GetBytes(size_t n, std::string* out) {
    if (buffer_.size() - offset_ < n) return false;
    out->assign(buffer_.data() + offset_, n);
    offset_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (buffer_.size() - offset_ < n) return false;
    offset_ += n;
    return true;
  }
  bool AtEnd() const { return offset_ == buffer_.size(); }

 private:
  std::span<const char> buffer_;
  size_t offset_ = 0;
};

void PutStamp(Writer* w, const FileStamp& stamp) {
  w->Put(stamp.size);
  w->Put(stamp.mtime_ns);
  w->Put(stamp.inode);
  w->Put(stamp.device);
}

bool GetStamp(Reader* r, FileStamp* stamp) {
  return r->Get(&stamp->size) && r->Get(&stamp->mtime_ns) && r->Get(&stamp->inode) &&
         r->Get(&stamp->device);
}

bool CheckHeader(Reader* reader, char magic, std::string* err) {
  char got_magic = 0;
  uint8_t version = 0;
  if (!reader->Get(&got_magic) || !reader->Get(&version)) {
    *err = "message too short";
    return false;
  }
  if (got_magic != magic) {
    *err = fmt::format("message of the wrong kind (magic 0x{:02x})",
                       static_cast<unsigned char>(got_magic));
    return false;
  }
  if (version != kProtocolVersion) {
    *err = fmt::format("message of protocol version {}, this program speaks {}", version,
                       kProtocolVersion);
    return false;
  }
  return true;
}

}  // namespace

size_t EncodeWorkItem(const WorkItem& item, std::span<char> buffer) {
  if (item.path.size() > kMaxPathBytes || buffer.size() < kMaxWorkMessageBytes) return 0;
  Writer w(buffer);
  w.Put(kWorkMagic);
  w.Put(kProtocolVersion);
  w.Put(static_cast<uint8_t>(item.kind));
  w.Skip(1);
  w.Put(static_cast<uint32_t>(item.path.size()));
  PutStamp(&w, item.stamp);
  w.Put(item.found_ns);
  w.PutBytes(item.path);
  return w.size();
}

bool DecodeWorkItem(std::span<const char> message, WorkItem* item, std::string* err) {
  Reader r(message);
  if (!CheckHeader(&r, kWorkMagic, err)) return false;
  uint8_t kind = 0;
  uint32_t path_size = 0;
  if (!r.Get(&kind) || !r.Skip(1) || !r.Get(&path_size) || !GetStamp(&r, &item->stamp) ||
      !r.Get(&item->found_ns)) {
    *err = "work item header cut short";
    return false;
  }
  if (kind != static_cast<uint8_t>(WorkKind::kFile) &&
      kind != static_cast<uint8_t>(WorkKind::kEnd)) {
    *err = fmt::format("work item of unknown kind {}", kind);
    return false;
  }
  if (path_size > kMaxPathBytes || !r.GetBytes(path_size, &item->path) || !r.AtEnd()) {
    *err = "work item of inconsistent length";
    return false;
  }
  item->kind = static_cast<WorkKind>(kind);
  return true;
}

size_t EncodeResult(const Result& result, std::span<char> buffer) {
  if (result.path.size() > kMaxPathBytes || result.thumbnail.size() > kMaxThumbnailListBytes ||
      buffer.size() < kMaxResultMessageBytes) {
    return 0;
  }
  const std::string_view reason = std::string_view(result.reason).substr(0, kMaxReasonBytes);
  Writer w(buffer);
  w.Put(kResultMagic);
  w.Put(kProtocolVersion);
  w.Put(static_cast<uint8_t>(result.kind));
  w.Skip(1);
  w.Put(result.worker);
  w.Put(static_cast<uint16_t>(result.thumbnail.size()));
  w.Put(result.width);
  w.Put(result.height);
  w.Put(result.source_bytes);
  w.Put(result.item);
  w.Put(static_cast<uint32_t>(result.path.size()));
  w.Put(static_cast<uint32_t>(reason.size()));
  w.Put(result.flags);
  w.Put(result.format);
  w.Skip(6);
  w.Put(result.thumbnail_bytes);
  PutStamp(&w, result.stamp);
  w.Put(result.found_ns);
  w.PutBytes(result.path);
  w.PutBytes(result.thumbnail);
  w.PutBytes(reason);
  return w.size();
}

bool DecodeResult(std::span<const char> message, Result* result, std::string* err) {
  Reader r(message);
  if (!CheckHeader(&r, kResultMagic, err)) return false;
  uint8_t kind = 0;
  uint16_t thumbnail_size = 0;
  uint32_t path_size = 0, reason_size = 0;
  if (!r.Get(&kind) || !r.Skip(1) || !r.Get(&result->worker) || !r.Get(&thumbnail_size) ||
      !r.Get(&result->width) || !r.Get(&result->height) || !r.Get(&result->source_bytes) ||
      !r.Get(&result->item) || !r.Get(&path_size) || !r.Get(&reason_size) ||
      !r.Get(&result->flags) || !r.Get(&result->format) || !r.Skip(6) ||
      !r.Get(&result->thumbnail_bytes) || !GetStamp(&r, &result->stamp) ||
      !r.Get(&result->found_ns)) {
    *err = "result header cut short";
    return false;
  }
  if (kind < static_cast<uint8_t>(ResultKind::kThumbnail) ||
      kind > static_cast<uint8_t>(ResultKind::kRemoved)) {
    *err = fmt::format("result of unknown kind {}", kind);
    return false;
  }
  if (path_size > kMaxPathBytes || thumbnail_size > kMaxThumbnailListBytes ||
      reason_size > kMaxReasonBytes || !r.GetBytes(path_size, &result->path) ||
      !r.GetBytes(thumbnail_size, &result->thumbnail) ||
      !r.GetBytes(reason_size, &result->reason) || !r.AtEnd()) {
    *err = "result of inconsistent length";
    return false;
  }
  result->kind = static_cast<ResultKind>(kind);
  return true;
}

}  // namespace thumbpipe
