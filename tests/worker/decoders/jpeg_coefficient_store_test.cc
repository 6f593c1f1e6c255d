// The compact coefficient store must give the pixels and the errors of libjpeg's own arrays:
// on progressive and multi-scan files of every sampling, colour space and scan script (with
// successive approximation and refinement), restart intervals, odd sizes, damaged and cut
// files, at every scale the decoder uses, with the early stop and without. It must also keep
// what it promises about memory, and the inverse DCTs must read no coefficient it drops.
#include "worker/decoders/jpeg_coefficient_store.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "tests/fakes/image_sink.h"
#include "tests/worker/decoders/jpeg_test_files.h"
#include "worker/decoders/jpeg_decoder.h"

namespace thumbpipe {
namespace {

using testing::Encode;
using testing::JpegSpec;
using testing::ScanSpec;

constexpr uint32_t kDenominators[] = {1, 2, 4, 8};

struct Decoded {
  Status status;
  Image image;
  JpegDecodeReport report;
};

// Decodes at 1/`denominator` (the scale a box of the full size divided by it gives).
Decoded DecodeAt(const std::string& jpeg, uint32_t denominator, bool compact, bool early_stop) {
  DecodeRequest request;
  request.needed_size = [denominator](Size full) {
    return Size{(full.width + denominator - 1) / denominator,
                (full.height + denominator - 1) / denominator};
  };
  JpegDecodeOptions options;
  options.compact_coefficients = compact;
  options.early_stop = early_stop;
  testing::ImageSink sink;
  Decoded decoded;
  decoded.status = DecodeJpeg({reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()}, request,
                              &sink, options, &decoded.report);
  decoded.image = std::move(sink.image());
  return decoded;
}

// At every scale, with the early stop and without: the store gives what libjpeg's own arrays
// give without the early stop (the reference), rows and error alike.
void ExpectSameAsLibjpeg(const std::string& jpeg) {
  ASSERT_FALSE(jpeg.empty()) << "libjpeg refused to write the test file";
  for (uint32_t denominator : kDenominators) {
    SCOPED_TRACE("1/" + std::to_string(denominator));
    const Decoded reference = DecodeAt(jpeg, denominator, false, false);
    for (bool early_stop : {false, true}) {
      SCOPED_TRACE(early_stop ? "with the early stop" : "read whole");
      const Decoded compact = DecodeAt(jpeg, denominator, true, early_stop);
      EXPECT_EQ(compact.status.message(), reference.status.message());
      if (!reference.status.ok()) continue;
      EXPECT_EQ(compact.image.size(), reference.image.size());
      EXPECT_EQ(compact.image.channels, reference.image.channels);
      EXPECT_TRUE(compact.image.pixels == reference.image.pixels) << "other pixels";
    }
  }
}

JpegSpec Sampled(J_COLOR_SPACE colour, int h_samp, int v_samp) {
  JpegSpec spec;
  spec.colour = colour;
  spec.h_samp = h_samp;
  spec.v_samp = v_samp;
  return spec;
}

TEST(CoefficientsRead, WhatEachInverseDctReads) {
  EXPECT_EQ(CoefficientsRead(1), uint64_t{1});
  EXPECT_EQ(std::popcount(CoefficientsRead(2)), 25);  // rows and columns 0, 1, 3, 5, 7
  EXPECT_EQ(std::popcount(CoefficientsRead(4)), 49);  // all but row and column 4
  EXPECT_EQ(CoefficientsRead(8), ~uint64_t{0});
  EXPECT_EQ(CoefficientsRead(3), ~uint64_t{0});
  EXPECT_TRUE(CoefficientsRead(2) & (uint64_t{1} << (7 * 8 + 5)));
  EXPECT_FALSE(CoefficientsRead(2) & (uint64_t{1} << (2 * 8 + 1)));
  EXPECT_FALSE(CoefficientsRead(4) & (uint64_t{1} << (4 * 8 + 0)));
  EXPECT_TRUE(CoefficientsRead(4) & (uint64_t{1} << (7 * 8 + 6)));
}

// The size of the IDCT libjpeg picks for each component at 1/`denominator`.
std::vector<int> ScaledSizes(const std::string& jpeg, uint32_t denominator) {
  jpeg_decompress_struct d;
  jpeg_error_mgr errors;
  d.err = jpeg_std_error(&errors);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size());
  jpeg_read_header(&d, TRUE);
  d.scale_num = 1;
  d.scale_denom = denominator;
  jpeg_calc_output_dimensions(&d);
  std::vector<int> sizes;
  for (int c = 0; c < d.num_components; ++c) sizes.push_back(d.comp_info[c].DCT_scaled_size);
  jpeg_destroy_decompress(&d);
  return sizes;
}

// `jpeg` written again from its own coefficients, with every nonzero one outside
// `untouched(component)` moved further from zero: the same zeros, other values.
std::string MoveCoefficients(const std::string& jpeg,
                             const std::function<uint64_t(int component)>& untouched) {
  jpeg_decompress_struct d;
  jpeg_compress_struct c;
  jpeg_error_mgr read_errors, write_errors;
  d.err = jpeg_std_error(&read_errors);
  c.err = jpeg_std_error(&write_errors);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size());
  jpeg_read_header(&d, TRUE);
  jvirt_barray_ptr* arrays = jpeg_read_coefficients(&d);
  for (int ci = 0; ci < d.num_components; ++ci) {
    const jpeg_component_info& component = d.comp_info[ci];
    const uint64_t keep = untouched(ci);
    for (JDIMENSION row = 0; row < component.height_in_blocks; ++row) {
      JBLOCKARRAY blocks =
          d.mem->access_virt_barray(reinterpret_cast<j_common_ptr>(&d), arrays[ci], row, 1, TRUE);
      for (JDIMENSION b = 0; b < component.width_in_blocks; ++b) {
        for (int i = 0; i < DCTSIZE2; ++i) {
          JCOEF& value = blocks[0][b][i];
          if (((keep >> i) & 1) == 0 && value != 0) value += value > 0 ? 7 : -7;
        }
      }
    }
  }
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &buffer, &size);
  jpeg_copy_critical_parameters(&d, &c);
  c.optimize_coding = TRUE;
  jpeg_write_coefficients(&c, arrays);
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  std::string moved(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return moved;
}

