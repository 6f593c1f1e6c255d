#include "worker/sniff.h"

#include <random>
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

// A little-endian TIFF whose first directory holds one entry, tag `tag`.
std::string TiffWithTag(uint16_t tag, bool big_endian = false) {
  std::string tiff =
      big_endian ? std::string("MM\0*\0\0\0\x08", 8) : std::string("II*\0\x08\0\0\0", 8);
  const auto u16 = [&](uint16_t v) {
    if (big_endian) {
      tiff.push_back(static_cast<char>(v >> 8));
      tiff.push_back(static_cast<char>(v));
    } else {
      tiff.push_back(static_cast<char>(v));
      tiff.push_back(static_cast<char>(v >> 8));
    }
  };
  u16(1);                        // one entry
  u16(tag);                      // tag
  u16(1);                        // BYTE
  tiff.append("\x04\0\0\0", 4);  // count (read as either order: only the tag matters here)
  tiff.append("\x01\x04\0\0", 4);
  tiff.append(4, '\0');  // no next directory
  return tiff;
}

// The first bytes of real files of each kind (headers as their specifications lay them out).
TEST(SniffFormat, LongTailFormats) {
  // TGA: no colour map, type 2 (true colour), 4x3, 24 bits, bottom-up.
  const std::string tga("\0\0\x02\0\0\0\0\0\0\0\0\0\x04\0\x03\0\x18\0", 18);
  EXPECT_EQ(Sniff(tga + std::string(36, '\x7F')), Format::kTga);
  // Colour-mapped RLE (type 9) with a 2-entry 24-bit map, and 32 bits with 8 alpha bits.
  EXPECT_EQ(Sniff(std::string("\0\x01\x09\0\0\x02\0\x18\0\0\0\0\x02\0\x02\0\x08\x20", 18) +
                  std::string(16, '\0')),
            Format::kTga);
  EXPECT_EQ(Sniff(std::string("\0\0\x02\0\0\0\0\0\0\0\0\0\x04\0\x03\0\x20\x08", 18)), Format::kTga);
  // ICO and CUR: one 16x16 entry whose data starts right after the directory.
  const std::string entry("\x10\x10\0\0\x01\0\x20\0\x68\x04\0\0\x16\0\0\0", 16);
  EXPECT_EQ(Sniff(std::string("\0\0\x01\0\x01\0", 6) + entry), Format::kIco);
  EXPECT_EQ(Sniff(std::string("\0\0\x02\0\x01\0", 6) + entry), Format::kIco);
  EXPECT_EQ(Sniff(std::string("8BPS\0\x01\0\0\0\0\0\0\0\x03\0\0\0\x10\0\0\0\x10\0\x08\0\x03", 26)),
            Format::kPsd);
  std::string pcx(128, '\0');
  pcx[0] = 0x0A, pcx[1] = 5, pcx[2] = 1, pcx[3] = 8, pcx[8] = 15, pcx[10] = 9, pcx[65] = 3,
  pcx[66] = 16;
  EXPECT_EQ(Sniff(pcx), Format::kPcx);
  std::string sgi(512, '\0');
  sgi[0] = 0x01, sgi[1] = static_cast<char>(0xDA), sgi[2] = 1, sgi[3] = 1, sgi[5] = 3, sgi[7] = 20,
  sgi[9] = 10, sgi[11] = 3;
  EXPECT_EQ(Sniff(sgi), Format::kSgi);
  EXPECT_EQ(Sniff("/* XPM */\nstatic char *x[] = {\n"), Format::kXpm);
  EXPECT_EQ(
      Sniff("#define x_width 8\n#define x_height 2\nstatic char x_bits[] = {\n0x0f, 0xf0};\n"),
      Format::kXbm);
}

