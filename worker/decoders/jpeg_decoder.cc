#include "worker/decoders/jpeg_decoder.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <jerror.h>
#include <jpeglib.h>

#include "worker/colour/colour_transform.h"
#include "worker/decoders/jpeg_coefficient_store.h"
#include "worker/decoders/jpeg_scan_script.h"

namespace thumbpipe {
namespace {

constexpr Format kJpeg = Format::kJpeg;

struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  bool truncated;       // libjpeg ran out of data
  bool too_many_scans;  // OnProgress refused the file
};

// libjpeg's error is in base.msg_code and base.msg_parm; Describe reads them.
[[noreturn]] void OnError(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<ErrorManager*>(cinfo->err)->jump, 1);
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

// The coding process of an SOF marker libjpeg does not decode.
std::string_view CodingProcess(int sof) {
  switch (sof) {
    case 0xc3:
    case 0xcb:
      return "lossless coding";
    case 0xc5:
    case 0xc6:
    case 0xcd:
    case 0xce:
      return "hierarchical coding";
    case 0xc7:
    case 0xcf:
      return "hierarchical lossless coding";
    default:
      return "an unknown coding process";
  }
}

// libjpeg's error code as a reason (decoder.h). `header_read`: the markers before the first
// scan had been read, so the damage is in what follows; `full`: the image's size, if known.
Status Describe(const ErrorManager& errors, bool header_read, Size full) {
  const int code = errors.base.msg_code;
  const int* parm = errors.base.msg_parm.i;
  const auto damaged = [header_read](std::string_view what) {
    return header_read ? Corrupt(kJpeg, what) : CorruptHeader(kJpeg, what);
  };
  if (errors.too_many_scans) {
    return Unsupported(
        kJpeg, fmt::format("more than {} scans, each a pass over the whole image", kMaxScans));
  }
  if (code == JERR_OUT_OF_MEMORY) return OutOfMemory(kJpeg, full);
  // libjpeg makes up an end of image where the data runs out and warns; what it then finds
  // missing follows from that.
  if (errors.truncated || code == JERR_INPUT_EOF || code == JERR_INPUT_EMPTY)
    return Truncated(kJpeg);
  switch (code) {
    case JERR_BAD_PRECISION:
      return Unsupported(kJpeg, fmt::format("{}-bit samples", parm[0]));
    case JERR_SOF_UNSUPPORTED:
      return Unsupported(kJpeg, CodingProcess(parm[0]));
    case JERR_ARITH_NOTIMPL:
      return Unsupported(kJpeg, "arithmetic coding");
    case JERR_COMPONENT_COUNT:
      return Unsupported(kJpeg, fmt::format("{} colour components", parm[0]));
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
      return Unsupported(kJpeg, "a width or height above 65500 pixels");
    case JERR_EMPTY_IMAGE:
      return Unsupported(kJpeg, "a height given after the image data (a DNL marker)");
    case JERR_CCIR601_NOTIMPL:
    case JERR_FRACT_SAMPLE_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_NOTIMPL:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_BAD_DCTSIZE:
      return Unsupported(kJpeg, "a feature libjpeg cannot decode");
    case JERR_NO_SOI:
      return CorruptHeader(kJpeg, "it does not start with a JPEG marker");
    case JERR_NO_IMAGE:
      return CorruptHeader(kJpeg, "it holds no image");
    case JERR_SOI_DUPLICATE:
    case JERR_SOF_DUPLICATE:
    case JERR_SOS_NO_SOF:
    case JERR_SOF_NO_SOS:
    case JERR_EOI_EXPECTED:
      return damaged("its markers are out of order");
    case JERR_UNKNOWN_MARKER:
      return damaged("a marker of unknown type");
    case JERR_BAD_LENGTH:
      return damaged("a marker's length is wrong");
    case JERR_BAD_J_COLORSPACE:
      return damaged("its colour space is invalid");
    case JERR_BAD_SAMPLING:
    case JERR_BAD_MCU_SIZE:
      return damaged("its sampling factors are invalid");
    case JERR_BAD_COMPONENT_ID:
      return damaged("a scan names a colour component the image does not have");
    case JERR_NO_HUFF_TABLE:
      return damaged("a Huffman table is missing");
    case JERR_BAD_HUFF_TABLE:
    case JERR_DHT_INDEX:
    case JERR_HUFF_CLEN_OVERFLOW:
    case JERR_HUFF_MISSING_CODE:
      return damaged("a Huffman table is invalid");
    case JERR_NO_QUANT_TABLE:
      return damaged("a quantization table is missing");
    case JERR_DQT_INDEX:
    case JERR_MISMATCHED_QUANT_TABLE:
      return damaged("a quantization table is invalid");
    case JERR_DAC_INDEX:
    case JERR_DAC_VALUE:
      return damaged("an arithmetic coding table is missing or invalid");
    case JERR_BAD_PROGRESSION:
      return damaged("a progressive scan's parameters are invalid");
    case JERR_BAD_DCT_COEF:
      return damaged("a coefficient is out of range");
    default:
      return damaged({});
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
  errors->too_many_scans = true;
  std::longjmp(errors->jump, 1);
}

// One decode. With `stop_early`, a progressive file whose scan script allows it is read only
// up to the scans its pixels depend on; `*read_whole` is set if libjpeg then finds the file
// other than the script said, before any row went to the sink.
Status DecodeOnce(std::span<const uint8_t> file, const DecodeRequest& request, RowSink* sink,
                  bool stop_early, bool compact, JpegDecodeReport* report, bool* read_whole) {
  // Everything with a destructor lives outside the setjmp region below.
  jpeg_decompress_struct cinfo;
  JpegCoefficientStore coefficients;
  ErrorManager errors{};
  jpeg_progress_mgr progress{};
  std::vector<uint8_t> row, cmyk_row, icc;
  std::shared_ptr<const ColourTransform> cmyk_transform;
  ScanScript script;
  Status status;
  cinfo.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = OnError;
  errors.base.emit_message = OnMessage;
  errors.base.output_message = [](j_common_ptr) {};
  volatile bool created = false;  // read after longjmp
  volatile bool header_read = false;

  if (setjmp(errors.jump) != 0) {
    const Size known = header_read ? Size{cinfo.image_width, cinfo.image_height} : Size{};
    if (created) jpeg_destroy_decompress(&cinfo);
    return Describe(errors, header_read, known);
  }
  jpeg_create_decompress(&cinfo);
  created = true;
  if (compact) coefficients.Install(&cinfo);
  progress.progress_monitor = OnProgress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, file.data(), file.size());
  jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xFFFF);  // ICC_PROFILE
  jpeg_read_header(&cinfo, TRUE);
  header_read = true;

