// Inputs the fuzzer (tests/fuzz) found to break the decode path, each kept as a test so the
// fix stays. Every one must end as a thumbnail, "not an image" or a failure with a reason.
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
  EXPECT_EQ(t.reason, "decode PNG: PNG data ends early (is the file truncated?)");
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

}  // namespace
}  // namespace thumbpipe