TEST(CoefficientsRead, TheInverseDctsReadNothingElse) {
  // libjpeg's own decode, with its own arrays: other values where CoefficientsRead says the
  // IDCT does not look give the same pixels; other values everywhere but DC do not.
  for (const JpegSpec& spec : {Sampled(JCS_YCbCr, 1, 1), Sampled(JCS_YCbCr, 2, 2),
                               Sampled(JCS_YCbCr, 4, 1), Sampled(JCS_YCbCr, 2, 1)}) {
    SCOPED_TRACE(std::to_string(spec.h_samp) + "x" + std::to_string(spec.v_samp));
    JpegSpec baseline = spec;
    baseline.progressive = false;
    const std::string jpeg = Encode(baseline);
    ASSERT_FALSE(jpeg.empty());
    for (uint32_t denominator : kDenominators) {
      SCOPED_TRACE("1/" + std::to_string(denominator));
      const std::vector<int> sizes = ScaledSizes(jpeg, denominator);
      const std::string unread =
          MoveCoefficients(jpeg, [&](int c) { return CoefficientsRead(sizes[c]); });
      const std::string all_ac = MoveCoefficients(jpeg, [](int) { return uint64_t{1}; });
      const Decoded original = DecodeAt(jpeg, denominator, false, false);
      const Decoded moved = DecodeAt(unread, denominator, false, false);
      const Decoded moved_all = DecodeAt(all_ac, denominator, false, false);
      ASSERT_TRUE(original.status.ok() && moved.status.ok() && moved_all.status.ok());
      EXPECT_TRUE(moved.image.pixels == original.image.pixels);
      const bool any_ac_read = sizes != std::vector<int>(sizes.size(), 1);
      EXPECT_EQ(moved_all.image.pixels != original.image.pixels, any_ac_read);
    }
  }
}

