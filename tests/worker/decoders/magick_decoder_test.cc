// The ImageMagick plug-in's decoder on files of every long-tail format, written here by other
// encoders (Pillow; PSD and XPM by hand, see tests/support/long_tail_images.h): exact pixels,
// alpha kept, the sniffed format, TGA's stored corner undone, the largest icon, ICC handed on,
// --max-pixels refused from the header, damaged files failing with a plain sentence, the
// coder never guessed, the plug-in loaded only when such a file comes, and no temporary file
// or external program.
#include "worker/decoders/magick_codec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/image_sink.h"
#include "tests/support/long_tail_images.h"
#include "tests/support/support.h"
#include "tests/worker/decoders/decode_helpers.h"
#include "worker/sniff.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using testing::Pixels;
using Outcome = Thumbnail::Outcome;

std::span<const uint8_t> Bytes(const std::string& file) {
  return {reinterpret_cast<const uint8_t*>(file.data()), file.size()};
}

// A RowSink that keeps the image and the colour description it was given.
class ColourImageSink : public testing::ImageSink {
 public:
  void SetColour(ColourSource source) override { colour_ = std::move(source); }
  const std::optional<ColourSource>& colour() const { return colour_; }

 private:
  std::optional<ColourSource> colour_;
};

struct Decoded {
  Status status;
  Image image;
  std::optional<ColourSource> colour;
};

// Decodes `file` as its sniffed format, which must be `format`.
Decoded Decode(const std::string& file, Format format, uint64_t max_pixels = 0) {
  EXPECT_EQ(SniffFormat(Bytes(file)), format) << FormatName(SniffFormat(Bytes(file)));
  MemoryInput input(Bytes(file));
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  request.max_pixels = max_pixels;
  ColourImageSink sink;
  Decoded decoded;
  decoded.status = MagickDecoder(format).Decode(input, request, &sink);
  decoded.image = std::move(sink.image());
  decoded.colour = sink.colour();
  return decoded;
}

// Pillow's file for `pixels`; fails the test (with what to install) when Pillow cannot run.
std::string Pillow(const Pixels& pixels, const std::string& format, const std::string& options = "",
                   const std::string& mode = "") {
  testing::TempDir dir;
  const std::string path = dir / "out";
  const std::string error = testing::WriteWithPillow(pixels, path, format, options, mode);
  EXPECT_EQ(error, "");
  return error.empty() ? testing::ReadFile(path) : std::string();
}

// The decoded image has exactly `expected`'s size, channels and samples.
void ExpectPixels(const Image& image, const Pixels& expected) {
  ASSERT_EQ(image.size(), (Size{expected.width, expected.height}));
  ASSERT_EQ(image.channels, expected.channels);
  int wrong = 0;
  for (uint32_t y = 0; y < expected.height; ++y) {
    for (uint32_t x = 0; x < expected.width; ++x) {
      const uint8_t* got = image.row(y) + size_t{x} * image.channels;
      if (std::memcmp(got, expected.at(x, y), expected.channels) != 0 && wrong++ < 5) {
        ADD_FAILURE() << "pixel " << x << "," << y << " differs";
      }
    }
  }
  EXPECT_EQ(wrong, 0);
}

// A PSB whose layer section claims nearly 2^64 bytes: the check for a missing composite must
// not wrap around and read before the file (the sanitizer build would stop on it).
TEST(MagickDecoderTest, PsbWithAHugeLengthFailsWithoutReadingOutside) {
  std::string psb("8BPS\x00\x02", 6);
  psb += std::string(6, '\0');  // reserved
  psb += std::string("\x00\x03\x00\x00\x00\x10\x00\x00\x00\x10\x00\x08\x00\x03", 14);
  psb += std::string(4, '\0') + std::string(4, '\0');         // colour mode data, resources: empty
  psb += std::string("\xff\xff\xff\xff\xff\xff\xff\xd5", 8);  // layers and masks
  psb += std::string(2, '\0');
  const Decoded decoded = Decode(psb, Format::kPsd);
  EXPECT_FALSE(decoded.status.ok());
  EXPECT_EQ(decoded.status.message(), "PSD data ends early (the file is truncated)");
}

