// Progressive JPEGs, measured: makes photo-like progressive JPEGs, and decodes files the way
// the worker does (the DCT scale that still covers the box), read whole or with the early stop,
// and with the compact coefficient store (as the worker does) or libjpeg's own arrays (as it
// did before). scripts/bench/progressive_jpeg.sh drives it.
//
//   progressive_jpeg make DIR         writes the test images into DIR (kept if present)
//   progressive_jpeg check FILE...    decodes each file every way: scans read, same rows?
//   progressive_jpeg MODE FILE...     decodes every file one way (what is timed) and prints the
//                                     rows' checksum, the process's peak RSS in KiB and the
//                                     most the coefficients took in bytes (libjpeg's arrays:
//                                     their size). MODE: whole, early (compact store),
//                                     whole-libjpeg, early-libjpeg
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <jpeglib.h>
#include <sys/resource.h>

#include "worker/decoders/decoder.h"
#include "worker/decoders/jpeg_decoder.h"
#include "worker/geometry.h"

namespace thumbpipe {
namespace {

constexpr Size kBox{200, 200};

struct Picture {
  const char* name;
  int width, height;
  int luma_sampling;  // 2: 4:2:0, 1: 4:4:4
  int seed;
};

// Two of each kind, 24 and 12 megapixels, chroma subsampled (as cameras write) and not.
constexpr Picture kPictures[] = {
    {"420-24mp-1", 6000, 4000, 2, 1}, {"420-24mp-2", 6000, 4000, 2, 2},
    {"420-12mp-1", 4000, 3000, 2, 3}, {"420-12mp-2", 4000, 3000, 2, 4},
    {"444-24mp-1", 6000, 4000, 1, 5}, {"444-24mp-2", 6000, 4000, 1, 6},
    {"444-12mp-1", 4000, 3000, 1, 7}, {"444-12mp-2", 4000, 3000, 1, 8},
};

// Smooth value noise: random values on a grid of `cell` pixels, interpolated.
class ValueNoise {
 public:
  ValueNoise(int width, int height, int cell, std::mt19937* random)
      : cell_(cell), columns_(width / cell + 2), values_(size_t(columns_) * (height / cell + 2)) {
    std::uniform_real_distribution<float> value(-1, 1);
    for (float& v : values_) v = value(*random);
  }
  float At(int x, int y) const {
    const float fx = float(x) / cell_, fy = float(y) / cell_;
    const int ix = int(fx), iy = int(fy);
    const float tx = Smooth(fx - ix), ty = Smooth(fy - iy);
    const float* row0 = &values_[size_t(iy) * columns_ + ix];
    const float* row1 = row0 + columns_;
    return (row0[0] * (1 - tx) + row0[1] * tx) * (1 - ty) +
           (row1[0] * (1 - tx) + row1[1] * tx) * ty;
  }

 private:
  static float Smooth(float t) { return t * t * (3 - 2 * t); }
  int cell_, columns_;
  std::vector<float> values_;
};

// A photo-like picture: a smooth field of muted colours, hard- and soft-edged shapes, octaves
// of texture, luminance grain and blotchy chroma noise, so that it compresses like a photo.
bool WritePicture(const Picture& p, const std::string& path) {
  std::mt19937 random(p.seed);
  const ValueNoise field_r(p.width, p.height, 900, &random),
      field_g(p.width, p.height, 1100, &random), field_b(p.width, p.height, 1300, &random);
  std::vector<ValueNoise> texture;
  for (int cell : {160, 40, 10, 3}) texture.emplace_back(p.width, p.height, cell, &random);
  const ValueNoise blotch_a(p.width, p.height, 6, &random), blotch_b(p.width, p.height, 6, &random);
  struct Disc {
    float x, y, r, soft, lr, lg, lb;
  };
  std::vector<Disc> discs;
  std::uniform_real_distribution<float> unit(0, 1);
  for (int i = 0; i < 60; ++i) {
    discs.push_back({unit(random) * p.width, unit(random) * p.height,
                     (0.02f + 0.1f * unit(random)) * p.width, unit(random) < 0.5f ? 1.5f : 40.0f,
                     60 * unit(random) - 30, 60 * unit(random) - 30, 60 * unit(random) - 30});
  }
  std::normal_distribution<float> grain(0, 5);

  FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) return false;
  jpeg_compress_struct c;
  jpeg_error_mgr errors;
  c.err = jpeg_std_error(&errors);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, out);
  c.image_width = p.width;
  c.image_height = p.height;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 92, TRUE);
  c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = p.luma_sampling;
  jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(size_t(p.width) * 3);
  for (int y = 0; y < p.height; ++y) {
    for (int x = 0; x < p.width; ++x) {
      float t = 0, amplitude = 24;
      for (const ValueNoise& octave : texture) {
        t += amplitude * octave.At(x, y);
        amplitude *= 0.55f;
      }
      float rgb[3] = {120 + 60 * field_r.At(x, y), 115 + 50 * field_g.At(x, y),
                      105 + 55 * field_b.At(x, y)};
      for (const Disc& d : discs) {
        const float dx = x - d.x, dy = y - d.y, reach = d.r + d.soft;
        if (dx * dx + dy * dy > reach * reach) continue;
        const float distance = std::sqrt(dx * dx + dy * dy) - d.r;
        const float weight = distance < -d.soft ? 1 : 0.5f - 0.5f * distance / d.soft;
        rgb[0] += weight * d.lr;
        rgb[1] += weight * d.lg;
        rgb[2] += weight * d.lb;
      }
      const float luma = t + grain(random);
      const float ca = 6 * blotch_a.At(x, y), cb = 6 * blotch_b.At(x, y);
      const float v[3] = {rgb[0] + luma + ca, rgb[1] + luma - 0.5f * (ca + cb), rgb[2] + luma + cb};
      for (int k = 0; k < 3; ++k) row[size_t(x) * 3 + k] = uint8_t(std::clamp(v[k], 0.0f, 255.0f));
    }
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&c, rows, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return std::fclose(out) == 0;
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Keeps nothing but a checksum of the rows, so that the decode is all that is timed.
class ChecksumSink : public RowSink {
 public:
  Status Begin(Size, Size rows, uint32_t channels, uint32_t) override {
    stride_ = size_t(rows.width) * channels;
    return Status::OK();
  }
  void Row(const uint8_t* row) override {
    for (size_t i = 0; i < stride_; ++i) sum_ = sum_ * 31 + row[i];
  }
  uint64_t sum() const { return sum_; }

 private:
  size_t stride_ = 0;
  uint64_t sum_ = 0;
};

DecodeRequest ThumbnailRequest() {
  DecodeRequest request;
  request.needed_size = [](Size full) { return FitInBox(full, kBox); };
  return request;
}

// The blocks libjpeg's own arrays hold for `file` (every component, whole MCUs).
double ScaledBlocks(const std::vector<uint8_t>& file) {
  jpeg_decompress_struct d;
  jpeg_error_mgr errors;
  d.err = jpeg_std_error(&errors);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, file.data(), file.size());
  jpeg_read_header(&d, TRUE);
  jpeg_calc_output_dimensions(&d);
  double blocks = 0;
  for (int c = 0; c < d.num_components; ++c) {
    const jpeg_component_info& info = d.comp_info[c];
    const double across =
        (info.width_in_blocks + info.h_samp_factor - 1) / info.h_samp_factor * info.h_samp_factor;
    const double down =
        (info.height_in_blocks + info.v_samp_factor - 1) / info.v_samp_factor * info.v_samp_factor;
    blocks += across * down;
  }
  jpeg_destroy_decompress(&d);
  return blocks;
}