TEST(JpegCoefficientStore, EverySamplingAndColourSpace) {
  struct Case {
    const char* name;
    JpegSpec spec;
  };
  for (const Case& c :
       {Case{"grey", Sampled(JCS_GRAYSCALE, 1, 1)}, Case{"4:4:4", Sampled(JCS_YCbCr, 1, 1)},
        Case{"4:2:0", Sampled(JCS_YCbCr, 2, 2)}, Case{"4:2:2", Sampled(JCS_YCbCr, 2, 1)},
        Case{"4:4:0", Sampled(JCS_YCbCr, 1, 2)}, Case{"4:1:1", Sampled(JCS_YCbCr, 4, 1)},
        Case{"4:1:0", Sampled(JCS_YCbCr, 4, 2)}, Case{"CMYK", Sampled(JCS_CMYK, 1, 1)},
        Case{"YCCK 4:2:0", Sampled(JCS_YCCK, 2, 2)}}) {
    SCOPED_TRACE(c.name);
    ExpectSameAsLibjpeg(Encode(c.spec));
  }
}

TEST(JpegCoefficientStore, OddSizes) {
  for (const auto& [width, height] :
       std::vector<std::pair<int, int>>{{1, 1}, {7, 9}, {17, 33}, {65, 8}, {8, 200}, {333, 17}}) {
    SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height));
    for (int samp : {1, 2}) {
      JpegSpec spec = Sampled(JCS_YCbCr, samp, samp);
      spec.width = width;
      spec.height = height;
      ExpectSameAsLibjpeg(Encode(spec));
    }
  }
}

TEST(JpegCoefficientStore, RestartIntervals) {
  for (int interval : {1, 3, 50}) {
    for (int samp : {1, 2}) {
      SCOPED_TRACE(std::to_string(interval) + " MCUs, sampling " + std::to_string(samp));
      JpegSpec spec = Sampled(JCS_YCbCr, samp, samp);
      spec.restart_interval = interval;
      ExpectSameAsLibjpeg(Encode(spec));
    }
  }
}

TEST(JpegCoefficientStore, SuccessiveApproximationScripts) {
  // DC and AC each over several bits, refinements last, bands split unevenly, chroma
  // interleaved in the DC scans: every refinement must find the zeros it left.
  const std::vector<ScanSpec> refined = {
      {{0, 1, 2}, 0, 0, 0, 2}, {{0}, 1, 5, 0, 3},  {{1}, 1, 63, 0, 2},      {{2}, 1, 63, 0, 1},
      {{0}, 6, 63, 0, 3},      {{0}, 1, 63, 3, 2}, {{0, 1, 2}, 0, 0, 2, 1}, {{1}, 1, 63, 2, 1},
      {{0}, 1, 63, 2, 1},      {{1}, 1, 63, 1, 0}, {{0, 1, 2}, 0, 0, 1, 0}, {{2}, 1, 63, 1, 0},
      {{0}, 1, 63, 1, 0}};
  // Luma AC never refined to its last bit: the whole decode smooths blocks.
  const std::vector<ScanSpec> smoothed = {{{0, 1, 2}, 0, 0, 0, 1}, {{0}, 1, 63, 0, 2},
                                          {{1}, 1, 63, 0, 0},      {{2}, 1, 63, 0, 0},
                                          {{0, 1, 2}, 0, 0, 1, 0}, {{0}, 1, 63, 2, 1}};
  // Only DC for the luma: smoothing rewrites DC as well.
  const std::vector<ScanSpec> dc_only = {
      {{0, 1, 2}, 0, 0, 0, 0}, {{1}, 1, 63, 0, 0}, {{2}, 1, 63, 0, 0}};
  // One band per coefficient for the first nine, as some encoders do.
  std::vector<ScanSpec> narrow = {{{0, 1, 2}, 0, 0, 0, 0}};
  for (int k = 1; k < 10; ++k) narrow.push_back({{0}, k, k, 0, 0});
  narrow.push_back({{0}, 10, 63, 0, 0});
  narrow.push_back({{1}, 1, 63, 0, 0});
  narrow.push_back({{2}, 1, 63, 0, 0});
  for (const auto& script : {refined, smoothed, dc_only, narrow}) {
    for (int samp : {1, 2}) {
      SCOPED_TRACE("sampling " + std::to_string(samp) + ", " + std::to_string(script.size()) +
                   " scans");
      JpegSpec spec = Sampled(JCS_YCbCr, samp, samp);
      spec.scans = script;
      ExpectSameAsLibjpeg(Encode(spec));
      spec.restart_interval = 2;
      ExpectSameAsLibjpeg(Encode(spec));
    }
  }
}