TEST(MagickDecoderTest, Tga24BitExact) {
  const Pixels rgb = testing::Pattern(37, 23, 3);
  const Decoded plain = Decode(Pillow(rgb, "TGA"), Format::kTga);
  ASSERT_TRUE(plain.status.ok()) << plain.status.message();
  ExpectPixels(plain.image, rgb);
  const Decoded rle = Decode(Pillow(rgb, "TGA", "compression='tga_rle'"), Format::kTga);
  ASSERT_TRUE(rle.status.ok()) << rle.status.message();
  ExpectPixels(rle.image, rgb);
}

TEST(MagickDecoderTest, Tga32BitKeepsAlpha) {
  const Pixels rgba = testing::Pattern(37, 23, 4);
  const Decoded decoded = Decode(Pillow(rgba, "TGA"), Format::kTga);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, rgba);
}

// Pillow writes bottom-up rows unless told the top-left corner; both read the same.
TEST(MagickDecoderTest, TgaTopLeftOriginReadsTheSame) {
  const Pixels rgb = testing::Pattern(16, 9, 3);
  const std::string file = Pillow(rgb, "TGA", "orientation=1");
  ASSERT_GT(file.size(), 18u);
  EXPECT_EQ(file[17] & 0x20, 0x20) << "Pillow did not write a top-left origin";
  const Decoded decoded = Decode(file, Format::kTga);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, rgb);
}

// The descriptor's bit 4 says the rows are stored right to left: the same bytes read mirrored.
TEST(MagickDecoderTest, TgaRightToLeftIsMirrored) {
  const Pixels rgb = testing::Pattern(16, 9, 3);
  std::string file = Pillow(rgb, "TGA", "orientation=1");
  ASSERT_GT(file.size(), 18u);
  file[17] = static_cast<char>(file[17] | 0x10);
  const Decoded decoded = Decode(file, Format::kTga);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  Pixels mirrored = rgb;
  for (uint32_t y = 0; y < rgb.height; ++y) {
    for (uint32_t x = 0; x < rgb.width; ++x) {
      std::memcpy(mirrored.data.data() + (size_t{y} * rgb.width + x) * 3,
                  rgb.at(rgb.width - 1 - x, y), 3);
    }
  }
  ExpectPixels(decoded.image, mirrored);
}

TEST(MagickDecoderTest, TgaGreyAndPaletteExact) {
  const Pixels grey = testing::Pattern(20, 10, 1);
  const Decoded decoded = Decode(Pillow(grey, "TGA"), Format::kTga);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, grey);
  // Eight colours fit a palette exactly.
  Pixels few = testing::Pattern(8, 1, 3);
  const Decoded palette = Decode(Pillow(few, "TGA", "", "P"), Format::kTga);
  ASSERT_TRUE(palette.status.ok()) << palette.status.message();
  ExpectPixels(palette.image, few);
}

// Pillow stores icons as PNG by default and as BMP (32-bit with alpha) when asked; the largest
// of the sizes in the file is the one decoded.
TEST(MagickDecoderTest, IcoKeepsAlphaAndGivesTheLargestIcon) {
  const Pixels rgba = testing::Pattern(48, 48, 4);
  for (const std::string options : {"sizes=[(16, 16), (48, 48), (32, 32)]",
                                    "sizes=[(16, 16), (48, 48)], bitmap_format='bmp'"}) {
    const Decoded decoded = Decode(Pillow(rgba, "ICO", options), Format::kIco);
    ASSERT_TRUE(decoded.status.ok()) << options << ": " << decoded.status.message();
    ExpectPixels(decoded.image, rgba);
  }
}

// A cursor is an icon file of type 2 whose entries hold a hot spot where icons hold planes and
// bit counts.
TEST(MagickDecoderTest, CurDecodesLikeIco) {
  const Pixels rgba = testing::Pattern(32, 32, 4);
  std::string file = Pillow(rgba, "ICO", "sizes=[(32, 32)], bitmap_format='bmp'");
  ASSERT_GT(file.size(), 22u);
  file[2] = 2;
  file[6 + 4] = 3;  // hot spot x
  file[6 + 6] = 5;  // hot spot y
  const Decoded decoded = Decode(file, Format::kIco);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, rgba);
}

TEST(MagickDecoderTest, PcxExact) {
  const Pixels rgb = testing::Pattern(33, 17, 3);
  const Decoded decoded = Decode(Pillow(rgb, "PCX"), Format::kPcx);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, rgb);
  const Pixels few = testing::Pattern(8, 1, 3);
  const Decoded palette = Decode(Pillow(few, "PCX", "", "P"), Format::kPcx);
  ASSERT_TRUE(palette.status.ok()) << palette.status.message();
  ExpectPixels(palette.image, few);
}