  const Size full{cinfo.image_width, cinfo.image_height};
  if (!WithinPixelLimit(full, request.max_pixels)) {
    jpeg_destroy_decompress(&cinfo);
    return TooManyPixels(kJpeg, full, request.max_pixels);
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
  // The profile comes in APP2 markers; libjpeg reassembles it (null when absent or damaged).
  JOCTET* icc_data = nullptr;
  unsigned icc_size = 0;
  // No allocation may throw here, between libjpeg's create and destroy.
  if (jpeg_read_icc_profile(&cinfo, &icc_data, &icc_size)) {
    try {
      if (icc_size <= ColourSource::kMaxProfileBytes) icc.assign(icc_data, icc_data + icc_size);
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(kJpeg, full);
    }
    std::free(icc_data);
  }
  try {
    if (cmyk) {
      cmyk_transform = ColourTransform::CmykToSrgb(icc, cinfo.saw_Adobe_marker);
    } else if (!icc.empty()) {
      sink->SetColour(ColourSource::FromIcc(std::move(icc)));
    }
  } catch (const std::bad_alloc&) {
    status = OutOfMemory(kJpeg, full);
  }
  if (status.ok()) status = sink->Begin(full, rows, channels, cinfo.scale_denom);
  if (status.ok()) {
    try {
      row.resize(static_cast<size_t>(rows.width) * channels);
      if (cmyk) cmyk_row.resize(static_cast<size_t>(rows.width) * 4);
    } catch (const std::bad_alloc&) {
      status = OutOfMemory(kJpeg, full);
    }
  }
  if (!status.ok()) {
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW out = cmyk ? cmyk_row.data() : row.data();
    if (jpeg_read_scanlines(&cinfo, &out, 1) != 1) break;
    if (cmyk) cmyk_transform->Convert(cmyk_row.data(), row.data(), rows.width);
    sink->Row(row.data());
  }
  const bool complete = cinfo.output_scanline == cinfo.output_height;
  // After an early stop the rest of the file is left unread: jpeg_finish_decompress would
  // read it all.
  if (complete && stop_after == 0) jpeg_finish_decompress(&cinfo);
  if (report != nullptr) {
    report->scans_read = cinfo.input_scan_number;
    report->coefficient_bytes = coefficients.peak_bytes();
  }
  jpeg_destroy_decompress(&cinfo);
  created = false;
  if (!complete || errors.truncated) {
    return Truncated(kJpeg);
  }
  return Status::OK();
}

}  // namespace

Status DecodeJpeg(std::span<const uint8_t> file, const DecodeRequest& request, RowSink* sink,
                  const JpegDecodeOptions& options, JpegDecodeReport* report) {
  bool read_whole = false;
  Status status = DecodeOnce(file, request, sink, options.early_stop, options.compact_coefficients,
                             report, &read_whole);
  if (read_whole) {
    status =
        DecodeOnce(file, request, sink, false, options.compact_coefficients, report, &read_whole);
  }
  return status;
}

Status JpegDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  return DecodeJpeg(file, request, sink, JpegDecodeOptions{});
}

}  // namespace thumbpipe