TEST(JpegCoefficientStore, SequentialFileInSeveralScans) {
  // Not progressive, but one scan per component: libjpeg keeps the whole image then too.
  for (int samp : {1, 2}) {
    JpegSpec spec = Sampled(JCS_YCbCr, samp, samp);
    spec.scans = {{{0}, 0, 63, 0, 0}, {{1}, 0, 63, 0, 0}, {{2}, 0, 63, 0, 0}};
    const std::string jpeg = Encode(spec);
    ExpectSameAsLibjpeg(jpeg);
    EXPECT_GT(DecodeAt(jpeg, 8, true, true).report.coefficient_bytes, 0u);
  }
}

TEST(JpegCoefficientStore, NoisyFilesAtFullQuality) {
  for (int samp : {1, 2}) {
    JpegSpec spec = Sampled(JCS_YCbCr, samp, samp);
    spec.quality = 100;
    spec.grain = 60;
    ExpectSameAsLibjpeg(Encode(spec));
  }
}

// Cuts and damaged bytes inside the scans: the same reason, or the same pixels.
TEST(JpegCoefficientStore, DamagedAndTruncatedFiles) {
  JpegSpec spec = Sampled(JCS_YCbCr, 2, 2);
  spec.scans = {{{0, 1, 2}, 0, 0, 0, 1}, {{0}, 1, 63, 0, 1},      {{1}, 1, 63, 0, 0},
                {{2}, 1, 63, 0, 0},      {{0, 1, 2}, 0, 0, 1, 0}, {{0}, 1, 63, 1, 0}};
  const std::string jpeg = Encode(spec);
  ASSERT_FALSE(jpeg.empty());
  const size_t header = jpeg.find("\xFF\xDA");
  ASSERT_NE(header, std::string::npos);
  for (size_t cut :
       {header + 40, jpeg.size() / 3, jpeg.size() / 2, jpeg.size() - 200, jpeg.size() - 2}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ExpectSameAsLibjpeg(jpeg.substr(0, cut));
  }
  std::mt19937 random(12);
  std::uniform_int_distribution<size_t> where(header + 20, jpeg.size() - 3);
  for (int trial = 0; trial < 12; ++trial) {
    std::string damaged = jpeg;
    for (int k = 0; k < 1 + trial % 4; ++k) damaged[where(random)] ^= static_cast<char>(1 << k);
    SCOPED_TRACE("damage " + std::to_string(trial));
    ExpectSameAsLibjpeg(damaged);
  }
}

// Noise at quality 100: nearly every coefficient is nonzero.
JpegSpec Noisy(int samp) {
  JpegSpec spec = Sampled(JCS_YCbCr, samp, samp);
  spec.width = 640;
  spec.height = 480;
  spec.quality = 100;
  spec.grain = 60;
  spec.scans = {{{0, 1, 2}, 0, 0, 0, 1}, {{0}, 1, 63, 0, 1},      {{1}, 1, 63, 0, 1},
                {{2}, 1, 63, 0, 1},      {{0, 1, 2}, 0, 0, 1, 0}, {{0}, 1, 63, 1, 0},
                {{1}, 1, 63, 1, 0},      {{2}, 1, 63, 1, 0}};
  return spec;
}

