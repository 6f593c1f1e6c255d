#include "worker/exif.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe {
namespace {

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A little-endian TIFF block with one IFD entry: tag, type SHORT, count 1, value.
std::string TiffLe(uint16_t tag, uint16_t value, uint16_t type = 3) {
  std::string t("II*\0\x08\0\0\0", 8);
  t += std::string("\x01\0", 2);  // one entry
  t += static_cast<char>(tag & 0xFF);
  t += static_cast<char>(tag >> 8);
  t += static_cast<char>(type);
  t += '\0';
  t += std::string("\x01\0\0\0", 4);
  t += static_cast<char>(value & 0xFF);
  t += static_cast<char>(value >> 8);
  t += std::string("\0\0\0\0\0\0", 6);
  return t;
}

std::string TiffBe(uint16_t value) {
  std::string t("MM\0*\0\0\0\x08", 8);
  t += std::string("\0\x01", 2);
  t += std::string("\x01\x12\0\x03\0\0\0\x01", 8);
  t += static_cast<char>(value >> 8);
  t += static_cast<char>(value & 0xFF);
  t += std::string("\0\0\0\0\0\0", 6);
  return t;
}

std::string JpegWithExif(const std::string& tiff) {
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t length = payload.size() + 2;
  std::string jpeg("\xFF\xD8", 2);
  jpeg += std::string("\xFF\xE0\0\x04\0\0", 6);  // an APP0 first
  jpeg += "\xFF\xE1";
  jpeg += static_cast<char>(length >> 8);
  jpeg += static_cast<char>(length & 0xFF);
  jpeg += payload;
  jpeg += "\xFF\xDA";
  return jpeg;
}

TEST(OrientationFromTiff, BothByteOrders) {
  for (uint16_t v = 1; v <= 8; ++v) {
    EXPECT_EQ(OrientationFromTiff(Span(TiffLe(0x0112, v))), v);
    EXPECT_EQ(OrientationFromTiff(Span(TiffBe(v))), v);
  }
}

TEST(OrientationFromTiff, MalformedMeansUpright) {
  EXPECT_EQ(OrientationFromTiff(Span("")), 1);
  EXPECT_EQ(OrientationFromTiff(Span(TiffLe(0x0112, 9))), 1);
  EXPECT_EQ(OrientationFromTiff(Span(TiffLe(0x0112, 0))), 1);
  EXPECT_EQ(OrientationFromTiff(Span(TiffLe(0x0112, 6, /*type=*/4))), 1);
  EXPECT_EQ(OrientationFromTiff(Span(TiffLe(0x0100, 6))), 1);  // another tag
  std::string cut = TiffLe(0x0112, 6);
  cut.resize(14);
  EXPECT_EQ(OrientationFromTiff(Span(cut)), 1);
  std::string bad_offset = TiffLe(0x0112, 6);
  bad_offset[4] = '\x7f';
  EXPECT_EQ(OrientationFromTiff(Span(bad_offset)), 1);
}

TEST(ReadOrientation, JpegApp1) {
  EXPECT_EQ(ReadOrientation(Span(JpegWithExif(TiffLe(0x0112, 6))), Format::kJpeg), 6);
  std::string truncated = JpegWithExif(TiffLe(0x0112, 6));
  truncated.resize(20);
  EXPECT_EQ(ReadOrientation(Span(truncated), Format::kJpeg), 1);
}

TEST(ReadOrientation, CorpusFiles) {
  for (int v = 0; v <= 8; ++v) {
    const std::string file = testing::ReadFile(
        testing::CorpusPath("exif-orientation/Landscape_" + std::to_string(v) + ".jpg"));
    EXPECT_EQ(ReadOrientation(Span(file), Format::kJpeg), v == 0 ? 1 : v) << v;
  }
  // ImageMagick keeps EXIF of PNGs in a hex text chunk.
  EXPECT_EQ(ReadOrientation(Span(testing::ReadFile(testing::CorpusPath(
                                "pillow/formats/exif_imagemagick_orientation.png"))),
                            Format::kPng),
            3);
  EXPECT_EQ(ReadOrientation(
                Span(testing::ReadFile(testing::CorpusPath("pillow/formats/g4_orientation_6.tif"))),
                Format::kTiff),
            6);
  // Damaged EXIF never stops anything: upright.
  for (const char* name :
       {"pillow/hostile/hopper_bad_exif.jpg", "pillow/hostile/invalid-exif.jpg"}) {
    const int o =
        ReadOrientation(Span(testing::ReadFile(testing::CorpusPath(name))), Format::kJpeg);
    EXPECT_GE(o, 1);
    EXPECT_LE(o, 8);
  }
}

}  // namespace
}  // namespace thumbpipe