TEST(MagickDecoderTest, SgiExactWithAlphaAndGrey) {
  for (const uint32_t channels : {1u, 3u, 4u}) {
    const Pixels pixels = testing::Pattern(29, 19, channels);
    const Decoded decoded = Decode(Pillow(pixels, "SGI"), Format::kSgi);
    ASSERT_TRUE(decoded.status.ok()) << channels << ": " << decoded.status.message();
    ExpectPixels(decoded.image, pixels);
  }
}

// Pillow's bilevel conversion without dithering makes white from 128 up, and Pillow writes
// white as set bits; X11 draws set bits in the foreground colour, black, and so does
// ImageMagick. So Pillow's white comes back black.
TEST(MagickDecoderTest, XbmSetBitsAreBlack) {
  const Pixels grey = testing::Pattern(21, 7, 1);
  Pixels bilevel = grey;
  for (uint8_t& v : bilevel.data) v = v >= 128 ? 0 : 255;
  const Decoded decoded = Decode(Pillow(grey, "XBM", "", "1"), Format::kXbm);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, bilevel);
}

TEST(MagickDecoderTest, XpmExactAndNoneIsTransparent) {
  const Pixels rgb = testing::Pattern(24, 16, 3);
  const Decoded decoded = Decode(testing::Xpm(rgb), Format::kXpm);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ExpectPixels(decoded.image, rgb);

  Pixels holes = testing::Pattern(12, 8, 4);
  for (uint32_t i = 0; i < holes.width * holes.height; ++i)
    holes.data[i * 4 + 3] = i % 3 == 0 ? 0 : 255;
  const Decoded transparent = Decode(testing::Xpm(holes), Format::kXpm);
  ASSERT_TRUE(transparent.status.ok()) << transparent.status.message();
  ASSERT_EQ(transparent.image.channels, 4u);
  for (uint32_t y = 0; y < holes.height; ++y) {
    for (uint32_t x = 0; x < holes.width; ++x) {
      const uint8_t* got = transparent.image.row(y) + size_t{x} * 4;
      EXPECT_EQ(got[3], holes.at(x, y)[3]) << x << "," << y;
      if (got[3] == 255) {
        EXPECT_EQ(std::memcmp(got, holes.at(x, y), 3), 0) << x << "," << y;
      }
    }
  }
}

TEST(MagickDecoderTest, PsdCompositeExactRawAndPackBits) {
  for (const uint32_t channels : {1u, 3u}) {
    const Pixels pixels = testing::Pattern(31, 13, channels);
    for (const bool packbits : {false, true}) {
      const Decoded decoded = Decode(testing::Psd(pixels, packbits), Format::kPsd);
      ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
      ExpectPixels(decoded.image, pixels);
    }
  }
}

// The composite's colours are stored matted against white: they come back to within what
// 8-bit storage of the matted value allows (255 / alpha), alpha exactly.
TEST(MagickDecoderTest, PsdKeepsAlpha) {
  const Pixels rgba = testing::Pattern(31, 13, 4);
  const Decoded decoded = Decode(testing::Psd(rgba, true), Format::kPsd);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_EQ(decoded.image.size(), (Size{31, 13}));
  ASSERT_EQ(decoded.image.channels, 4u);
  for (uint32_t y = 0; y < rgba.height; ++y) {
    for (uint32_t x = 0; x < rgba.width; ++x) {
      const uint8_t* want = rgba.at(x, y);
      const uint8_t* got = decoded.image.row(y) + size_t{x} * 4;
      ASSERT_EQ(got[3], want[3]) << x << "," << y;
      const int tolerance = 1 + 255 / want[3];
      for (int c = 0; c < 3; ++c) {
        ASSERT_NEAR(got[c], want[c], tolerance) << x << "," << y << " channel " << c;
      }
    }
  }
}

TEST(MagickDecoderTest, IccProfileIsHandedToTheSink) {
  const std::string profile = testing::ReadFile(testing::CorpusPath("libjpeg-turbo/test3.icc"));
  ASSERT_GT(profile.size(), 128u);
  const std::vector<uint8_t> icc(profile.begin(), profile.end());
  const Decoded decoded = Decode(testing::Psd(testing::Pattern(8, 8, 3), false, icc), Format::kPsd);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  ASSERT_TRUE(decoded.colour.has_value());
  EXPECT_EQ(decoded.colour->icc, icc);
  // A file without one says nothing about its colours.
  const Decoded plain = Decode(testing::Psd(testing::Pattern(8, 8, 3), false), Format::kPsd);
  ASSERT_TRUE(plain.status.ok()) << plain.status.message();
  EXPECT_FALSE(plain.colour.has_value());
}

