// JPEG files for the tests of the JPEG decoder, written by libjpeg's own encoder: any size,
// colour space, sampling, scan script (jpeg_simple_progression's, as cjpeg -progressive writes,
// or one of the test's own, as cjpeg -scans reads), restart interval and quality.
#pragma once

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>

namespace thumbpipe::testing {

struct ScanSpec {
  std::vector<int> components;
  int ss, se, ah, al;
};

struct JpegSpec {
  int width = 203;  // not a multiple of any MCU: partial blocks on both edges
  int height = 157;
  J_COLOR_SPACE colour = JCS_YCbCr;  // JCS_GRAYSCALE, JCS_YCbCr, JCS_CMYK or JCS_YCCK
  int h_samp = 1;                    // the first component's; the others have 1x1
  int v_samp = 1;
  bool progressive = true;
  std::vector<ScanSpec> scans;  // empty: jpeg_simple_progression's script
  int restart_interval = 0;     // in MCUs
  bool adobe_marker = true;     // for CMYK and YCCK
  int quality = 90;
  float grain = 10;  // the standard deviation of the noise on every sample
};

struct EncodeErrors {
  jpeg_error_mgr base;
  std::jmp_buf jump;
};

// A photo-like picture (smooth shapes and grain, so that every band carries data) encoded as
// `spec` says; empty if libjpeg refused the spec.
inline std::string Encode(const JpegSpec& spec) {
  jpeg_compress_struct c;
  EncodeErrors errors;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  std::vector<jpeg_scan_info> scans;
  std::vector<uint8_t> row;
  c.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = [](j_common_ptr cinfo) {
    std::longjmp(reinterpret_cast<EncodeErrors*>(cinfo->err)->jump, 1);
  };
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_compress(&c);
    std::free(buffer);
    return "";
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &buffer, &size);
  const int channels = spec.colour == JCS_GRAYSCALE ? 1 : spec.colour == JCS_YCbCr ? 3 : 4;
  c.image_width = spec.width;
  c.image_height = spec.height;
  c.input_components = channels;
  c.in_color_space = channels == 1 ? JCS_GRAYSCALE : channels == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, spec.colour);
  jpeg_set_quality(&c, spec.quality, TRUE);
  if (!spec.adobe_marker) c.write_Adobe_marker = FALSE;
  c.comp_info[0].h_samp_factor = spec.h_samp;
  c.comp_info[0].v_samp_factor = spec.v_samp;
  for (int i = 1; i < channels; ++i) {
    c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
  }
  c.restart_interval = static_cast<unsigned>(spec.restart_interval);
  if (!spec.scans.empty()) {
    for (const ScanSpec& s : spec.scans) {
      jpeg_scan_info info{};
      info.comps_in_scan = static_cast<int>(s.components.size());
      for (size_t i = 0; i < s.components.size(); ++i) info.component_index[i] = s.components[i];
      info.Ss = s.ss;
      info.Se = s.se;
      info.Ah = s.ah;
      info.Al = s.al;
      scans.push_back(info);
    }
    c.scan_info = scans.data();
    c.num_scans = static_cast<int>(scans.size());
  } else if (spec.progressive) {
    jpeg_simple_progression(&c);
  }
  jpeg_start_compress(&c, TRUE);
  std::mt19937 random(7);
  std::normal_distribution<float> grain(0, spec.grain);
  row.resize(static_cast<size_t>(spec.width) * channels);
  for (int y = 0; y < spec.height; ++y) {
    for (int x = 0; x < spec.width; ++x) {
      for (int k = 0; k < channels; ++k) {
        const float v = 128 + 70 * std::sin(0.05f * (k + 1) * x + 0.04f * y) +
                        40 * ((x / 23 + y / 17 + k) % 2) + grain(random);
        row[static_cast<size_t>(x) * channels + k] =
            static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, v)));
      }
    }
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&c, rows, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::string bytes(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return bytes;
}

}  // namespace thumbpipe::testing
