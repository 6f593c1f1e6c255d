#include "common/desktop_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_uri.h"
#include "common/sha256.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

TEST(DesktopCacheTest, Md5OfKnownText) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
}

TEST(DesktopCacheTest, NamesAsTheStandardsExample) {
  // The Thumbnail Managing Standard's own example.
  const std::string uri = FileUri("/home/jens/photos/me.png");
  EXPECT_EQ(uri, "file:///home/jens/photos/me.png");
  EXPECT_EQ(DesktopCacheName(uri), "c6ee772d9e49320e97ec29a7eb5b1697.png");
  EXPECT_EQ(DesktopThumbnailName(0, uri), "normal/c6ee772d9e49320e97ec29a7eb5b1697.png");
  EXPECT_EQ(DesktopThumbnailName(1, uri), "large/c6ee772d9e49320e97ec29a7eb5b1697.png");
  EXPECT_EQ(DesktopThumbnailName(2, uri), "x-large/c6ee772d9e49320e97ec29a7eb5b1697.png");
  EXPECT_EQ(DesktopThumbnailName(3, uri), "xx-large/c6ee772d9e49320e97ec29a7eb5b1697.png");
  EXPECT_EQ(DesktopFailMarkerName(uri),
            DesktopFailFolder() + "/c6ee772d9e49320e97ec29a7eb5b1697.png");
  EXPECT_TRUE(DesktopFailFolder().starts_with("fail/thumbpipe-"));
  EXPECT_GT(DesktopFailFolder().size(), std::string("fail/thumbpipe-").size());
}

TEST(DesktopCacheTest, Flavours) {
  EXPECT_EQ(ParseDesktopFlavour("normal"), 0);
  EXPECT_EQ(ParseDesktopFlavour("128x128"), 0);
  EXPECT_EQ(ParseDesktopFlavour("large"), 1);
  EXPECT_EQ(ParseDesktopFlavour("256x256"), 1);
  EXPECT_EQ(ParseDesktopFlavour("x-large"), 2);
  EXPECT_EQ(ParseDesktopFlavour("512x512"), 2);
  EXPECT_EQ(ParseDesktopFlavour("xx-large"), 3);
  EXPECT_EQ(ParseDesktopFlavour("1024x1024"), 3);
  for (const char* wrong : {"", "Normal", "128x256", "200x200", "128", "xlarge", "large "}) {
    EXPECT_EQ(ParseDesktopFlavour(wrong), std::nullopt) << wrong;
  }
  EXPECT_EQ(DesktopFlavourNames(kDefaultDesktopFlavours), "normal,large");
  EXPECT_EQ(DesktopFlavourNames(0b1100), "x-large,xx-large");
}

TEST(DesktopCacheTest, FolderFollowsTheXdgRule) {
  std::string folder;
  ASSERT_TRUE(DesktopThumbnailsFolder("/c", "/home/ana", &folder).ok());
  EXPECT_EQ(folder, "/c/thumbnails");
  ASSERT_TRUE(DesktopThumbnailsFolder("/c/", "/home/ana", &folder).ok());
  EXPECT_EQ(folder, "/c/thumbnails");
  ASSERT_TRUE(DesktopThumbnailsFolder(nullptr, "/home/ana", &folder).ok());
  EXPECT_EQ(folder, "/home/ana/.cache/thumbnails");
  ASSERT_TRUE(DesktopThumbnailsFolder("relative/cache", "/home/ana", &folder).ok());
  EXPECT_EQ(folder, "/home/ana/.cache/thumbnails");
  ASSERT_TRUE(DesktopThumbnailsFolder("", "/home/ana", &folder).ok());
  EXPECT_EQ(folder, "/home/ana/.cache/thumbnails");
  const Status status = DesktopThumbnailsFolder("x", nullptr, &folder);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "--layout freedesktop needs the cache folder: set XDG_CACHE_HOME or HOME to an "
            "absolute path");
}

TEST(DesktopCacheTest, MTimeInWholeSecondsRoundedDown) {
  EXPECT_EQ(DesktopMTime(0), "0");
  EXPECT_EQ(DesktopMTime(1'700'000'000'999'999'999), "1700000000");
  EXPECT_EQ(DesktopMTime(-1), "-1");
  EXPECT_EQ(DesktopMTime(-1'000'000'000), "-1");
  EXPECT_EQ(DesktopMTime(-1'000'000'001), "-2");
}

TEST(DesktopCacheTest, MimeTypes) {
  EXPECT_EQ(DesktopMimeType(Format::kJpeg), "image/jpeg");
  EXPECT_EQ(DesktopMimeType(Format::kPng), "image/png");
  EXPECT_EQ(DesktopMimeType(Format::kUnknown), "");
}

// A PNG with the given text, made by AddPngText.
std::vector<uint8_t> PngWithText(const std::vector<PngText>& texts) {
  // 1x1 grey, as small as a PNG is: signature, IHDR, IDAT, IEND.
  static const uint8_t kPng[] = {
      0x89, 'P',  'N',  'G',  '\r', '\n', 0x1A, '\n', 0,    0,    0,    13,   'I',  'H',
      'D',  'R',  0,    0,    0,    1,    0,    0,    0,    1,    8,    0,    0,    0,
      0,    0x3A, 0x7E, 0x9B, 0x55, 0,    0,    0,    10,   'I',  'D',  'A',  'T',  0x78,
      0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0xE5, 0x27, 0xDE, 0xFC, 0,
      0,    0,    0,    'I',  'E',  'N',  'D',  0xAE, 0x42, 0x60, 0x82};
  std::vector<uint8_t> png(std::begin(kPng), std::end(kPng));
  EXPECT_TRUE(AddPngText(texts, &png).ok());
  return png;
}

TEST(DesktopCacheTest, CurrentWhenUriAndMTimeMatch) {
  testing::TempDir dir;
  const DesktopSource source{"file:///p/a.png", "1700000000"};
  testing::WriteFile(dir / "same.png", [&] {
    const std::vector<uint8_t> png =
        PngWithText({{"Thumb::URI", source.uri}, {"Thumb::MTime", source.mtime}});
    return std::string(png.begin(), png.end());
  }());
  testing::WriteFile(dir / "older.png", [&] {
    const std::vector<uint8_t> png =
        PngWithText({{"Thumb::URI", source.uri}, {"Thumb::MTime", "1699999999"}});
    return std::string(png.begin(), png.end());
  }());
  testing::WriteFile(dir / "other.png", [&] {
    const std::vector<uint8_t> png =
        PngWithText({{"Thumb::URI", "file:///p/b.png"}, {"Thumb::MTime", source.mtime}});
    return std::string(png.begin(), png.end());
  }());
  testing::WriteFile(dir / "no_mtime.png", [&] {
    const std::vector<uint8_t> png = PngWithText({{"Thumb::URI", source.uri}});
    return std::string(png.begin(), png.end());
  }());
  testing::WriteFile(dir / "text.png", "Thumb::URI file:///p/a.png");
  const int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(IsCurrentDesktopThumbnail(fd, "same.png", source));
  EXPECT_FALSE(IsCurrentDesktopThumbnail(fd, "older.png", source));
  EXPECT_FALSE(IsCurrentDesktopThumbnail(fd, "other.png", source));
  EXPECT_FALSE(IsCurrentDesktopThumbnail(fd, "no_mtime.png", source));
  EXPECT_FALSE(IsCurrentDesktopThumbnail(fd, "text.png", source));
  EXPECT_FALSE(IsCurrentDesktopThumbnail(fd, "missing.png", source));
  ::close(fd);
}

}  // namespace
}  // namespace thumbpipe