// A header claiming 30000 x 20000 pixels with a few bytes of data: refused from the header
// with the usual message, before anything is decoded.
TEST(MagickDecoderTest, MaxPixelsRefusedFromTheHeader) {
  std::string tga = Pillow(testing::Pattern(4, 4, 3), "TGA");
  ASSERT_GT(tga.size(), 18u);
  tga[12] = static_cast<char>(30000 & 0xFF);
  tga[13] = static_cast<char>(30000 >> 8);
  tga[14] = static_cast<char>(20000 & 0xFF);
  tga[15] = static_cast<char>(20000 >> 8);
  const Decoded decoded = Decode(tga, Format::kTga, 100'000'000);
  EXPECT_EQ(decoded.status.message(),
            TooManyPixels(Format::kTga, {30000, 20000}, 100'000'000).message());
  EXPECT_EQ(decoded.image.width, 0u) << "pixels were handed over";

  const std::string psd = testing::Psd(testing::Pattern(64, 64, 3), false);
  EXPECT_EQ(Decode(psd, Format::kPsd, 4095).status.message(),
            TooManyPixels(Format::kPsd, {64, 64}, 4095).message());
  const Decoded within = Decode(psd, Format::kPsd, 4096);
  EXPECT_TRUE(within.status.ok()) << within.status.message();
}

// Through the thumbnailer, as a worker does it: cut files fail with a sentence a user can read
// (no ImageMagick source file names), never a crash.
TEST(MagickDecoderTest, DamagedFilesFailWithAPlainSentence) {
  const Pixels rgb = testing::Pattern(64, 48, 3);
  const std::vector<std::pair<std::string, std::string>> files{
      {"TGA", Pillow(rgb, "TGA")},       {"TGA", Pillow(rgb, "TGA", "compression='tga_rle'")},
      {"PCX", Pillow(rgb, "PCX")},       {"SGI", Pillow(rgb, "SGI")},
      {"PSD", testing::Psd(rgb, false)}, {"PSD", testing::Psd(rgb, true)},
      {"XPM", testing::Xpm(rgb)},        {"ICO", Pillow(rgb, "ICO", "bitmap_format='bmp'")}};
  for (const auto& [name, whole] : files) {
    ASSERT_FALSE(whole.empty()) << name;
    const std::string cut = whole.substr(0, whole.size() / 2);
    ThumbnailRequest request;
    request.box = {32, 32};
    Thumbnail thumbnail;
    MakeThumbnail(Bytes(cut), request, &thumbnail);
    EXPECT_EQ(thumbnail.outcome, Outcome::kFailed) << name;
    EXPECT_EQ(thumbnail.reason, std::string(FormatName(thumbnail.format)) +
                                    " data ends early (the file is truncated)")
        << name;
    EXPECT_EQ(thumbnail.reason.find(" @ "), std::string::npos) << name << ": " << thumbnail.reason;
  }
  // A header that is a TGA's and data that is not.
  std::string garbage = Pillow(testing::Pattern(16, 16, 3), "TGA", "compression='tga_rle'");
  for (size_t i = 18; i < garbage.size(); ++i) garbage[i] = static_cast<char>(0x80 | i);
  const Decoded decoded = Decode(garbage.substr(0, 40), Format::kTga);
  EXPECT_FALSE(decoded.status.ok());
  EXPECT_FALSE(decoded.status.message().empty());
}

// ImageMagick is told the coder; it does not look at the bytes to pick another. A PNG handed
// over as TGA does not come out as the PNG's pixels.
TEST(MagickDecoderTest, CoderIsNamedNotGuessed) {
  const std::string png = testing::ReadFile(testing::CorpusPath("pngsuite/basn2c08.png"));
  for (const Format format : {Format::kTga, Format::kPcx, Format::kXpm}) {
    MemoryInput input(Bytes(png));
    DecodeRequest request;
    request.needed_size = [](Size full) { return full; };
    testing::ImageSink sink;
    const Status status = MagickDecoder(format).Decode(input, request, &sink);
    EXPECT_FALSE(status.ok() && sink.image().size() == (Size{32, 32}))
        << FormatName(format) << " read the PNG";
  }
}

