// The TIFF decoder on TIFFs written here by libtiff's own writer, some then altered by hand in
// one directory entry: the failure reason for each way a file can be cut short, damaged, of a
// kind thumbpipe does not decode, or too large.
#include "worker/decoders/tiff_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <tiffio.h>

#include "tests/fakes/image_sink.h"
#include "tests/support/support.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

struct TiffSpec {
  uint32_t width = 40, height = 30;
  uint16_t compression = COMPRESSION_NONE;
};

// A grey TIFF of `spec`, one strip, written by libtiff (in the host's byte order).
std::string WriteTiff(const TiffSpec& spec) {
  testing::TempDir dir;
  const std::string path = dir / "grey.tif";
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  EXPECT_NE(tif, nullptr);
  if (tif == nullptr) return {};
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, spec.width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, spec.height);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, spec.compression);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, spec.height);
  std::vector<uint8_t> row(spec.width);
  for (uint32_t y = 0; y < spec.height; ++y) {
    for (uint32_t x = 0; x < spec.width; ++x) row[x] = static_cast<uint8_t>(x * 5 + y * 3);
    EXPECT_EQ(TIFFWriteScanline(tif, row.data(), y, 0), 1);
  }
  TIFFClose(tif);
  return testing::ReadFile(path);
}

uint32_t ReadU32(const std::string& file, size_t at) {
  uint32_t value = 0;
  std::memcpy(&value, file.data() + at, 4);
  return value;
}

// Where the first directory's entry for `tag` is in a file in the host's byte order.
size_t EntryOf(const std::string& file, uint16_t tag) {
  const size_t directory = ReadU32(file, 4);
  uint16_t count = 0;
  std::memcpy(&count, file.data() + directory, 2);
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = directory + 2 + 12 * i;
    uint16_t entry_tag = 0;
    std::memcpy(&entry_tag, file.data() + entry, 2);
    if (entry_tag == tag) return entry;
  }
  ADD_FAILURE() << "no tag " << tag;
  return 0;
}

// Sets the first directory's one-valued entry for `tag` to `value`, as SHORT or LONG.
void SetTag(std::string* file, uint16_t tag, uint32_t value) {
  const size_t entry = EntryOf(*file, tag);
  uint16_t type = 0;
  std::memcpy(&type, file->data() + entry + 2, 2);
  if (type == TIFF_SHORT) {
    const uint16_t short_value = static_cast<uint16_t>(value);
    std::memcpy(file->data() + entry + 8, &short_value, 2);
  } else {
    std::memcpy(file->data() + entry + 8, &value, 4);
  }
}

// Sets the type of the first directory's entry for `tag`.
void SetType(std::string* file, uint16_t tag, uint16_t type) {
  std::memcpy(file->data() + EntryOf(*file, tag) + 2, &type, 2);
}

struct Decoded {
  Status status;
  Image image;
};

Decoded Decode(const std::string& file, uint64_t max_pixels = 0) {
  MemoryInput input({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  request.max_pixels = max_pixels;
  testing::ImageSink sink;
  Decoded decoded;
  decoded.status = TiffDecoder().Decode(input, request, &sink);
  decoded.image = std::move(sink.image());
  return decoded;
}

TEST(TiffDecoderTest, WrittenFileDecodes) {
  const Decoded decoded = Decode(WriteTiff({}));
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_EQ(decoded.image.size(), (Size{40, 30}));
  EXPECT_EQ(decoded.image.channels, 1u);
  EXPECT_EQ(decoded.image.row(2)[3], 3 * 5 + 2 * 3);
}

TEST(TiffDecoderTest, FileCutShortIsTruncated) {
  const std::string file = WriteTiff({});
  const size_t directory = ReadU32(file, 4);
  // In the header, in the pixels (libtiff writes them before the directory), in the directory.
  for (size_t size : {size_t{6}, file.size() / 3, directory + 20}) {
    EXPECT_EQ(Decode(file.substr(0, size)).status.message(),
              "TIFF data ends early (the file is truncated)")
        << size;
  }
}

TEST(TiffDecoderTest, CompressionLibtiffDoesNotHaveIsNamed) {
  std::string file = WriteTiff({});
  SetTag(&file, TIFFTAG_COMPRESSION, 12345);
  EXPECT_EQ(Decode(file).status.message(),
            "TIFF file uses compression scheme 12345, which thumbpipe does not support");
}

TEST(TiffDecoderTest, LayoutLibtiffCannotTurnIntoRgbIsNamed) {
  std::string file = WriteTiff({});
  SetTag(&file, TIFFTAG_BITSPERSAMPLE, 64);
  EXPECT_EQ(Decode(file).status.message(),
            "TIFF file uses 64-bit samples, which thumbpipe does not support");
  file = WriteTiff({});
  SetTag(&file, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_CFA);
  EXPECT_EQ(Decode(file).status.message(),
            "TIFF file uses PhotometricInterpretation 32803, which thumbpipe does not support");
}

TEST(TiffDecoderTest, DamagedDirectoryNamesTheTag) {
  std::string file = WriteTiff({});
  SetType(&file, TIFFTAG_BITSPERSAMPLE, TIFF_ASCII);
  EXPECT_EQ(Decode(file).status.message(),
            "TIFF header is damaged (the BitsPerSample tag is invalid)");
}

TEST(TiffDecoderTest, DamagedCompressedPixels) {
  TiffSpec deflated;
  deflated.compression = COMPRESSION_ADOBE_DEFLATE;
  std::string file = WriteTiff(deflated);
  const size_t strip = ReadU32(file, EntryOf(file, TIFFTAG_STRIPOFFSETS) + 8);
  const size_t bytes = ReadU32(file, EntryOf(file, TIFFTAG_STRIPBYTECOUNTS) + 8);
  ASSERT_LT(strip + bytes, file.size());
  std::memset(file.data() + strip, 0xff, bytes);
  EXPECT_EQ(Decode(file).status.message(),
            "TIFF data is damaged (its compressed pixels do not decompress)");
}

TEST(TiffDecoderTest, PixelLimitThroughTheThumbnailer) {
  std::string file = WriteTiff({});
  SetTag(&file, TIFFTAG_IMAGEWIDTH, 60000);
  SetTag(&file, TIFFTAG_IMAGELENGTH, 60000);
  ThumbnailRequest request;
  request.max_pixels = 1'000'000;
  Thumbnail t;
  MakeThumbnail({reinterpret_cast<const uint8_t*>(file.data()), file.size()}, request, &t);
  EXPECT_EQ(t.outcome, Outcome::kFailed);
  EXPECT_EQ(t.reason,
            "TIFF image is 60000x60000 (3600.0 megapixels), more than the limit of 1.0 "
            "(--max-pixels)");
}

}  // namespace
}  // namespace thumbpipe
