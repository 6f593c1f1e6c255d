#include "worker/decoders/png/idat_decoder.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "worker/decoders/png/inflater.h"
#include "worker/decoders/png/unfilter.h"

namespace thumbpipe {
namespace {

constexpr uint8_t kIdat[4] = {'I', 'D', 'A', 'T'};

// Inflated data is gathered in pieces of at least this size: ISA-L is fastest with room to
// write whole blocks.
constexpr size_t kInflateBytes = 256 * 1024;

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

class Reader {
 public:
  Reader(ByteSource& source, uint32_t first_length)
      : source_(source), left_(first_length), crc_(Crc32(0, kIdat)) {}

  // Up to the rest of the current chunk's data, crossing into following IDAT chunks (their
  // checksums checked); empty, with *ok false, when the file ends or another chunk comes.
  std::span<const uint8_t> Data(bool* ok) {
    *ok = true;
    while (left_ == 0) {
      if (!FinishChunk() || !ReadExactly(header_, 8) || std::memcmp(header_ + 4, kIdat, 4) != 0) {
        *ok = false;
        return {};
      }
      left_ = Be32(header_);
      crc_ = Crc32(0, kIdat);
    }
    std::span<const uint8_t> bytes = source_.Next();
    if (bytes.empty()) {
      *ok = false;
      return {};
    }
    bytes = bytes.first(std::min<size_t>(bytes.size(), left_));
    crc_ = Crc32(crc_, bytes);
    left_ -= static_cast<uint32_t>(bytes.size());
    source_.Consume(bytes.size());
    return bytes;
  }

  // Whether the current chunk's data is all read.
  bool chunk_done() const { return left_ == 0; }

  // Reads the current chunk's checksum (all of its data read) and checks it.
  bool FinishChunk() {
    uint8_t stored[4];
    return left_ == 0 && ReadExactly(stored, 4) && Be32(stored) == crc_;
  }

 private:
  bool ReadExactly(uint8_t* out, size_t size) {
    while (size > 0) {
      const std::span<const uint8_t> bytes = source_.Next();
      if (bytes.empty()) return false;
      const size_t n = std::min(size, bytes.size());
      std::memcpy(out, bytes.data(), n);
      source_.Consume(n);
      out += n;
      size -= n;
    }
    return true;
  }

  ByteSource& source_;
  uint32_t left_;  // of the current chunk's data
  uint32_t crc_;   // of the current chunk so far
  uint8_t header_[8];
};

}  // namespace

IdatResult DecodeIdat(ByteSource& source, uint32_t first_length, uint32_t height,
                      const RowExpander& expander, RowSink* sink) {
  IdatResult result;
  const size_t stride = expander.stored_stride();
  const size_t filtered = stride + 1;  // a row as stored, after its filter byte
  std::vector<uint8_t> raw, rows, expanded;
  try {
    raw.resize(std::max(kInflateBytes, 2 * filtered));
    rows.resize(2 * stride);
    expanded.resize(expander.output_stride());
  } catch (const std::bad_alloc&) {
    return result;
  }
  uint8_t* prior = rows.data();
  uint8_t* current = rows.data() + stride;
  std::memset(prior, 0, stride);

  Reader reader(source, first_length);
  Inflater inflater;
  uint8_t zlib_header[2];
  size_t header_bytes = 0;
  const uint64_t total = uint64_t{height} * filtered;
  size_t held = 0;  // inflated bytes in `raw` not yet made into rows
  bool ended = false;
  while (!ended) {
    if (inflater.pending_input() == 0) {
      bool ok = false;
      const std::span<const uint8_t> data = reader.Data(&ok);
      if (!ok) return result;
      // zlib's header as zlib takes it; a window smaller than 32 KiB only when no distance
      // can reach past it (ISA-L does not check distances against the declared window).
      for (size_t i = 0; i < data.size() && header_bytes < 2; ++i) {
        zlib_header[header_bytes++] = data[i];
        size_t window = 0;
        if (header_bytes == 2 && (!IsZlibHeader(zlib_header[0], zlib_header[1], &window) ||
                                  (window < 32768 && total > window))) {
          return result;
        }
      }
      inflater.Feed(data);
    }
    size_t written = 0;
    const Inflater::Result status =
        inflater.Inflate(std::span<uint8_t>(raw).subspan(held), &written);
    if (status == Inflater::Result::kError) return result;
    ended = status == Inflater::Result::kEnd;
    held += written;
    size_t at = 0;
    while (held - at >= filtered && result.rows < height) {
      const uint8_t* in = raw.data() + at;
      if (!UnfilterRow(in[0], in + 1, prior, current, stride, expander.filter_step()))
        return result;
      sink->Row(expander.Expand(current, expanded.data()));
      ++result.rows;
      std::swap(prior, current);
      at += filtered;
    }
    // Inflated bytes past the last row: more data than the image holds.
    if (result.rows == height && held > at) return result;
    std::memmove(raw.data(), raw.data() + at, held - at);
    held -= at;
    if (!ended && written == 0 && inflater.pending_input() > 0) return result;  // stuck
  }
  // The stream ended: exactly the rows, and nothing after it in its chunk, whose checksum
  // must be right. Chunks after it are not read, as libpng does not read them.
  if (result.rows != height || held != 0 || inflater.pending_input() != 0 || !reader.chunk_done() ||
      !reader.FinishChunk()) {
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace thumbpipe