// The names of the programs ImageMagick's delegates would run, from its delegates.xml.
std::set<std::string> DelegatePrograms() {
  std::set<std::string> names;
  for (const char* path : {"/etc/ImageMagick-6/delegates.xml"}) {
    const std::string text = testing::ReadFile(path);
    const std::regex command(R"(command="(?:&quot;)?([A-Za-z0-9_.+-]+))");
    for (std::sregex_iterator it(text.begin(), text.end(), command), end; it != end; ++it)
      names.insert((*it)[1]);
  }
  return names;
}

// Every format decoded with a PATH on which each delegate program is a trap that leaves a mark,
// and a TMPDIR of its own: afterwards there is no mark and the temporary folder is empty.
TEST(MagickDecoderTest, RunsNoProgramAndLeavesNoTemporaryFile) {
  const std::set<std::string> programs = DelegatePrograms();
  ASSERT_GT(programs.size(), 10u) << "no delegates.xml of ImageMagick 6 found";
  testing::TempDir traps, temporary, marks;
  for (const std::string& name : programs) {
    testing::WriteFile(traps / name, "#!/bin/sh\ntouch '" + (marks / name) + "'\n");
    ::chmod((traps / name).c_str(), 0755);
  }
  const std::string saved_path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  ::setenv("PATH", traps.path().c_str(), 1);
  ::setenv("TMPDIR", temporary.path().c_str(), 1);
  ::setenv("MAGICK_TEMPORARY_PATH", temporary.path().c_str(), 1);
  const Pixels rgb = testing::Pattern(40, 30, 3);
  std::vector<std::pair<Format, std::string>> files{{Format::kPsd, testing::Psd(rgb, true)},
                                                    {Format::kXpm, testing::Xpm(rgb)}};
  ::setenv("PATH", saved_path.c_str(), 1);  // Pillow needs it
  files.insert(files.end(), {{Format::kTga, Pillow(rgb, "TGA")},
                             {Format::kIco, Pillow(rgb, "ICO")},
                             {Format::kPcx, Pillow(rgb, "PCX")},
                             {Format::kSgi, Pillow(rgb, "SGI")},
                             {Format::kXbm, Pillow(rgb, "XBM", "", "1")}});
  ::setenv("PATH", traps.path().c_str(), 1);
  for (const auto& [format, file] : files) {
    EXPECT_TRUE(Decode(file, format).status.ok()) << FormatName(format);
    EXPECT_FALSE(Decode(file.substr(0, file.size() / 3), format).status.ok()) << FormatName(format);
  }
  ::setenv("PATH", saved_path.c_str(), 1);
  ::unsetenv("TMPDIR");
  ::unsetenv("MAGICK_TEMPORARY_PATH");
  EXPECT_EQ(testing::ListFolder(marks.path()), std::vector<std::string>{});
  EXPECT_EQ(testing::ListFolder(temporary.path()), std::vector<std::string>{});
}

using testing::Mapped;

bool Thumbnails(const std::string& file) {
  return testing::ThumbnailOf(file, {16, 16}).outcome == Outcome::kThumbnail;
}

// In a fresh process (a death test re-runs this binary for this test alone): PNG, JPEG, GIF
// and BMP leave ImageMagick unloaded; the first TGA loads it.
TEST(MagickDecoderTest, LoadedOnlyWhenSuchAFileComes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string tga = Pillow(testing::Pattern(8, 8, 3), "TGA");
  ASSERT_FALSE(tga.empty());
  EXPECT_EXIT(
      {
        for (const char* other : {"pngsuite/basn2c08.png", "pillow/formats/hopper.jpg",
                                  "pillow/formats/hopper.gif", "pillow/formats/hopper.bmp"}) {
          if (!Thumbnails(testing::ReadFile(testing::CorpusPath(other)))) {
            std::fprintf(stderr, "no thumbnail of %s\n", other);
            std::_Exit(2);
          }
        }
        if (Mapped("thumbpipe-magick") || Mapped("libMagickCore")) {
          std::fprintf(stderr, "ImageMagick was loaded for other formats\n");
          std::_Exit(3);
        }
        if (!Thumbnails(tga)) std::_Exit(4);
        if (!Mapped("thumbpipe-magick") || !Mapped("libMagickCore")) {
          std::fprintf(stderr, "a TGA did not load ImageMagick\n");
          std::_Exit(5);
        }
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace thumbpipe
