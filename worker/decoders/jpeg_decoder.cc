#include "worker/decoders/jpeg_decoder.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>

#include "worker/decoders/jpeg_scan_script.h"

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
    return TooManyPixels(Format::kJpeg, full, request.max_pixels);
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
      status = OutOfMemory(Format::kJpeg, rows);
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
