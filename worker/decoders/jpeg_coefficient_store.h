// The whole-image coefficient arrays libjpeg keeps for a progressive (or multi-scan) JPEG, held
// compact in place of libjpeg's own (which take 128 bytes a block: 144 MB for 24 megapixels
// at 4:4:4). Worker only.
//
// libjpeg asks for its arrays through the virtual-array methods of cinfo->mem, which an
// application may replace; Install does. Each block row is kept packed: a 64-bit mask of the
// block's nonzero coefficients, then the values of the nonzero ones the component's inverse DCT
// reads at the output scale (jddctmgr.c picks it by DCT_scaled_size; jidctred.c: the 1x1 IDCT
// reads coefficient 0 only, the 2x2 one rows and columns 0, 1, 3, 5 and 7, the 4x4 one all but
// row and column 4). libjpeg works on a few unpacked rows at a time (one iMCU row while it
// reads a scan, up to five around the current one while it smooths and outputs them); rows
// are unpacked when it asks for them and packed again when it moves on.
//
// The pixels are those of libjpeg's own arrays: of a coefficient the IDCT does not read, only
// whether it is zero is kept (it comes back as 1 if not). Nothing else in the decoder reads
// more of it: a refinement scan (jdphuff.c, decode_mcu_AC_refine) reads a correction bit for
// each nonzero coefficient and moves it away from zero, so whether it is zero, never its value,
// keeps the bitstream in step; block smoothing (jdcoefct.c, decompress_smooth_data) only tests
// coefficients 1-9 for zero and reads DC values; and a zero test in an IDCT sees the same
// zeros. A row whose packed form would be larger than its blocks (every coefficient read and
// nonzero) is kept as it is.
//
// At 1/8 every component not subsampled against another keeps 8 to 10 bytes a block whatever
// the image (11 MB for 24 megapixels at 4:4:4); at other scales the size follows the image's
// nonzero coefficients, at most libjpeg's own. Running out of memory is libjpeg's
// JERR_OUT_OF_MEMORY.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

#include <jpeglib.h>

namespace thumbpipe {

// The coefficient positions (bit i: natural-order index i) whose values an inverse DCT
// producing `scaled_size` x `scaled_size` pixels from a block reads; all 64 for sizes other
// than 1, 2 and 4.
uint64_t CoefficientsRead(int scaled_size);

class JpegCoefficientStore {
 public:
  JpegCoefficientStore() = default;
  JpegCoefficientStore(const JpegCoefficientStore&) = delete;
  JpegCoefficientStore& operator=(const JpegCoefficientStore&) = delete;
  ~JpegCoefficientStore();

  // Takes over `cinfo`'s virtual block arrays (and its client_data): call after
  // jpeg_create_decompress and before jpeg_start_decompress. The store must outlive every
  // libjpeg call on `cinfo`.
  void Install(j_decompress_ptr cinfo);

  // The most memory the arrays held at once (packed rows and unpacked windows), in bytes.
  size_t peak_bytes() const { return peak_bytes_; }

 private:
  struct Row;
  struct Array;
  static jvirt_barray_ptr Request(j_common_ptr cinfo, int pool_id, boolean pre_zero,
                                  JDIMENSION blocks_per_row, JDIMENSION rows,
                                  JDIMENSION max_access);
  static void Realize(j_common_ptr cinfo);
  static JBLOCKARRAY Access(j_common_ptr cinfo, jvirt_barray_ptr array, JDIMENSION start_row,
                            JDIMENSION num_rows, boolean writable);
  void* Allocate(j_common_ptr cinfo, size_t bytes);
  void Pack(j_common_ptr cinfo, Array* array, JDIMENSION row, JBLOCKROW blocks);
  void Unpack(const Array& array, JDIMENSION row, JBLOCKROW blocks) const;
  void Slide(j_common_ptr cinfo, Array* array, JDIMENSION first);

  void (*realize_others_)(j_common_ptr) = nullptr;  // libjpeg's, for its sample arrays
  Array* arrays_ = nullptr;                         // one per component, in request order
  int array_count_ = 0;
  uint8_t* scratch_ = nullptr;  // one packed row, as long as the longest can be
  size_t bytes_ = 0;
  size_t peak_bytes_ = 0;
};

}  // namespace thumbpipe
