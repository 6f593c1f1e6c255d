#include "worker/sniff.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

Format Sniff(const std::string& bytes) {
  return SniffFormat({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

TEST(SniffFormat, ByContentNotName) {
  EXPECT_EQ(Sniff("\xFF\xD8\xFF\xE0"), Format::kJpeg);
  EXPECT_EQ(Sniff("\x89PNG\r\n\x1A\n...."), Format::kPng);
  EXPECT_EQ(Sniff(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), Format::kWebp);
  EXPECT_EQ(Sniff(std::string("II*\0\x08\0\0\0", 8)), Format::kTiff);
  EXPECT_EQ(Sniff(std::string("MM\0*\0\0\0\x08", 8)), Format::kTiff);
  EXPECT_EQ(Sniff("P6\n3 2\n255\n"), Format::kPnm);
  EXPECT_EQ(Sniff("P5 3 2 255 "), Format::kPnm);
  EXPECT_EQ(Sniff("GIF89a...."), Format::kGif);
  EXPECT_EQ(Sniff(std::string("\0\0\0\x18"
                              "ftypheic\0\0\0\0",
                              16)),
            Format::kHeif);
  EXPECT_EQ(Sniff(std::string("\0\0\0\x1c"
                              "ftypavif\0\0\0\0",
                              16)),
            Format::kHeif);
}

TEST(SniffFormat, NotImages) {
  EXPECT_EQ(Sniff(""), Format::kUnknown);
  EXPECT_EQ(Sniff("hello, world"), Format::kUnknown);
  EXPECT_EQ(Sniff("\xFF\xD8"), Format::kUnknown);  // too short to be JPEG
  EXPECT_EQ(Sniff(std::string("RIFF\x10\0\0\0WAVEfmt ", 16)), Format::kUnknown);
  EXPECT_EQ(Sniff("BM"), Format::kUnknown);
  EXPECT_EQ(Sniff("P9\n"), Format::kUnknown);
  EXPECT_EQ(Sniff("Pictures\n"), Format::kUnknown);
  EXPECT_EQ(Sniff(std::string("\0\0\0\x18"
                              "ftypmp42\0\0\0\0",
                              16)),
            Format::kUnknown);
}

TEST(SniffFormat, CorpusFiles) {
  const auto sniff_file = [](const std::string& relative) {
    return Sniff(testing::ReadFile(testing::CorpusPath(relative)));
  };
  EXPECT_EQ(sniff_file("pillow/formats/hopper.jpg"), Format::kJpeg);
  EXPECT_EQ(sniff_file("pillow/formats/hopper.png"), Format::kPng);
  EXPECT_EQ(sniff_file("pillow/formats/hopper.webp"), Format::kWebp);
  EXPECT_EQ(sniff_file("pillow/formats/hopper.tif"), Format::kTiff);
  EXPECT_EQ(sniff_file("pillow/formats/hopper.bmp"), Format::kBmp);
  EXPECT_EQ(sniff_file("pillow/formats/hopper.ppm"), Format::kPnm);
  EXPECT_EQ(sniff_file("pillow/formats/hopper.gif"), Format::kGif);
  EXPECT_EQ(sniff_file("libjpeg-turbo/test1.icc"), Format::kUnknown);
  EXPECT_EQ(sniff_file("pngsuite/PngSuite.LICENSE"), Format::kUnknown);
}

}  // namespace
}  // namespace thumbpipe
