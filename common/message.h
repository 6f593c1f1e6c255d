// The messages that travel through a run's two queues: work items (producer -> workers) and
// results (workers -> sink). Fixed maximum sizes, explicit byte layout, a version byte, so a
// mismatched binary is refused instead of misread. Used by every role.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/boxes.h"

namespace thumbpipe {

// 3: thumbnail names of up to 69 bytes (".webp"); the output format in the control block.
// 4: a list of thumbnails, one for each box (common/boxes.h); the boxes in the control block.
inline constexpr uint8_t kProtocolVersion = 4;

// Longest path a message carries. Longer paths are reported as failed by the producer.
inline constexpr size_t kMaxPathBytes = 4096;
// Longer reasons are cut (they are for people, not for parsing).
inline constexpr size_t kMaxReasonBytes = 1024;
// "<64 hex digits>.webp", the longest extension (common/output_format.h)
inline constexpr size_t kThumbnailNameBytes = 69;
// The longest thumbnail list (common/boxes.h): kMaxBoxes entries "65535x65535/<name>", each
// but the last followed by a newline.
inline constexpr size_t kMaxThumbnailListBytes =
    kMaxBoxes * (kMaxBoxFolderBytes + kThumbnailNameBytes + 1);

// What identifies one version of a file, as stat(2) gave it when the producer found it; the
// catalog compares it to decide whether a file changed. All zero when unknown.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // since the epoch
  uint64_t inode = 0;
  uint64_t device = 0;
  bool operator==(const FileStamp&) const = default;
};

enum class WorkKind : uint8_t { kFile = 1, kEnd = 2 };

struct WorkItem {
  WorkKind kind = WorkKind::kFile;
  std::string path;      // absolute; empty for kEnd
  FileStamp stamp;       // of the file as found
  int64_t found_ns = 0;  // wall-clock time of that stat (see catalog/entry.h)
};

// kRemoved: the source is gone (watch mode); its manifest line and catalog entry go too.
enum class ResultKind : uint8_t {
  kThumbnail = 1,
  kNotImage = 2,
  kFailed = 3,
  kEnd = 4,
  kRemoved = 5
};

// Result::flags
inline constexpr uint8_t kResultUnchanged = 1;  // carried over from the catalog, not redone
// A failure that says nothing about the file (the thumbnail could not be written, the file
// could not be opened): not remembered, so the next run tries again.
inline constexpr uint8_t kResultTransient = 2;

struct Result {
  ResultKind kind = ResultKind::kThumbnail;
  uint16_t worker = 0;  // index of the worker that sent it (the producer sends as 0xFFFF)
  uint32_t width = 0;   // of the (first box's) thumbnail, for kThumbnail
  uint32_t height = 0;
  uint64_t source_bytes = 0;     // size of the source file as read
  uint64_t item = 0;             // the worker slot's item number (see WorkerSlot::item); 0: none
  uint8_t flags = 0;             // kResult* bits
  uint8_t format = 0;            // the image format found (worker/sniff.h Format); 0: unknown
  uint64_t thumbnail_bytes = 0;  // bytes of thumbnails written (0: they existed already)
  FileStamp stamp;               // of the source as found (see WorkItem::stamp)
  int64_t found_ns = 0;          // and when (WorkItem::found_ns)
  std::string path;              // source path (may be cut to kMaxPathBytes, see producer)
  // For kThumbnail, "<sha256>.<ext>", or with several boxes their list (common/boxes.h);
  // else empty.
  std::string thumbnail;
  std::string reason;  // why, for kNotImage and kFailed
};

inline constexpr uint16_t kProducerId = 0xFFFF;

inline constexpr size_t kStampBytes = 40;  // with found_ns
inline constexpr size_t kWorkHeaderBytes = 8 + kStampBytes;
inline constexpr size_t kResultHeaderBytes = 56 + kStampBytes;
inline constexpr size_t kMaxWorkMessageBytes = kWorkHeaderBytes + kMaxPathBytes;
inline constexpr size_t kMaxResultMessageBytes =
    kResultHeaderBytes + kMaxPathBytes + kMaxThumbnailListBytes + kMaxReasonBytes;

// Encoders return the number of bytes written into buffer, or 0 when the item does not fit
// (a path longer than kMaxPathBytes); buffer must hold the kMax*MessageBytes of its kind.
// The result encoder cuts an overlong reason instead of failing.
size_t EncodeWorkItem(const WorkItem& item, std::span<char> buffer);
size_t EncodeResult(const Result& result, std::span<char> buffer);

// Decoders return false and describe the problem in *err on a malformed or foreign message.
bool DecodeWorkItem(std::span<const char> message, WorkItem* item, std::string* err);
bool DecodeResult(std::span<const char> message, Result* result, std::string* err);

}  // namespace thumbpipe
