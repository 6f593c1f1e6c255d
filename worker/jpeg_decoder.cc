#include "worker/jpeg_decoder.h"

#include <csetjmp>
#include <cstdio>
#include <string>

#include <jpeglib.h>
#include <jerror.h>

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

Status JpegDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  // Everything with a destructor lives outside the setjmp region below.
  jpeg_decompress_struct cinfo;
  ErrorManager errors{};
  std::vector<uint8_t> row, cmyk_row;
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
  cinfo.scale_denom = static_cast<unsigned>(ChooseJpegScaleDenominator(full, request.needed_size(full)));
  jpeg_start_decompress(&cinfo);

  const Size rows{cinfo.output_width, cinfo.output_height};
  const uint32_t channels = cmyk ? 3 : static_cast<uint32_t>(cinfo.output_components);
  status = sink->Begin(full, rows, channels);
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
  if (complete) jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  created = false;
  if (!complete || errors.truncated) {
    return Status::Error("JPEG data ends early (is the file truncated?)");
  }
  return Status::OK();
}

}  // namespace thumbpipe
