// Inputs that broke the decode path, found by the fuzzer (tests/fuzz) or built by hand where it
// does not reach, each kept as a test so the fix stays. Every one must end as a thumbnail,
// "not an image" or a failure with a reason.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "common/options.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

// The bytes written as hex digits; spaces are for reading only.
std::string FromHex(std::string_view hex) {
  std::string bytes;
  int high = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = c <= '9' ? c - '0' : c - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  return bytes;
}

// The most address space this process has held so far (VmPeak), in bytes.
uint64_t PeakAddressSpace() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmPeak:")) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

// A progressive 8x8 grey JPEG: a DC scan, then `ac_scans` AC scans that each say "end of
// block" in 11 bytes.
std::string ProgressiveJpeg(int ac_scans) {
  std::string hex = "ffd8 ffdb0043 00";  // DQT: table 0, all ones
  for (int i = 0; i < 64; ++i) hex += "01";
  hex +=
      " ffc2000b 08 0008 0008 01 011100"                  // SOF2: component 1, 1x1, table 0
      " ffc40014 00 01000000000000000000000000000000 00"  // DC table 0: one 1-bit code, for 0
      " ffc40014 10 01000000000000000000000000000000 00"  // AC table 0: the same (end of block)
      " ffda0008 01 0100 00 00 00 7f";                    // DC scan
  for (int i = 0; i < ac_scans; ++i) hex += " ffda0008 01 0100 01 3f 00 7f";
  return FromHex(hex + " ffd9");
}

class FuzzRegressionTest : public ::testing::Test {
 protected:
  static Thumbnail Make(const std::string& bytes) {
    ThumbnailRequest request;
    request.max_pixels = kDefaultMaxPixels;
    Thumbnail thumbnail;
    MakeThumbnail({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, request,
                  &thumbnail);
    if (thumbnail.outcome != Outcome::kThumbnail) {
      EXPECT_FALSE(thumbnail.reason.empty());
    }
    return thumbnail;
  }
};

// A 1x1 PNG followed by the start of a zTXt chunk that claims 0x7f000040 bytes. libpng only
// warns that the chunk is too large and then allocates all of it (2 GiB for 52 bytes of file).
TEST_F(FuzzRegressionTest, PngTextChunkClaimingGigabytesIsNotAllocated) {
  const std::string png = FromHex(
      "89504e470d0a1a0a 0000000d 49484452 00000001 00000001 0800000000 3a7e9b55"
      "7f000040 7a545874 436f6d6d656e74 00 00 789c");
  const uint64_t before = PeakAddressSpace();
  const Thumbnail t = Make(png);
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason, "PNG data ends early (the file is truncated)");
  // VmPeak never falls, so this can only see the allocation in a process that was smaller
  // before it; CTest runs every test in a process of its own.
  EXPECT_LT(PeakAddressSpace() - before, uint64_t{1} << 30);
}

// "RIFF", a length, "WEBP", a header libwebp cannot parse and "DICM" at byte 128. OpenCV's WebP
// decoder declined it, OpenCV passed it on to its DICOM decoder, and gdcm aborted the process on
// a failed assertion.
TEST_F(FuzzRegressionTest, WebpWithDicomSignatureDoesNotReachDicomReader) {
  std::string webp(132, '\0');
  webp.replace(0, 12, std::string_view("RIFF\x7c\0\0\0WEBP", 12));
  webp.replace(128, 4, "DICM");
  const Thumbnail t = Make(webp);
  EXPECT_EQ(t.outcome, Outcome::kFailed);
}

// Built by hand (the fuzzer was not going to write thousands of scans): every scan is a pass
// over all of the image's coefficients, so a 256 KiB file of 3500 scans that claimed 20
// megapixels took 100 s of CPU. More than a hundred scans are now refused as they start.
TEST_F(FuzzRegressionTest, JpegWithThousandsOfScansIsRefused) {
  const Thumbnail few = Make(ProgressiveJpeg(9));
  EXPECT_EQ(few.outcome, Outcome::kThumbnail) << few.reason;
  const Thumbnail many = Make(ProgressiveJpeg(3500));
  EXPECT_EQ(many.outcome, Outcome::kFailed);
  EXPECT_EQ(many.reason,
            "JPEG file uses more than 100 scans, each a pass over the whole image, which "
            "thumbpipe does not support");
}

}  // namespace
}  // namespace thumbpipe