struct Mode {
  const char* name;
  bool early;
  bool compact;
};
constexpr Mode kModes[] = {{"whole", false, true},
                           {"early", true, true},
                           {"whole-libjpeg", false, false},
                           {"early-libjpeg", true, false}};

Status Decode(const std::vector<uint8_t>& file, const Mode& mode, ChecksumSink* sink,
              JpegDecodeReport* report) {
  JpegDecodeOptions options;
  options.early_stop = mode.early;
  options.compact_coefficients = mode.compact;
  return DecodeJpeg(file, ThumbnailRequest(), sink, options, report);
}

int Make(const std::string& folder) {
  std::filesystem::create_directories(folder);
  for (const Picture& p : kPictures) {
    const std::string path = folder + "/" + p.name + ".jpg";
    if (std::filesystem::exists(path)) continue;
    std::fprintf(stderr, "writing %s\n", path.c_str());
    if (!WritePicture(p, path + ".part")) return 1;
    std::filesystem::rename(path + ".part", path);
  }
  return 0;
}

int Check(std::span<char*> paths) {
  int failures = 0;
  std::printf("%-28s %10s %8s %8s %12s %12s %s\n", "file", "bytes", "scans", "early", "coef MB",
              "libjpeg MB", "rows");
  for (const char* path : paths) {
    const std::vector<uint8_t> file = ReadAll(path);
    uint64_t sums[std::size(kModes)];
    JpegDecodeReport reports[std::size(kModes)];
    bool same = true;
    for (size_t m = 0; m < std::size(kModes); ++m) {
      ChecksumSink rows;
      const Status status = Decode(file, kModes[m], &rows, &reports[m]);
      sums[m] = rows.sum();
      same = same && status.ok() && sums[m] == sums[0];
    }
    failures += !same;
    std::printf("%-28s %10zu %8d %8d %12.1f %12.1f %s\n",
                std::filesystem::path(path).filename().c_str(), file.size(), reports[0].scans_read,
                reports[1].scans_read, reports[0].coefficient_bytes / 1e6,
                ScaledBlocks(file) * 128 / 1e6, same ? "same" : "DIFFERENT");
  }
  return failures == 0 ? 0 : 1;
}

int Time(const Mode& mode, std::span<char*> paths) {
  uint64_t sum = 0;
  size_t coefficients = 0;
  for (const char* path : paths) {
    const std::vector<uint8_t> file = ReadAll(path);
    ChecksumSink rows;
    JpegDecodeReport report;
    if (Status status = Decode(file, mode, &rows, &report); !status.ok()) {
      std::fprintf(stderr, "%s: %s\n", path, status.message().c_str());
      return 1;
    }
    sum ^= rows.sum();
    const size_t held = mode.compact ? report.coefficient_bytes
                                     : static_cast<size_t>(ScaledBlocks(file)) * sizeof(JBLOCK);
    coefficients = std::max(coefficients, held);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%016llx %ld %zu\n", static_cast<unsigned long long>(sum), usage.ru_maxrss,
              coefficients);
  return 0;
}

}  // namespace
}  // namespace thumbpipe

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  std::span<char*> rest(argv + std::min(argc, 2), argv + argc);
  if (command == "make" && rest.size() == 1) return thumbpipe::Make(rest[0]);
  if (command == "check" && !rest.empty()) return thumbpipe::Check(rest);
  for (const thumbpipe::Mode& mode : thumbpipe::kModes) {
    if (command == mode.name && !rest.empty()) return thumbpipe::Time(mode, rest);
  }
  std::fprintf(stderr,
               "usage: progressive_jpeg make DIR | check FILE... | "
               "whole|early|whole-libjpeg|early-libjpeg FILE...\n");
  return 2;
}
