// The bytes of one file as a decoder sees them: the head (for sniffing and EXIF), then either
// the whole file or a stream. Streaming decoders (PNG) read a large file in pieces, so a worker
// never holds it whole; the others ask for all of it. Worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <vector>

#include "common/source_opener.h"
#include "common/status.h"

namespace thumbpipe {

class Input {
 public:
  virtual ~Input() = default;

  // The first bytes of the file: all of it, or at least kHeadBytes.
  virtual std::span<const uint8_t> Head() const = 0;
  // True when Head() is the whole file.
  virtual bool HeadIsWhole() const = 0;
  // The whole file; reads what Head() did not. Not after Read().
  virtual Status Whole(std::span<const uint8_t>* all) = 0;
  // Streams the file from its first byte: copies up to `size` bytes into `out`, sets *got to
  // how many (0 at the end).
  virtual Status Read(uint8_t* out, size_t size, size_t* got) = 0;
  // Starts Read() over from the file's first byte, for a decoder that must read it twice
  // (a fast path that gives up halfway and leaves the file to a library).
  virtual Status Rewind() = 0;
  // True when reading again after Rewind() may give other bytes than the first time: the file
  // is held in memory only in part and what it says of its size, modification or change time
  // differs from when it was opened (a rewrite of the same size within one tick of the file
  // system's clock goes unseen). For a decoder that reads it a second time.
  virtual bool Changed() const = 0;
  // Bytes read from the file so far.
  virtual uint64_t bytes_read() const = 0;

  static constexpr size_t kHeadBytes = 256 * 1024;
};

// A file already in memory (tests, the fuzzer).
class MemoryInput : public Input {
 public:
  explicit MemoryInput(std::span<const uint8_t> data) : data_(data) {}
  std::span<const uint8_t> Head() const override { return data_; }
  bool HeadIsWhole() const override { return true; }
  Status Whole(std::span<const uint8_t>* all) override;
  Status Read(uint8_t* out, size_t size, size_t* got) override;
  Status Rewind() override;
  bool Changed() const override { return false; }
  uint64_t bytes_read() const override { return data_.size(); }

 private:
  std::span<const uint8_t> data_;
  size_t position_ = 0;
};

// A regular file, read through its descriptor (which it owns). The buffer is reused from file
// to file by the caller, so a worker allocates it once.
class FileInput : public Input {
 public:
  // Opens `path` through `sources`, which applies the run's --symlinks policy (never blocking
  // on a FIFO swapped in after the walk), and reads its head. `buffer` must outlive the
  // FileInput. On failure the message says why (see SourceOpener::Open).
  static Status Open(const SourceOpener& sources, const std::string& path,
                     std::vector<uint8_t>* buffer, std::unique_ptr<FileInput>* input);
  ~FileInput() override;

  std::span<const uint8_t> Head() const override { return {buffer_->data(), head_size_}; }
  bool HeadIsWhole() const override { return at_end_ && head_size_ == used_; }
  Status Whole(std::span<const uint8_t>* all) override;
  Status Read(uint8_t* out, size_t size, size_t* got) override;
  Status Rewind() override;
  bool Changed() const override;
  uint64_t bytes_read() const override { return bytes_read_; }
  // Nanoseconds spent opening the file and in read(2) so far.
  int64_t read_ns() const { return read_ns_; }

 private:
  FileInput(int fd, std::vector<uint8_t>* buffer) : fd_(fd), buffer_(buffer) {}
  Status ReadMore(size_t want, size_t* got);

  int fd_;
  std::vector<uint8_t>* buffer_;
  size_t head_size_ = 0;
  size_t used_ = 0;  // bytes of the file in buffer_
  bool at_end_ = false;
  bool buffer_at_end_ = false;  // buffer_ holds the file up to its end
  uint64_t size_at_open_ = 0;
  timespec mtime_at_open_{};
  timespec ctime_at_open_{};
  size_t position_ = 0;  // Read()'s position in the file
  uint64_t bytes_read_ = 0;
  int64_t read_ns_ = 0;
};

}  // namespace thumbpipe
