// PNG row filters undone (specification, section 9: None, Sub, Up, Average, Paeth), for every
// pixel size a PNG may have. Shared by the PNG decoders. Worker only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace thumbpipe {

// Undoes the filter of one row: `filter` is the row's filter byte, `in` its `stride` filtered
// bytes, `prior` the row above as unfiltered (zeros for the first row), `out` where the row
// goes (may be `in`, not `prior`). `bpp` is the bytes of a pixel rounded up to whole bytes
// (1 to 8). Returns false for an unknown filter type or pixel size.
bool UnfilterRow(uint8_t filter, const uint8_t* in, const uint8_t* prior, uint8_t* out,
                 size_t stride, size_t bpp);

}  // namespace thumbpipe
