// zlib streams (RFC 1950) inflated, and CRC-32 computed, with ISA-L: the only file that
// includes it. ISA-L inflates photographs about twice as fast as zlib (it decodes several
// literals per table lookup). Used by the PNG decoders. Worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

struct inflate_state;

namespace thumbpipe {

// The CRC-32 of PNG chunks (ISO 3309, as zlib's crc32): `crc` of the bytes before, then `data`.
uint32_t Crc32(uint32_t crc, std::span<const uint8_t> data);

// Whether `header`, the first two bytes of a zlib stream, are what zlib accepts without a
// dictionary: deflate, a window of at most 32 KiB, a correct check. `window` gets its size.
bool IsZlibHeader(uint8_t cmf, uint8_t flg, size_t* window);

// One zlib stream, fed in pieces (PNG's IDAT chunks) and inflated into buffers of any size;
// the Adler-32 checksum at its end is checked. Not thread-safe; one stream at a time.
class Inflater {
 public:
  enum class Result {
    kMore,   // the output is full, or the input used up: call again with more
    kEnd,    // the stream ended and its checksum is right
    kError,  // damaged, or ends early: nothing more comes out
  };

  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Starts over with a new stream.
  void Reset();
  // The next compressed bytes, to stay valid until pending_input() is 0. Only when
  // pending_input() is 0.
  void Feed(std::span<const uint8_t> data);
  // Inflates into `out`, setting *written; every byte of output written before an error is
  // what the stream holds.
  Result Inflate(std::span<uint8_t> out, size_t* written);
  // Bytes fed that it has not taken yet.
  size_t pending_input() const;

 private:
  std::unique_ptr<inflate_state> state_;  // about 85 KiB of tables and window
};

// Inflates `stream`, one whole zlib stream, into `out`: true when it ends with a correct
// checksum, using all of `stream`, having filled `out` exactly.
bool InflateWhole(std::span<const uint8_t> stream, std::span<uint8_t> out);

}  // namespace thumbpipe
