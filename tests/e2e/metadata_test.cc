// End to end: a thumbnail carries nothing of its source but pixels. A thumbnail store is
// often shared more widely than the photos (a web server, a desktop cache), and must not leak
// where or when a photo was taken: no EXIF, no GPS, no text chunks, whichever path the image
// takes (decoded and encoded again, or a small PNG reused as it is).
#include <zlib.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

void AppendBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

std::string Chunk(const char* type, const std::string& data) {
  std::string out;
  AppendBe32(&out, static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  AppendBe32(&out, static_cast<uint32_t>(
                       crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  return out;
}

constexpr std::string_view kSecret = "GPSLatitude 52.5163 GPSLongitude 13.3777 Owner Jane";

// A PNG of w x h with text, EXIF and international text chunks right after its header.
std::string PngWithMetadata(int w, int h) {
  cv::Mat pixels(h, w, CV_8UC3);
  cv::randu(pixels, cv::Scalar::all(0), cv::Scalar::all(255));
  std::vector<uint8_t> png;
  cv::imencode(".png", pixels, png);
  std::string file(png.begin(), png.end());
  const std::string secret(kSecret);
  const std::string extra = Chunk("tEXt", "Comment" + std::string(1, '\0') + secret) +
                            Chunk("eXIf", "MM\0*" + secret) +
                            Chunk("iTXt", "Location" + std::string(5, '\0') + secret);
  file.insert(8 + 25, extra);  // after the signature and IHDR
  return file;
}

// The chunk types of a PNG, in order.
std::vector<std::string> ChunkTypes(const std::string& png) {
  std::vector<std::string> types;
  for (size_t at = 8; at + 8 <= png.size();) {
    const uint32_t size =
        static_cast<uint8_t>(png[at]) << 24 | static_cast<uint8_t>(png[at + 1]) << 16 |
        static_cast<uint8_t>(png[at + 2]) << 8 | static_cast<uint8_t>(png[at + 3]);
    types.push_back(png.substr(at + 4, 4));
    at += 12 + size;
  }
  return types;
}

// JPEG segment markers from SOI up to the first SOS.
std::vector<int> JpegMarkers(const std::string& jpeg) {
  std::vector<int> markers;
  for (size_t at = 2; at + 4 <= jpeg.size() && static_cast<uint8_t>(jpeg[at]) == 0xFF;) {
    const int marker = static_cast<uint8_t>(jpeg[at + 1]);
    markers.push_back(marker);
    if (marker == 0xDA) break;
    at += 2 + (static_cast<uint8_t>(jpeg[at + 2]) << 8 | static_cast<uint8_t>(jpeg[at + 3]));
  }
  return markers;
}

// The chunk types of a WebP, in order.
std::vector<std::string> WebpChunks(const std::string& webp) {
  std::vector<std::string> types;
  for (size_t at = 12; at + 8 <= webp.size();) {
    types.push_back(webp.substr(at, 4));
    const uint32_t size = static_cast<uint8_t>(webp[at + 4]) |
                          static_cast<uint8_t>(webp[at + 5]) << 8 |
                          static_cast<uint8_t>(webp[at + 6]) << 16 |
                          static_cast<uint32_t>(static_cast<uint8_t>(webp[at + 7])) << 24;
    at += 8 + size + (size & 1);
  }
  return types;
}

class MetadataTest : public E2eTest {
 protected:
  // Photos whose metadata must not reach their thumbnails; returns their folder.
  std::string MakePhotos() {
    const std::string photos = work() / "photos";
    fs::create_directories(photos);
    WriteFile(photos + "/small.png", PngWithMetadata(120, 80));   // fits: reused as it is
    WriteFile(photos + "/large.png", PngWithMetadata(640, 480));  // decoded and encoded again
    fs::copy_file(CorpusPath("exif-orientation/Landscape_6.jpg"), photos + "/exif.jpg");
    fs::copy_file(CorpusPath("pillow/formats/exif_imagemagick_orientation.png"),
                  photos + "/exif.png");
    // The check below reads chunks right: the sources have them.
    for (const char* name : {"/small.png", "/large.png"}) {
      EXPECT_THAT(ChunkTypes(ReadFile(photos + name)),
                  ::testing::IsSupersetOf({"IHDR", "tEXt", "eXIf", "iTXt", "IDAT", "IEND"}));
    }
    return photos;
  }
};

TEST_F(MetadataTest, ThumbnailsCarryNoMetadataOfTheirSource) {
  CommandResult run = Thumbpipe({MakePhotos()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<ManifestLine> lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 4u) << run.err;
  for (const ManifestLine& line : lines) {
    const std::string png = ReadFile(thumbnails() + "/" + line.thumbnail);
    for (const std::string& type : ChunkTypes(png)) {
      EXPECT_THAT(type, ::testing::AnyOf("IHDR", "IDAT", "IEND", "sRGB"))
          << line.source << " gave a thumbnail with a " << type << " chunk";
    }
    EXPECT_EQ(png.find(kSecret), std::string::npos) << line.source;
    EXPECT_EQ(png.find("Exif"), std::string::npos) << line.source;
  }
}

// A JFIF header and the image: no EXIF (APP1), ICC profile (APP2), other APPn or comment.
TEST_F(MetadataTest, JpegThumbnailsHaveOnlyAJfifHeader) {
  CommandResult run = Thumbpipe({"--format", "jpeg", MakePhotos()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<ManifestLine> lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 4u) << run.err;
  for (const ManifestLine& line : lines) {
    const std::string jpeg = ReadFile(thumbnails() + "/" + line.thumbnail);
    const std::vector<int> markers = JpegMarkers(jpeg);
    ASSERT_GE(markers.size(), 2u) << line.source;
    EXPECT_EQ(markers.front(), 0xE0) << line.source;
    EXPECT_EQ(jpeg.substr(6, 5), std::string("JFIF\0", 5)) << line.source;
    EXPECT_EQ(markers.back(), 0xDA) << line.source;
    for (size_t i = 1; i < markers.size(); ++i) {
      EXPECT_FALSE(markers[i] >= 0xE0 && markers[i] <= 0xEF)
          << line.source << " gave a thumbnail with an APP" << markers[i] - 0xE0 << " segment";
      EXPECT_NE(markers[i], 0xFE) << line.source << " gave a thumbnail with a comment";
    }
    EXPECT_EQ(jpeg.find(kSecret), std::string::npos) << line.source;
    EXPECT_EQ(jpeg.find("Exif"), std::string::npos) << line.source;
  }
}

// The image's chunks only: no EXIF, XMP or ICCP.
TEST_F(MetadataTest, WebpThumbnailsHaveOnlyImageChunks) {
  CommandResult run = Thumbpipe({"--format", "webp", MakePhotos()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<ManifestLine> lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 4u) << run.err;
  for (const ManifestLine& line : lines) {
    const std::string webp = ReadFile(thumbnails() + "/" + line.thumbnail);
    ASSERT_EQ(webp.substr(0, 4), "RIFF") << line.source;
    ASSERT_EQ(webp.substr(8, 4), "WEBP") << line.source;
    for (const std::string& type : WebpChunks(webp)) {
      EXPECT_THAT(type, ::testing::AnyOf("VP8 ", "VP8L", "VP8X", "ALPH"))
          << line.source << " gave a thumbnail with a " << type << " chunk";
    }
    EXPECT_EQ(webp.find(kSecret), std::string::npos) << line.source;
    EXPECT_EQ(webp.find("Exif"), std::string::npos) << line.source;
  }
}

}  // namespace
}  // namespace thumbpipe::testing
