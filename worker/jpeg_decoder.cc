#include "worker/jpeg_decoder.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>

namespace thumbpipe {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

[[noreturn]] void OnError(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<ErrorManager*>(cinfo->err);
  errors->base.format_message(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

void OnMessage(j_common_ptr cinfo, int level) {
  auto* errors = reinterpret_cast<ErrorManager*>(cinfo->err);
  // Warnings (level -1) are recoverable damage; only running out of data makes the picture
  // wrong enough to refuse (its lower part would be grey).
  if (level < 0 && errors->base.msg_code == JWRN_JPEG_EOF) errors->truncated = true;
}

uint32_t ScaledSide(uint32_t side, int denominator) {
  return (side + static_cast<uint32_t>(denominator) - 1) / static_cast<uint32_t>(denominator);
}

// Adobe writes CMYK inverted (0 = full ink); others do not.
void CmykRowToRgb(const uint8_t* cmyk, uint8_t* rgb, uint32_t width, bool inverted) {
  for (uint32_t x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const uint32_t k = inverted ? cmyk[3] : 255 - cmyk[3];
    for (int i = 0; i < 3; ++i) {
      const uint32_t c = inverted ? cmyk[i] : 255 - cmyk[i];
      rgb[i] = static_cast<uint8_t>((c * k + 127) / 255);
    }
  }
}

// The early stop for progressive files.
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

constexpr uint8_t kDht = 0xC4;
constexpr uint8_t kSos = 0xDA;
constexpr uint8_t kDqt = 0xDB;
constexpr uint8_t kDri = 0xDD;
constexpr uint8_t kApp14 = JPEG_APP0 + 14;  // Adobe: its transform flag changes the colours
constexpr int kSmoothedCoefficients = 10;   // zigzag 0-9: the ones block smoothing looks at
// More scans than any encoder writes (libjpeg's own progressions have 6 for grey, 10 for
// colour and 18 for CMYK). Every scan is a pass over all of the image's coefficients and can
// take a dozen bytes, so the number of scans, not the file's size, sets the work: 3500 scans in
// 256 KiB kept a 20-megapixel decode busy for 100 s. A file with more is refused (OnProgress),
// and the script of the others stays small.
constexpr size_t kMaxScans = 100;

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

}  // namespace

int ChooseJpegScaleDenominator(Size full, Size needed) {
  for (int denominator : {8, 4, 2}) {
    if (ScaledSide(full.width, denominator) >= needed.width &&
        ScaledSide(full.height, denominator) >= needed.height) {
      return denominator;
    }
  }
  return 1;
}

namespace {

// Refuses the scan after kMaxScans as libjpeg starts on it; libjpeg calls this between the
// parts of its input passes.
void OnProgress(j_common_ptr cinfo) {
  if (reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number <= static_cast<int>(kMaxScans)) {
    return;
  }
  auto* errors = reinterpret_cast<ErrorManager*>(cinfo->err);
  std::snprintf(errors->message, sizeof errors->message,
                "more than %zu scans, each a pass over the whole image", kMaxScans);
  std::longjmp(errors->jump, 1);
}

// One decode. With `stop_early`, a progressive file whose scan script allows it is read only
// up to the scans its pixels depend on; `*read_whole` is set if libjpeg then finds the file
// other than the script said, before any row went to the sink.
Status DecodeOnce(std::span<const uint8_t> file, const DecodeRequest& request, RowSink* sink,
                  bool stop_early, int* scans_read, bool* read_whole) {
  // Everything with a destructor lives outside the setjmp region below.
  jpeg_decompress_struct cinfo;
  ErrorManager errors{};
  jpeg_progress_mgr progress{};
  std::vector<uint8_t> row, cmyk_row;
  ScanScript script;
  Status status;
  cinfo.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = OnError;
  errors.base.emit_message = OnMessage;
  errors.base.output_message = [](j_common_ptr) {};
  volatile bool created = false;  // read after longjmp

  if (setjmp(errors.jump) != 0) {
    if (created) jpeg_destroy_decompress(&cinfo);
    return Status::Error(errors.message);
  }
  jpeg_create_decompress(&cinfo);
  created = true;
  progress.progress_monitor = OnProgress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, file.data(), file.size());
  jpeg_read_header(&cinfo, TRUE);

  const Size full{cinfo.image_width, cinfo.image_height};
  if (!WithinPixelLimit(full, request.max_pixels)) {
    jpeg_destroy_decompress(&cinfo);
    return TooManyPixels(full, request.max_pixels);
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (cmyk) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = JCS_EXT_RGB;
  }
  cinfo.scale_num = 1;
  cinfo.scale_denom =
      static_cast<unsigned>(ChooseJpegScaleDenominator(full, request.needed_size(full)));
  const int stop_after = stop_early ? PlanEarlyStop(file, &cinfo, &script) : 0;
  if (stop_after > 0) {
    cinfo.buffered_image = TRUE;
    // With its coefficients incomplete, the early output pass would smooth blocks that the
    // whole decode does not (ScansNeeded made sure of that).
    cinfo.do_block_smoothing = FALSE;
  }
  jpeg_start_decompress(&cinfo);
  if (stop_after > 0) {
    if (!ConsumeScans(&cinfo, file, script, stop_after)) {
      jpeg_destroy_decompress(&cinfo);
      created = false;
      *read_whole = true;
      return Status::OK();
    }
    jpeg_start_output(&cinfo, cinfo.input_scan_number);
  }

  const Size rows{cinfo.output_width, cinfo.output_height};
  const uint32_t channels = cmyk ? 3 : static_cast<uint32_t>(cinfo.output_components);
  status = sink->Begin(full, rows, channels, cinfo.scale_denom);
  if (status.ok()) {
    try {
      row.resize(static_cast<size_t>(rows.width) * channels);
      if (cmyk) cmyk_row.resize(static_cast<size_t>(rows.width) * 4);
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(rows);
    }
  }
  if (!status.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW out = cmyk ? cmyk_row.data() : row.data();
    if (jpeg_read_scanlines(&cinfo, &out, 1) != 1) break;
    if (cmyk) CmykRowToRgb(cmyk_row.data(), row.data(), rows.width, cinfo.saw_Adobe_marker);
    sink->Row(row.data());
  }
  const bool complete = cinfo.output_scanline == cinfo.output_height;
  // After an early stop the rest of the file is left unread: jpeg_finish_decompress would
  // read it all.
  if (complete && stop_after == 0) jpeg_finish_decompress(&cinfo);
  if (scans_read != nullptr) *scans_read = cinfo.input_scan_number;
  jpeg_destroy_decompress(&cinfo);
  created = false;
  if (!complete || errors.truncated) {
    return Status::Error("JPEG data ends early (is the file truncated?)");
  }
  return Status::OK();
}

}  // namespace

Status DecodeJpeg(std::span<const uint8_t> file, const DecodeRequest& request, RowSink* sink,
                  bool allow_early_stop, int* scans_read) {
  bool read_whole = false;
  Status status = DecodeOnce(file, request, sink, allow_early_stop, scans_read, &read_whole);
  if (read_whole) status = DecodeOnce(file, request, sink, false, scans_read, &read_whole);
  return status;
}

Status JpegDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  return DecodeJpeg(file, request, sink, true);
}

}  // namespace thumbpipe
