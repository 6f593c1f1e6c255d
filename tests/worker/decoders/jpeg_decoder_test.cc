// The early stop for progressive JPEGs at 1/8: on files written here by libjpeg's own encoder
// with chosen scan scripts, it must give the rows and errors of the whole decode, and read
// the whole file wherever stopping could change them.
#include "worker/decoders/jpeg_decoder.h"

#include <gtest/gtest.h>

#include "tests/fakes/image_sink.h"
#include "tests/worker/decoders/jpeg_test_files.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>

namespace thumbpipe {
namespace {

using testing::Encode;
using testing::JpegSpec;
using testing::ScanSpec;

struct Decoded {
  Status status;
  Image image;
  int scans_read = 0;
};

// Decodes at 1/`denominator` (the scale a box of the full size divided by it gives).
Decoded Decode(const std::string& jpeg, bool allow_early_stop, uint32_t denominator = 8) {
  DecodeRequest request;
  request.needed_size = [denominator](Size full) {
    return Size{(full.width + denominator - 1) / denominator,
                (full.height + denominator - 1) / denominator};
  };
  testing::ImageSink sink;
  Decoded decoded;
  JpegDecodeOptions options;
  options.early_stop = allow_early_stop;
  JpegDecodeReport report;
  decoded.status = DecodeJpeg({reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()}, request,
                              &sink, options, &report);
  decoded.scans_read = report.scans_read;
  decoded.image = std::move(sink.image());
  return decoded;
}

struct Comparison {
  int scans_whole = 0;
  int scans_early = 0;
};

// Decodes `jpeg` whole and with the early stop; both must succeed with the same rows.
Comparison ExpectSameRows(const std::string& jpeg, uint32_t denominator = 8) {
  EXPECT_FALSE(jpeg.empty()) << "libjpeg refused to write the test file";
  const Decoded whole = Decode(jpeg, false, denominator);
  const Decoded early = Decode(jpeg, true, denominator);
  EXPECT_TRUE(whole.status.ok()) << whole.status.message();
  EXPECT_TRUE(early.status.ok()) << early.status.message();
  EXPECT_EQ(early.image.size(), whole.image.size());
  EXPECT_EQ(early.image.channels, whole.image.channels);
  EXPECT_TRUE(early.image.pixels == whole.image.pixels) << "the early stop changed the rows";
  return {whole.scans_read, early.scans_read};
}

// What stopping as soon as every component's DC coefficients are complete gives, without the
// checks the decoder makes: buffered-image mode, no block smoothing, one output pass.
std::vector<uint8_t> DecodeStoppingAtCompleteDc(const std::string& jpeg) {
  jpeg_decompress_struct d;
  jpeg_error_mgr errors;
  d.err = jpeg_std_error(&errors);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size());
  jpeg_read_header(&d, TRUE);
  d.scale_num = 1;
  d.scale_denom = 8;
  d.out_color_space = d.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_EXT_RGB;
  d.buffered_image = TRUE;
  d.do_block_smoothing = FALSE;
  jpeg_start_decompress(&d);
  for (;;) {
    bool complete = true;
    for (int c = 0; c < d.num_components; ++c) complete = complete && d.coef_bits[c][0] == 0;
    if (complete || jpeg_consume_input(&d) == JPEG_REACHED_EOI) break;
  }
  jpeg_start_output(&d, d.input_scan_number);
  std::vector<uint8_t> pixels(static_cast<size_t>(d.output_width) * d.output_height *
                              d.output_components);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = pixels.data() +
                   static_cast<size_t>(d.output_scanline) * d.output_width * d.output_components;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_destroy_decompress(&d);
  return pixels;
}

// The offsets of the SOS markers: after the header, 0xFF 0xDA occurs nowhere else in files
// written by libjpeg (entropy-coded 0xFF bytes are followed by a zero).
std::vector<size_t> SosOffsets(const std::string& jpeg) {
  std::vector<size_t> offsets;
  for (size_t at = jpeg.find("\xFF\xDA"); at != std::string::npos;
       at = jpeg.find("\xFF\xDA", at + 2)) {
    offsets.push_back(at);
  }
  return offsets;
}

std::string Segment(uint8_t marker, const std::string& body) {
  const size_t length = body.size() + 2;
  return std::string{'\xFF', static_cast<char>(marker), static_cast<char>(length >> 8),
                     static_cast<char>(length & 0xFF)} +
         body;
}

std::string BeforeLastScan(std::string jpeg, const std::string& segment) {
  return jpeg.insert(SosOffsets(jpeg).back(), segment);
}

TEST(JpegEarlyStop, StopsAfterTheScansThatCarryTheDcCoefficients) {
  struct Case {
    const char* name;
    J_COLOR_SPACE colour;
    int h_samp, v_samp;
    int scans_whole, scans_early;
  };
  // jpeg_simple_progression: DC (Al=1), AC bands and first refinements, DC refinement, then
  // the last AC refinements. Full-size components need nothing after the DC refinement;
  // 4:2:0 chroma gets a 2x2 IDCT at 1/8, which needs its AC refinements too.
  for (const Case& c :
       {Case{"grey", JCS_GRAYSCALE, 1, 1, 6, 5}, Case{"4:4:4", JCS_YCbCr, 1, 1, 10, 7},
        Case{"4:2:2", JCS_YCbCr, 2, 1, 10, 7}, Case{"4:4:0", JCS_YCbCr, 1, 2, 10, 7},
        Case{"4:1:1", JCS_YCbCr, 4, 1, 10, 7}, Case{"4:2:0", JCS_YCbCr, 2, 2, 10, 9},
        Case{"CMYK", JCS_CMYK, 1, 1, 18, 14}, Case{"YCCK", JCS_YCCK, 1, 1, 18, 14}}) {
    SCOPED_TRACE(c.name);
    JpegSpec spec;
    spec.colour = c.colour;
    spec.h_samp = c.h_samp;
    spec.v_samp = c.v_samp;
    const Comparison scans = ExpectSameRows(Encode(spec));
    EXPECT_EQ(scans.scans_whole, c.scans_whole);
    EXPECT_EQ(scans.scans_early, c.scans_early);
  }
}

TEST(JpegEarlyStop, RestartMarkers) {
  for (int h_samp : {1, 2}) {
    SCOPED_TRACE(h_samp);
    JpegSpec spec;
    spec.h_samp = spec.v_samp = h_samp;
    spec.restart_interval = 3;
    const Comparison scans = ExpectSameRows(Encode(spec));
    EXPECT_LT(scans.scans_early, scans.scans_whole);
  }
}

TEST(JpegEarlyStop, DcSplitAcrossScansAndBits) {
  // Each component's DC in its own scans, over three successive-approximation bits, with AC
  // scans in between: the stop comes after the last DC refinement (scan 7 of 9).
  JpegSpec spec;
  spec.scans = {{{0}, 0, 0, 0, 2},    {{1, 2}, 0, 0, 0, 1}, {{0}, 1, 63, 0, 0},
                {{0}, 0, 0, 2, 1},    {{1}, 1, 63, 0, 0},   {{0}, 0, 0, 1, 0},
                {{1, 2}, 0, 0, 1, 0}, {{2}, 1, 5, 0, 0},    {{2}, 6, 63, 0, 0}};
  const Comparison scans = ExpectSameRows(Encode(spec));
  EXPECT_EQ(scans.scans_whole, 9);
  EXPECT_EQ(scans.scans_early, 7);
}

TEST(JpegEarlyStop, HighBandsNeverSent) {
  // Coefficients 10-63 never come, 1-9 complete: the whole decode does not smooth blocks, so
  // the DC scan is all the 1/8 output needs.
  JpegSpec spec;
  spec.scans = {{{0, 1, 2}, 0, 0, 0, 0}, {{0}, 1, 9, 0, 0}, {{1}, 1, 9, 0, 0}, {{2}, 1, 9, 0, 0}};
  const Comparison scans = ExpectSameRows(Encode(spec));
  EXPECT_EQ(scans.scans_whole, 4);
  EXPECT_EQ(scans.scans_early, 1);
}

TEST(JpegEarlyStop, ChromaFirstThenLuma) {
  // 4:2:0 with the chroma finished before the luma's AC: the luma's AC scans are skipped.
  JpegSpec spec;
  spec.h_samp = spec.v_samp = 2;
  spec.scans = {{{0, 1, 2}, 0, 0, 0, 0}, {{1}, 1, 63, 0, 0}, {{2}, 1, 63, 0, 0},
                {{0}, 1, 5, 0, 1},       {{0}, 6, 63, 0, 1}, {{0}, 1, 63, 1, 0}};
  const Comparison scans = ExpectSameRows(Encode(spec));
  EXPECT_EQ(scans.scans_whole, 6);
  EXPECT_EQ(scans.scans_early, 3);
}

TEST(JpegEarlyStop, ReadsWholeWhereStoppingCouldChangeThePixels) {
  struct Case {
    const char* name;
    int h_samp;
    std::vector<ScanSpec> scans;
  };
  for (const Case& c : {
           // No AC for the luma: the whole decode smooths blocks and, with none of
           // coefficients 1-9 sent, rewrites the luma's DC coefficients too.
           Case{"luma AC never sent",
                1,
                {{{0, 1, 2}, 0, 0, 0, 0}, {{1}, 1, 63, 0, 0}, {{2}, 1, 63, 0, 0}}},
           // Luma AC short of its last bit: the whole decode smooths blocks.
           Case{"luma AC never refined",
                1,
                {{{0, 1, 2}, 0, 0, 0, 0},
                 {{0}, 1, 63, 0, 1},
                 {{1}, 1, 63, 0, 0},
                 {{2}, 1, 63, 0, 0}}},
           // 4:2:0 chroma (a 2x2 IDCT) refined in the last scan: nothing to leave out.
           Case{"4:2:0 chroma last",
                2,
                {{{0, 1, 2}, 0, 0, 0, 1},
                 {{0}, 1, 63, 0, 0},
                 {{0, 1, 2}, 0, 0, 1, 0},
                 {{1}, 1, 63, 0, 0},
                 {{2}, 1, 63, 0, 0}}},
           // DC refinement last.
           Case{"DC refined last",
                1,
                {{{0, 1, 2}, 0, 0, 0, 1},
                 {{0}, 1, 63, 0, 0},
                 {{1}, 1, 63, 0, 0},
                 {{2}, 1, 63, 0, 0},
                 {{0, 1, 2}, 0, 0, 1, 0}}},
       }) {
    SCOPED_TRACE(c.name);
    JpegSpec spec;
    spec.h_samp = spec.v_samp = c.h_samp;
    spec.scans = c.scans;
    const Comparison scans = ExpectSameRows(Encode(spec));
    EXPECT_EQ(scans.scans_early, scans.scans_whole);
  }
}

TEST(JpegEarlyStop, StoppingAtCompleteDcAloneWouldBeWrong) {
  // Why the decoder looks further than "every DC coefficient is complete": in these two
  // files that stop gives other pixels than the whole decode.
  JpegSpec subsampled;
  subsampled.h_samp = subsampled.v_samp = 2;
  JpegSpec dc_only;
  dc_only.scans = {{{0, 1, 2}, 0, 0, 0, 0}, {{1}, 1, 63, 0, 0}, {{2}, 1, 63, 0, 0}};
  for (const JpegSpec& spec : {subsampled, dc_only}) {
    const std::string jpeg = Encode(spec);
    const Decoded whole = Decode(jpeg, false);
    ASSERT_TRUE(whole.status.ok()) << whole.status.message();
    EXPECT_FALSE(DecodeStoppingAtCompleteDc(jpeg) == whole.image.pixels);
    EXPECT_TRUE(Decode(jpeg, true).image.pixels == whole.image.pixels);
  }
}

TEST(JpegEarlyStop, OtherScalesReadEveryScan) {
  // The 2x2 and 4x4 IDCTs of 1/4 and 1/2 read coefficients up to zigzag 63.
  for (uint32_t denominator : {4u, 2u, 1u}) {
    SCOPED_TRACE(denominator);
    const Comparison scans = ExpectSameRows(Encode(JpegSpec{}), denominator);
    EXPECT_EQ(scans.scans_early, scans.scans_whole);
  }
}

TEST(JpegEarlyStop, BaselineIsOneScan) {
  JpegSpec spec;
  spec.progressive = false;
  const Comparison scans = ExpectSameRows(Encode(spec));
  EXPECT_EQ(scans.scans_whole, 1);
  EXPECT_EQ(scans.scans_early, 1);
}

TEST(JpegEarlyStop, HarmlessSegmentsInTheSkippedScans) {
  const std::string jpeg = Encode(JpegSpec{});
  std::string with_segments =
      BeforeLastScan(jpeg, Segment(JPEG_COM, "a comment") + Segment(JPEG_APP0 + 1, "Exif") +
                               Segment(0xDD, std::string("\0\0", 2)));
  with_segments += "trailing bytes after EOI";
  const Comparison scans = ExpectSameRows(with_segments);
  EXPECT_EQ(scans.scans_early, 7);
}

TEST(JpegEarlyStop, QuantizationTableInTheSkippedScansReadsWhole) {
  std::string table(65, '\x01');
  table[0] = 0;  // 8-bit table 0
  const Comparison scans = ExpectSameRows(BeforeLastScan(Encode(JpegSpec{}), Segment(0xDB, table)));
  EXPECT_EQ(scans.scans_early, scans.scans_whole);
}

TEST(JpegEarlyStop, LateAdobeMarkerReadsWhole) {
  // An Adobe marker after the first scans still decides whether CMYK is inverted in the
  // whole decode, so the file is read to the end.
  JpegSpec spec;
  spec.colour = JCS_CMYK;
  spec.adobe_marker = false;
  const std::string plain = Encode(spec);
  const std::string adobe =
      BeforeLastScan(plain, Segment(JPEG_APP0 + 14, std::string("Adobe\0\x64\0\0\0\0\0", 12)));
  const Comparison scans = ExpectSameRows(adobe);
  EXPECT_EQ(scans.scans_early, scans.scans_whole);
  EXPECT_FALSE(Decode(adobe, false).image.pixels == Decode(plain, false).image.pixels);
}

TEST(JpegEarlyStop, ErrorsInTheSkippedScansAreStillReported) {
  const std::string jpeg = Encode(JpegSpec{});
  const size_t last = SosOffsets(jpeg).back();  // FF DA, length, 1, id, tables, Ss, Se, Ah/Al
  std::string bad_band = jpeg;
  bad_band[last + 8] = 64;
  std::string no_table = jpeg;
  no_table[last + 6] = 0x03;
  for (const std::string& damaged : {bad_band, no_table}) {
    const Decoded whole = Decode(damaged, false);
    const Decoded early = Decode(damaged, true);
    EXPECT_FALSE(whole.status.ok());
    EXPECT_EQ(early.status.message(), whole.status.message());
  }
  EXPECT_EQ(Decode(bad_band, true).status.message(),
            "JPEG data is damaged (a progressive scan's parameters are invalid)");
  EXPECT_EQ(Decode(no_table, true).status.message(),
            "JPEG data is damaged (a Huffman table is missing)");
}

TEST(JpegEarlyStop, TruncatedFilesStillFail) {
  JpegSpec grey;
  grey.colour = JCS_GRAYSCALE;
  for (const JpegSpec& spec : {JpegSpec{}, grey}) {
    const std::string jpeg = Encode(spec);
    const std::vector<size_t> scans = SosOffsets(jpeg);
    // Inside the last scan, without EOI only, between two scans, inside the second.
    for (size_t cut : {jpeg.size() - 100, jpeg.size() - 2, scans.back(), scans[1] + 50}) {
      SCOPED_TRACE(cut);
      const std::string truncated = jpeg.substr(0, cut);
      EXPECT_EQ(Decode(truncated, true).status.message(),
                "JPEG data ends early (the file is truncated)");
      EXPECT_EQ(Decode(truncated, false).status.message(),
                "JPEG data ends early (the file is truncated)");
    }
  }
}

TEST(JpegEarlyStop, JpegDecoderGivesTheSameRows) {
  JpegSpec spec;
  spec.h_samp = spec.v_samp = 2;
  const std::string jpeg = Encode(spec);
  DecodeRequest request;
  request.needed_size = [](Size full) { return Size{(full.width + 7) / 8, (full.height + 7) / 8}; };
  testing::ImageSink sink;
  MemoryInput input({reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size()});
  ASSERT_TRUE(JpegDecoder().Decode(input, request, &sink).ok());
  EXPECT_TRUE(sink.image().pixels == Decode(jpeg, false).image.pixels);
}

}  // namespace
}  // namespace thumbpipe
