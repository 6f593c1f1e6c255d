// The scan script of a progressive JPEG, and where its decode at 1/8 can stop. Worker only.
//
// libjpeg reads every scan of a progressive file before it outputs a row. At scale 1/8 every
// component not subsampled in both directions against another (all but the chroma of 4:2:0)
// gets a 1x1 IDCT (jidctred.c, jpeg_idct_1x1) that reads nothing but each block's DC
// coefficient, so the scans after the last one that touches a coefficient the output reads
// cannot change the pixels: the decode can output them there, in buffered-image mode. The
// chroma of 4:2:0 is scaled up by a 2x2 IDCT instead (jdmaster.c, jpeg_calc_output_dimensions;
// 4x4 for stronger subsampling), which reads coefficients up to zigzag 63, so all of its scans
// count. Stopping early is exact only if the whole decode would not smooth blocks: when
// coefficients 1-9 of some component are not known to full precision at the end, jdcoefct.c
// (decompress_smooth_data) estimates them from the neighbouring DC values, and when none of
// them was sent it rewrites the DC coefficients as well. And it must not hide an error: the
// part left unread has to be one that libjpeg reads without one. Anything else is decoded
// whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include <jpeglib.h>

namespace thumbpipe {

// More scans than any encoder writes (libjpeg's own progressions have 6 for grey, 10 for
// colour and 18 for CMYK). Every scan is a pass over all of the image's coefficients and can
// take a dozen bytes, so the number of scans, not the file's size, sets the work: 3500 scans in
// 256 KiB kept a 20-megapixel decode busy for 100 s. A file with more is refused (the
// decoder's progress hook), and the script of the others stays small.
inline constexpr size_t kMaxScans = 100;

// One scan, as its SOS segment describes it.
struct ScanHeader {
  uint8_t components = 0;  // bit c: frame component c
  int count = 0;           // components in the scan
  int ss = 0, se = 0, ah = 0, al = 0;
  size_t data_offset = 0;  // the first byte after the SOS segment
  // libjpeg reads this scan's SOS segment, and the segments between the previous scan and it,
  // without an error and without a change to anything but the coefficients of this scan.
  bool skippable = false;
};

struct ScanScript {
  std::vector<ScanHeader> scans;
  bool tail_skippable = false;  // the same for the segments between the last scan and EOI
};

// The number of scans to read before the output pass (0: all of them, the usual way), after
// jpeg_read_header and with the output scale set. Fills `script` for ConsumeScans.
int PlanEarlyStop(std::span<const uint8_t> file, j_decompress_ptr cinfo, ScanScript* script);

// Reads scans in buffered-image mode until `count` of them are complete. False if libjpeg
// finds something other than the script (never expected; the caller then decodes whole).
bool ConsumeScans(j_decompress_ptr cinfo, std::span<const uint8_t> file, const ScanScript& script,
                  int count);

}  // namespace thumbpipe
