// The fast path of the PNG decoder (png_decoder.cc): once libpng has read a non-interlaced
// PNG's header, up to the length and type of its first IDAT chunk, this reads the image data
// itself: every IDAT chunk's checksum checked, inflated with ISA-L as it comes, unfiltered row
// by row, expanded to 8 bits (row_expander.h) and handed to the RowSink. Memory stays a few
// rows and a piece of the file.
//
// It takes only the plain case: consecutive IDAT chunks with correct checksums, holding one
// zlib stream that zlib would take, with a correct Adler-32, that ends exactly after the last
// row. Anything else (damage, truncation, too little or too much data) makes it give up, and
// the caller decodes the file again with libpng, whose verdict and reason then stand.
// Worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "worker/decoders/decoder.h"
#include "worker/decoders/png/row_expander.h"

namespace thumbpipe {

// The bytes of the file after those libpng took.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next bytes not yet consumed (reading more when there are none), valid until the next
  // call; empty at the end of the file or on a read error.
  virtual std::span<const uint8_t> Next() = 0;
  virtual void Consume(size_t size) = 0;
};

struct IdatResult {
  bool ok = false;    // every row handed over, the data as described above
  uint32_t rows = 0;  // rows handed to the sink
};

// Decodes `height` rows of `expander`'s layout from `source`, which is at the data of an IDAT
// chunk of `first_length` bytes, into `sink` (Begin already called).
IdatResult DecodeIdat(ByteSource& source, uint32_t first_length, uint32_t height,
                      const RowExpander& expander, RowSink* sink);

}  // namespace thumbpipe