TEST(SniffFormat, CameraRawContainers) {
  EXPECT_EQ(Sniff(std::string("II*\0\x10\0\0\0CR\x02\0", 12)), Format::kCameraRaw);  // CR2
  EXPECT_EQ(Sniff(std::string("\0\0\0\x18"
                              "ftypcrx \0\0\0\x01",
                              16)),
            Format::kCameraRaw);                                                  // CR3
  EXPECT_EQ(Sniff(std::string("II\x1A\0\0\0HEAPCCDR", 14)), Format::kCameraRaw);  // CRW
  EXPECT_EQ(Sniff("FUJIFILMCCD-RAW 0201FF383501"), Format::kCameraRaw);           // RAF
  EXPECT_EQ(Sniff(std::string("IIRO\x08\0\0\0", 8)), Format::kCameraRaw);         // ORF
  EXPECT_EQ(Sniff(std::string("IIRS\x08\0\0\0", 8)), Format::kCameraRaw);         // ORF
  EXPECT_EQ(Sniff(std::string("MMOR\0\0\0\x08", 8)), Format::kCameraRaw);         // ORF
  EXPECT_EQ(Sniff(std::string("IIU\0\x08\0\0\0", 8)), Format::kCameraRaw);        // RW2
  EXPECT_EQ(Sniff(std::string("\0MRM\0\0\0\x20", 8)), Format::kCameraRaw);        // MRW
  EXPECT_EQ(Sniff("FOVb\x00\x00\x04\x00"), Format::kCameraRaw);                   // X3F
  EXPECT_EQ(Sniff(TiffWithTag(0xC612)), Format::kCameraRaw);                      // DNG
  EXPECT_EQ(Sniff(TiffWithTag(0xC612, true)), Format::kCameraRaw);
  // A TIFF without DNGVersion, or whose directory is not in the head, stays TIFF: NEF, ARW
  // and the like cannot be told from TIFF safely.
  EXPECT_EQ(Sniff(TiffWithTag(0x010F)), Format::kTiff);
  EXPECT_EQ(Sniff(std::string("II*\0\0\x10\0\0", 8)), Format::kTiff);
  EXPECT_EQ(Sniff(std::string("II*\0\x08\0\0\0\xFF\xFF", 10)), Format::kTiff);
  EXPECT_EQ(Sniff(testing::ReadFile(testing::CorpusPath("pillow/formats/hopper.tif"))),
            Format::kTiff);
}

TEST(SniffFormat, NearMissesAreNotClaimed) {
  const std::string tga("\0\0\x02\0\0\0\0\0\0\0\0\0\x04\0\x03\0\x18\0", 18);
  const auto with = [&](size_t at, char value) {
    std::string bytes = tga;
    bytes[at] = value;
    return Sniff(bytes);
  };
  EXPECT_EQ(with(2, 0), Format::kUnknown);        // image type 0: no image data
  EXPECT_EQ(with(2, 4), Format::kUnknown);        // no such type
  EXPECT_EQ(with(1, 2), Format::kUnknown);        // colour map type 2
  EXPECT_EQ(with(5, 1), Format::kUnknown);        // a map length without a map
  EXPECT_EQ(with(16, 7), Format::kUnknown);       // 7 bits a pixel
  EXPECT_EQ(with(12, 0), Format::kUnknown);       // zero width
  EXPECT_EQ(with(17, '\x40'), Format::kUnknown);  // interleaving
  EXPECT_EQ(with(17, 3), Format::kUnknown);       // 3 alpha bits in 24-bit pixels
  EXPECT_EQ(Sniff(std::string("\0\0\x01\0\0\0", 6) + std::string(16, '\0')),
            Format::kUnknown);  // ICO with no entries
  EXPECT_EQ(Sniff(std::string("\0\0\x01\0\x01\0", 6) + std::string(16, '\0')),
            Format::kUnknown);  // an entry with no data
  EXPECT_EQ(Sniff(std::string("8BPS\0\x03\0\0\0\0\0\0", 12) + std::string(14, '\0')),
            Format::kUnknown);
  EXPECT_EQ(Sniff("#define FOO_width 3\n#define FOO_height 2\nint x;\n"), Format::kUnknown);
  EXPECT_EQ(Sniff("#define VERSION 3\n"), Format::kUnknown);
  EXPECT_EQ(Sniff(std::string(4096, '\0')), Format::kUnknown);
  EXPECT_EQ(Sniff(std::string(4096, '\xFF')), Format::kUnknown);
}

// Random bytes and text are not claimed by the formats whose rules are header checks rather
// than long magic numbers (TGA, PCX, SGI and ICO above all), nor by the others added with them.
// (BMP's two-byte "BM" claims about one random file in 65536; its rule is OpenCV's business.)
bool LongTail(Format format) {
  switch (format) {
    case Format::kTga:
    case Format::kIco:
    case Format::kPsd:
    case Format::kPcx:
    case Format::kSgi:
    case Format::kXpm:
    case Format::kXbm:
    case Format::kCameraRaw:
      return true;
    default:
      return false;
  }
}

TEST(SniffFormat, RandomBytesAndTextAreNotImages) {
  std::mt19937 random(20261202);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(1 + random() % 2048, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    EXPECT_FALSE(LongTail(Sniff(bytes)))
        << "random file " << i << " claimed as " << FormatName(Sniff(bytes));
  }
  for (const char* text : {"README.md", "pngsuite/PngSuite.LICENSE", "libjpeg-turbo/LICENSE.txt",
                           "exif-orientation/LICENSE"}) {
    EXPECT_EQ(Sniff(testing::ReadFile(testing::CorpusPath(text))), Format::kUnknown) << text;
  }
}

}  // namespace
}  // namespace thumbpipe
