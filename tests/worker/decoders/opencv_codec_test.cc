// BMP and PNM through the OpenCV plug-in: what OpenCV's exceptions and complaints become as
// failure reasons, on the corpus's hostile BMPs and on PNMs made here. Every decode in this
// program asks for the default pixel limit, which the plug-in hands to OpenCV once per process.
#include "worker/decoders/opencv_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "common/options.h"
#include "tests/support/support.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

std::string ReasonFor(const std::string& file) {
  ThumbnailRequest request;
  request.max_pixels = kDefaultMaxPixels;
  Thumbnail t;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, request, &t);
  EXPECT_EQ(t.outcome, Outcome::kFailed) << t.reason;
  return t.reason;
}

std::string Hostile(const std::string& name) {
  return testing::ReadFile(testing::CorpusPath("pillow/hostile/" + name));
}

TEST(OpenCvCodecTest, BmpReasons) {
  EXPECT_EQ(ReasonFor(Hostile("bmp-shortfile.bmp")), "BMP data ends early (the file is truncated)");
  EXPECT_EQ(ReasonFor(Hostile("bmp-badpalettesize.bmp")),
            "BMP header is damaged (the number of palette colours is out of range)");
  // 3000000 pixels wide.
  EXPECT_EQ(ReasonFor(Hostile("bmp-reallybig.bmp")),
            "BMP file uses a width or height above 1048576 pixels, which thumbpipe does not "
            "support");
  // 30000 bits per pixel: OpenCV declines it without saying why.
  EXPECT_EQ(ReasonFor(Hostile("bmp-badbitcount.bmp")),
            "BMP file is damaged or of a kind thumbpipe does not support");
}

TEST(OpenCvCodecTest, PnmReasons) {
  const std::string ppm = testing::ReadFile(testing::CorpusPath("pillow/formats/hopper.ppm"));
  EXPECT_EQ(ReasonFor(ppm.substr(0, ppm.size() / 2)),
            "PNM data ends early (the file is truncated)");
  EXPECT_EQ(ReasonFor("P6\nAB 10\n255\n" + std::string(300, '\0')),
            "PNM header is damaged (a number in it is malformed)");
}

TEST(OpenCvCodecTest, DicomSignatureIsRefused) {
  std::string bmp = Hostile("bmp-shortfile.bmp");
  bmp.resize(200, '\0');
  bmp.replace(128, 4, "DICM");
  EXPECT_EQ(ReasonFor(bmp),
            "BMP file uses a DICOM signature at byte 128, which thumbpipe does not support");
}

}  // namespace
}  // namespace thumbpipe
