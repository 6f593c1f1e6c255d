#include "worker/decoders/jpeg_scan_script.h"

#include <cstring>
#include <new>

#include <jerror.h>

namespace thumbpipe {
namespace {

constexpr uint8_t kDht = 0xC4;
constexpr uint8_t kSos = 0xDA;
constexpr uint8_t kDqt = 0xDB;
constexpr uint8_t kDri = 0xDD;
constexpr uint8_t kApp14 = JPEG_APP0 + 14;  // Adobe: its transform flag changes the colours
constexpr int kSmoothedCoefficients = 10;   // zigzag 0-9: the ones block smoothing looks at

// Whether libjpeg can make a decoding table of these code counts (jdhuff.c,
// jpeg_make_d_derived_tbl): at most 256 codes, and every length's codes fit in its bits
// without the all-ones code.
bool HuffmanCodesFit(const UINT8 bits[17]) {
  uint32_t codes = 0;
  uint32_t next_code = 0;
  for (int length = 1; length <= 16; ++length) {
    codes += bits[length];
    next_code += bits[length];
    if (codes > 256 || next_code >= (uint32_t{1} << length)) return false;
    next_code <<= 1;
  }
  return true;
}

// The marker libjpeg reads next from `pos` on (jdmarker.c, next_marker; jdhuff.c,
// jpeg_fill_bit_buffer): stuffed zeros, fill bytes and RSTn belong to the entropy-coded data
// (or to garbage, which it skips). Stores the marker's code and returns the position after
// it; 0 if the file ends first.
size_t NextMarker(std::span<const uint8_t> file, size_t pos, uint8_t* code) {
  while (pos < file.size()) {
    const auto* ff =
        static_cast<const uint8_t*>(std::memchr(file.data() + pos, 0xFF, file.size() - pos));
    if (ff == nullptr) return 0;
    size_t next = static_cast<size_t>(ff - file.data()) + 1;
    while (next < file.size() && file[next] == 0xFF) ++next;
    if (next == file.size()) return 0;
    const uint8_t c = file[next];
    if (c != 0x00 && (c < JPEG_RST0 || c > JPEG_RST0 + 7)) {
      *code = c;
      return next + 1;
    }
    pos = next + 1;
  }
  return 0;
}

// Follows jdmarker.c (get_dht): false where libjpeg stops with an error. Records whether each
// AC table it defines can be used by a scan.
bool ReadDht(std::span<const uint8_t> body, bool ac_table_ok[NUM_HUFF_TBLS]) {
  size_t at = 0;
  size_t left = body.size();
  while (left > 16) {
    const int index = body[at];
    UINT8 bits[17] = {};
    size_t count = 0;
    for (int length = 1; length <= 16; ++length) {
      bits[length] = body[at + length];
      count += bits[length];
    }
    at += 17;
    left -= 17;
    if (count > 256 || count > left) return false;
    at += count;
    left -= count;
    const bool ac = (index & 0x10) != 0;
    const int slot = ac ? index - 0x10 : index;
    if (slot >= NUM_HUFF_TBLS) return false;
    if (ac) ac_table_ok[slot] = HuffmanCodesFit(bits);
  }
  return left == 0;
}

// Follows jdmarker.c (get_sos): false where libjpeg stops with an error, or where the
// components are not ones it finds plainly by their id. `*ac_table` is the AC table of the
// last component listed.
bool ReadSos(std::span<const uint8_t> body, const jpeg_decompress_struct& cinfo, ScanHeader* scan,
             int* ac_table) {
  if (body.empty()) return false;
  const int n = body[0];
  if (n < 1 || n > MAX_COMPS_IN_SCAN || body.size() != static_cast<size_t>(2 * n + 4)) {
    return false;
  }
  for (int i = 0; i < n; ++i) {
    int c = 0;
    while (c < cinfo.num_components && cinfo.comp_info[c].component_id != body[1 + 2 * i]) ++c;
    if (c == cinfo.num_components || (scan->components & (1 << c)) != 0) return false;
    scan->components |= static_cast<uint8_t>(1 << c);
    *ac_table = body[2 + 2 * i] & 15;
  }
  scan->count = n;
  scan->ss = body[1 + 2 * n];
  scan->se = body[2 + 2 * n];
  scan->ah = body[3 + 2 * n] >> 4;
  scan->al = body[3 + 2 * n] & 15;
  return true;
}

// Whether libjpeg starts this scan without an error (jdphuff.c, start_pass_phuff_decoder) if
// it is an AC scan: the only kind that can come after the scans the output needs.
bool AcScanStarts(const ScanHeader& scan, int ac_table, const bool ac_table_ok[NUM_HUFF_TBLS]) {
  return scan.count == 1 && scan.ss >= 1 && scan.ss <= scan.se && scan.se < DCTSIZE2 &&
         (scan.ah == 0 || scan.al == scan.ah - 1) && scan.al <= 13 && ac_table < NUM_HUFF_TBLS &&
         ac_table_ok[ac_table];
}

// The scans of a progressive file from its first SOS (which jpeg_read_header has read) to
// EOI, read the way libjpeg's marker reader reads them, the entropy-coded data skipped. False
// where the file has no EOI (libjpeg would report it truncated), an error libjpeg would stop
// at, or a marker this reader does not follow.
bool ReadScanScript(std::span<const uint8_t> file, const jpeg_decompress_struct& cinfo,
                    ScanScript* script) {
  bool ac_table_ok[NUM_HUFF_TBLS];
  for (int t = 0; t < NUM_HUFF_TBLS; ++t) {
    const JHUFF_TBL* table = cinfo.ac_huff_tbl_ptrs[t];
    ac_table_ok[t] = table != nullptr && HuffmanCodesFit(table->bits);
  }
  size_t pos = file.size() - cinfo.src->bytes_in_buffer;
  ScanHeader first;
  for (int i = 0; i < cinfo.comps_in_scan; ++i) {
    first.components |= static_cast<uint8_t>(1 << cinfo.cur_comp_info[i]->component_index);
  }
  first.count = cinfo.comps_in_scan;
  first.ss = cinfo.Ss;
  first.se = cinfo.Se;
  first.ah = cinfo.Ah;
  first.al = cinfo.Al;
  first.data_offset = pos;
  script->scans.push_back(first);

  bool gap_skippable = true;
  for (;;) {
    uint8_t code = 0;
    pos = NextMarker(file, pos, &code);
    if (pos == 0) return false;
    if (code == JPEG_EOI) {
      script->tail_skippable = gap_skippable;
      return true;
    }
    const bool app = code >= JPEG_APP0 && code <= JPEG_APP0 + 15;
    if (code != kSos && code != kDht && code != kDqt && code != kDri && code != JPEG_COM && !app) {
      return false;
    }
    if (file.size() - pos < 2) return false;
    const size_t length = size_t{file[pos]} << 8 | file[pos + 1];
    if (length < 2 || length > file.size() - pos) return false;
    const std::span<const uint8_t> body = file.subspan(pos + 2, length - 2);
    pos += length;
    if (code == kSos) {
      ScanHeader scan;
      int ac_table = 0;
      if (!ReadSos(body, cinfo, &scan, &ac_table) || script->scans.size() == kMaxScans) {
        return false;
      }
      scan.data_offset = pos;
      scan.skippable = gap_skippable && AcScanStarts(scan, ac_table, ac_table_ok);
      script->scans.push_back(scan);
      gap_skippable = true;
    } else if (code == kDht) {
      if (!ReadDht(body, ac_table_ok)) return false;
    } else if (code == kDri) {
      if (length != 4) return false;
    } else if (code == kDqt || code == kApp14) {
      gap_skippable = false;
    }
  }
}

// How many scans must be read before the pixels at the chosen scale are final, if that is
// fewer than all of them and stopping there gives the pixels of the whole decode; else 0.
int ScansNeeded(const jpeg_decompress_struct& cinfo, const ScanScript& script) {
  // The precision each of coefficients 0-9 has at the end (-1: never sent), as libjpeg keeps
  // it in coef_bits (jdphuff.c, start_pass_phuff_decoder).
  int bits[MAX_COMPS_IN_SCAN][kSmoothedCoefficients];
  std::fill(&bits[0][0], &bits[0][0] + MAX_COMPS_IN_SCAN * kSmoothedCoefficients, -1);
  size_t needed = 0;
  for (size_t j = 0; j < script.scans.size(); ++j) {
    const ScanHeader& scan = script.scans[j];
    for (int c = 0; c < cinfo.num_components; ++c) {
      if ((scan.components & (1 << c)) == 0) continue;
      if (scan.ss == 0 || cinfo.comp_info[c].DCT_scaled_size > 1) needed = j + 1;
      for (int z = scan.ss; z <= std::min(scan.se, kSmoothedCoefficients - 1); ++z) {
        bits[c][z] = scan.al;
      }
    }
  }
  for (int c = 0; c < cinfo.num_components; ++c) {
    if (bits[c][0] < 0) return 0;  // a component without DC coefficients: a broken file
    for (int z = 1; z < kSmoothedCoefficients; ++z) {
      if (bits[c][z] != 0) return 0;  // the whole decode would smooth blocks
    }
  }
  if (needed == script.scans.size()) return 0;
  for (size_t j = needed; j < script.scans.size(); ++j) {
    if (!script.scans[j].skippable) return 0;
  }
  return script.tail_skippable ? static_cast<int>(needed) : 0;
}

// Whether libjpeg, having just read an SOS segment, found the scan the script has there.
bool SameScan(const jpeg_decompress_struct& cinfo, std::span<const uint8_t> file,
              const ScanHeader& scan) {
  uint8_t components = 0;
  for (int i = 0; i < cinfo.comps_in_scan; ++i) {
    components |= static_cast<uint8_t>(1 << cinfo.cur_comp_info[i]->component_index);
  }
  return cinfo.comps_in_scan == scan.count && components == scan.components &&
         cinfo.Ss == scan.ss && cinfo.Se == scan.se && cinfo.Ah == scan.ah && cinfo.Al == scan.al &&
         file.size() - cinfo.src->bytes_in_buffer == scan.data_offset;
}

}  // namespace

// The number of scans to read before the output pass (0: all of them, the usual way), after
// jpeg_read_header and with the output scale set. Fills `script` for SameScan.
int PlanEarlyStop(std::span<const uint8_t> file, j_decompress_ptr cinfo, ScanScript* script) {
  if (!cinfo->progressive_mode || cinfo->arith_code || cinfo->num_components > MAX_COMPS_IN_SCAN) {
    return 0;
  }
  for (int c = 0; c < cinfo->num_components; ++c) {
    for (int d = 0; d < c; ++d) {
      if (cinfo->comp_info[c].component_id == cinfo->comp_info[d].component_id) return 0;
    }
  }
  jpeg_calc_output_dimensions(cinfo);
  // Larger IDCTs read nearly every coefficient (jidctred.c: the 2x2 one reads rows and
  // columns 0, 1, 3, 5 and 7), so at 1/4 and larger no scan can be left out.
  if (cinfo->min_DCT_scaled_size != 1) return 0;
  try {
    script->scans.reserve(16);
    if (!ReadScanScript(file, *cinfo, script)) return 0;
  } catch (const std::bad_alloc&) {
    return 0;
  }
  return ScansNeeded(*cinfo, *script);
}

// Reads scans in buffered-image mode until `count` of them are complete. False if libjpeg
// finds something other than the script (never expected; the caller then decodes whole).
bool ConsumeScans(j_decompress_ptr cinfo, std::span<const uint8_t> file, const ScanScript& script,
                  int count) {
  for (;;) {
    switch (jpeg_consume_input(cinfo)) {
      case JPEG_REACHED_SOS:
        if (cinfo->input_scan_number > count ||
            !SameScan(*cinfo, file, script.scans[cinfo->input_scan_number - 1])) {
          return false;
        }
        break;
      case JPEG_SCAN_COMPLETED:
        if (cinfo->input_scan_number == count) return true;
        break;
      case JPEG_ROW_COMPLETED:
        break;
      default:  // EOI before the scans the script has, or suspension
        return false;
    }
  }
}

}  // namespace thumbpipe