// What libjpeg's own arrays take for `spec` (whole rows of whole MCUs), and what one window of
// five iMCU rows, the rows' bookkeeping and one packed row take besides.
struct Footprint {
  size_t arrays = 0;
  size_t blocks = 0;
  size_t extra = 0;
};
Footprint FootprintOf(const JpegSpec& spec) {
  Footprint f;
  const int samp[3][2] = {{spec.h_samp, spec.v_samp}, {1, 1}, {1, 1}};
  const int mcu_w = 8 * spec.h_samp, mcu_h = 8 * spec.v_samp;
  const size_t mcus_x = static_cast<size_t>((spec.width + mcu_w - 1) / mcu_w);
  const size_t mcus_y = static_cast<size_t>((spec.height + mcu_h - 1) / mcu_h);
  for (const auto& s : samp) {
    const size_t per_row = mcus_x * static_cast<size_t>(s[0]);
    const size_t rows = mcus_y * static_cast<size_t>(s[1]);
    f.blocks += per_row * rows;
    f.arrays += per_row * rows * sizeof(JBLOCK);
    f.extra += (5 * static_cast<size_t>(s[1]) * sizeof(JBLOCK) + 8 + sizeof(JBLOCK)) * per_row +
               32 * rows + 1024;
  }
  return f;
}

TEST(JpegCoefficientStore, AtOneEighthTenBytesABlockWhateverTheImage) {
  // At 1/8 the 1x1 IDCT reads DC only: a mask and DC for each block, even for noise.
  const JpegSpec spec = Noisy(1);
  const Decoded decoded = DecodeAt(Encode(spec), 8, true, false);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  const Footprint f = FootprintOf(spec);
  EXPECT_GT(decoded.report.coefficient_bytes, f.blocks * 8);
  EXPECT_LE(decoded.report.coefficient_bytes, f.blocks * 10 + f.extra);
}

TEST(JpegCoefficientStore, NeverMuchMoreThanLibjpegsArrays) {
  // Everything read and nearly everything nonzero: rows are kept as they are, so the store
  // takes libjpeg's arrays plus one window.
  for (int samp : {1, 2}) {
    SCOPED_TRACE(samp);
    const JpegSpec spec = Noisy(samp);
    const Decoded decoded = DecodeAt(Encode(spec), 1, true, false);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    const Footprint f = FootprintOf(spec);
    EXPECT_LE(decoded.report.coefficient_bytes, f.arrays + f.extra);
    EXPECT_GT(decoded.report.coefficient_bytes, f.arrays * 9 / 10);
  }
}

TEST(JpegCoefficientStore, PhotosTakeAFractionAtEveryScale) {
  JpegSpec spec = Sampled(JCS_YCbCr, 1, 1);
  spec.width = 640;
  spec.height = 480;
  const std::string jpeg = Encode(spec);
  const Footprint f = FootprintOf(spec);
  for (uint32_t denominator : kDenominators) {
    SCOPED_TRACE(denominator);
    const Decoded decoded = DecodeAt(jpeg, denominator, true, false);
    ASSERT_TRUE(decoded.status.ok());
    EXPECT_LT(decoded.report.coefficient_bytes, f.arrays / 2);
  }
  EXPECT_EQ(DecodeAt(jpeg, 8, false, false).report.coefficient_bytes, 0u);
}

#if !defined(__SANITIZE_ADDRESS__)  // the worker limits no memory then (worker_process.cc)
// The worker's --max-memory caps its address space: the store running out of it inside libjpeg
// is libjpeg's out-of-memory error, and that the decoder's plain reason.
TEST(JpegCoefficientStoreDeathTest, RunningOutOfMemoryIsAPlainReason) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  JpegSpec spec = Noisy(1);
  spec.width = 2048;
  spec.height = 2048;
  const std::string jpeg = Encode(spec);  // about 25 MB of coefficients at full size
  ASSERT_FALSE(jpeg.empty());
  EXPECT_EXIT(
      {
        long pages = 0;
        std::ifstream("/proc/self/statm") >> pages;
        const rlim_t room = static_cast<rlim_t>(pages) * 4096 + (rlim_t{16} << 20);
        rlimit limit{};
        limit.rlim_cur = limit.rlim_max = room;
        if (setrlimit(RLIMIT_AS, &limit) != 0) std::_Exit(2);
        const Decoded decoded = DecodeAt(jpeg, 1, true, false);
        std::fprintf(stderr, "%s\n", decoded.status.message().c_str());
        std::_Exit(decoded.status.ok() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0),
      "JPEG image of 2048x2048 pixels needs more memory than a worker may use \\(--max-memory\\)");
}
#endif

}  // namespace
}  // namespace thumbpipe
