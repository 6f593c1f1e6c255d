#include "worker/decoders/png/small_png.h"

#include <png.h>
#include <zlib.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fakes/image_sink.h"
#include "tests/support/images.h"
#include "tests/support/support.h"
#include "worker/decoders/decoder.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

void Append(png_structp png, png_bytep data, size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

// A PNG made by libpng with the given row filters, optionally with a text chunk.
std::string EncodeTestPng(const Image& image, int filters, bool with_text = true,
                          int interlace = PNG_INTERLACE_NONE) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, Append, nullptr);
  png_set_filter(png, 0, filters);
  const int types[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                       PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, image.width, image.height, 8, types[image.channels], interlace, 0, 0);
  if (with_text) {
    png_text text{};
    text.compression = PNG_TEXT_COMPRESSION_NONE;
    text.key = const_cast<char*>("Comment");
    text.text = const_cast<char*>("made for a test");
    png_set_text(png, info, &text, 1);
  }
  png_write_info(png, info);
  const int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; ++pass) {
    for (uint32_t y = 0; y < image.height; ++y)
      png_write_row(png, const_cast<uint8_t*>(image.row(y)));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A gradient with some noise; with `noise` 256, every sample is random, which sends the
// Paeth predictor down each of its three choices and every tie.
Image Photo(uint32_t w, uint32_t h, uint32_t channels, uint32_t seed, uint32_t noise = 9) {
  std::mt19937 random(seed);
  Image image;
  image.Allocate(w, h, channels);
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w * channels; ++x)
      image.row(y)[x] = static_cast<uint8_t>(x + 2 * y + random() % noise);
  }
  return image;
}

Image DecodeWithLibpng(const std::string& file) {
  MemoryInput input({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  testing::ImageSink sink;
  EXPECT_TRUE(DecoderFor(Format::kPng)->Decode(input, request, &sink).ok());
  return sink.image();
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void AppendBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void AppendChunk(std::string* out, const char* type, const std::string& data) {
  out->append(testing::PngChunk(type, data));
}

// `png` with a chunk of `type` and `data` right after IHDR.
std::string WithChunk(const std::string& png, const char* type, const std::string& data) {
  std::string chunk;
  AppendChunk(&chunk, type, data);
  return png.substr(0, 8 + 25) + chunk + png.substr(8 + 25);
}

// The chunk types of a PNG, in order.
std::vector<std::string> ChunkTypes(const std::string& png) {
  std::vector<std::string> types;
  for (size_t at = 8; at + 12 <= png.size(); at += 12 + size_t{testing::Be32(png, at)}) {
    types.push_back(png.substr(at + 4, 4));
  }
  return types;
}

TEST(DecodeSmallPng, SamePixelsAsLibpngForEveryFilterAndLayout) {
  for (uint32_t channels = 1; channels <= 4; ++channels) {
    for (int filters : {PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG,
                        PNG_FILTER_PAETH, PNG_ALL_FILTERS}) {
      for (uint32_t noise : {9, 256}) {
        const Image source = Photo(61, 47, channels, channels * 7 + filters, noise);
        const std::string file = EncodeTestPng(source, filters);
        Image image;
        std::vector<uint8_t> png;
        ASSERT_TRUE(DecodeSmallPng(Bytes(file), {200, 200}, 0, &image, &png))
            << channels << " " << filters;
        EXPECT_EQ(image.pixels, source.pixels) << channels << " " << filters;
        EXPECT_EQ(image.pixels, DecodeWithLibpng(file).pixels);
        // The reused PNG holds the same pixels, and nothing but the chunks it needs.
        const std::string reused(png.begin(), png.end());
        EXPECT_EQ(DecodeWithLibpng(reused).pixels, source.pixels);
        EXPECT_EQ(reused.find("tEXt"), std::string::npos);
        EXPECT_LT(reused.size(), file.size());
      }
    }
  }
}

TEST(DecodeSmallPng, LeavesEverythingElseToTheNormalPath) {
  Image image;
  std::vector<uint8_t> png;
  const Image source = Photo(64, 64, 3, 1);
  const std::string plain = EncodeTestPng(source, PNG_ALL_FILTERS);
  ASSERT_TRUE(DecodeSmallPng(Bytes(plain), {200, 200}, 0, &image, &png));
  EXPECT_FALSE(DecodeSmallPng(Bytes(plain), {63, 200}, 0, &image, &png));  // must shrink
  EXPECT_FALSE(
      DecodeSmallPng(Bytes(plain), {200, 200}, 4095, &image, &png));  // over the pixel limit
  EXPECT_FALSE(
      DecodeSmallPng(Bytes(EncodeTestPng(source, PNG_ALL_FILTERS, true, PNG_INTERLACE_ADAM7)),
                     {200, 200}, 0, &image, &png));
  std::string damaged = plain;
  damaged[damaged.size() / 2] ^= 0x40;  // inside the image data: its CRC no longer matches
  EXPECT_FALSE(DecodeSmallPng(Bytes(damaged), {200, 200}, 0, &image, &png));
  EXPECT_FALSE(
      DecodeSmallPng(Bytes(plain.substr(0, plain.size() - 20)), {200, 200}, 0, &image, &png));
  for (const char* name : {"pngsuite/basn3p08.png",     // palette
                           "pngsuite/basn0g16.png",     // 16-bit
                           "pngsuite/tbrn2c08.png",     // tRNS
                           "pngsuite/basn0g04.png",     // 4-bit
                           "pngsuite/basi2c08.png"}) {  // interlaced
    const std::string file = testing::ReadFile(testing::CorpusPath(name));
    EXPECT_FALSE(DecodeSmallPng(Bytes(file), {200, 200}, 0, &image, &png)) << name;
  }
  // The basn files say gAMA 1.0: their pixels are to be converted, so the normal path takes
  // them as they are, and this one only without that chunk.
  for (const char* name :
       {"pngsuite/basn2c08.png", "pngsuite/basn6a08.png", "pngsuite/basn0g08.png",
        "pngsuite/basn4a08.png", "pngsuite/f04n2c08.png"}) {
    const std::string file = testing::ReadFile(testing::CorpusPath(name));
    const std::string without_gamma = testing::PngWithoutChunk(file, "gAMA");
    if (without_gamma != file) {
      EXPECT_FALSE(DecodeSmallPng(Bytes(file), {200, 200}, 0, &image, &png)) << name;
    }
    ASSERT_TRUE(DecodeSmallPng(Bytes(without_gamma), {200, 200}, 0, &image, &png)) << name;
    EXPECT_EQ(image.pixels, DecodeWithLibpng(without_gamma).pixels) << name;
  }
}

using testing::Zlib;

// A 16x8 grey PNG with the given image data and intact chunk CRCs, so only the zlib stream
// itself can be wrong.
std::string GreyPngWithData(const std::string& idat) {
  std::string ihdr;
  AppendBe32(&ihdr, 16);
  AppendBe32(&ihdr, 8);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);
  std::string file("\x89PNG\r\n\x1A\n", 8);
  AppendChunk(&file, "IHDR", ihdr);
  AppendChunk(&file, "IDAT", idat);
  AppendChunk(&file, "IEND", "");
  return file;
}

TEST(DecodeSmallPng, TakesOnlyOneExactZlibStream) {
  std::string rows;
  for (int y = 0; y < 8; ++y) rows += '\0' + std::string(16, static_cast<char>(y * 30));
  Image image;
  std::vector<uint8_t> png;
  const std::string good = Zlib(rows);
  ASSERT_TRUE(DecodeSmallPng(Bytes(GreyPngWithData(good)), {200, 200}, 0, &image, &png));
  EXPECT_EQ(image.row(7)[15], 7 * 30);
  const std::string short_rows = Zlib(rows.substr(0, rows.size() - 17));
  const std::string long_rows = Zlib(rows + '\0' + std::string(16, 'x'));
  std::string bad_checksum = good;
  bad_checksum.back() ^= 1;
  // A 64 KiB window, which zlib refuses (RFC 1950 allows up to 32 KiB); the header check
  // bits are made right again, so only the window size is wrong.
  std::string big_window = good;
  big_window[0] = static_cast<char>(0x88);
  big_window[1] = static_cast<char>(31 - (0x88 * 256 % 31));
  for (const std::string& data : {good + "extra", short_rows, long_rows, bad_checksum, big_window,
                                  good.substr(0, good.size() - 4), good.substr(2)}) {
    EXPECT_FALSE(DecodeSmallPng(Bytes(GreyPngWithData(data)), {200, 200}, 0, &image, &png));
  }
}

TEST(DecodeSmallPng, ThumbnailsAreNamedAsOnTheNormalPath) {
  const Image source = Photo(100, 80, 4, 3);
  const std::string file = EncodeTestPng(source, PNG_FILTER_PAETH);
  Thumbnail fast;
  MakeThumbnail(Bytes(file), ThumbnailRequest(), &fast);
  ASSERT_EQ(fast.outcome, Thumbnail::Outcome::kThumbnail);
  EXPECT_FALSE(fast.png.empty());
  // A box smaller than the image takes the normal path; at the image's own size it must agree.
  ThumbnailRequest same_size;
  same_size.box = {100, 80};
  Thumbnail normal;
  const std::string interlaced =
      EncodeTestPng(source, PNG_FILTER_PAETH, false, PNG_INTERLACE_ADAM7);
  MakeThumbnail(Bytes(interlaced), same_size, &normal);
  ASSERT_EQ(normal.outcome, Thumbnail::Outcome::kThumbnail);
  EXPECT_TRUE(normal.png.empty());
  EXPECT_EQ(fast.name, normal.name);
}

TEST(DecodeSmallPng, ReusesOnlySrgbImagesAndSaysTheyAreSrgb) {
  const std::string plain = EncodeTestPng(Photo(60, 40, 3, 5), PNG_FILTER_SUB, false);
  Image image;
  std::vector<uint8_t> png;
  ASSERT_TRUE(DecodeSmallPng(Bytes(plain), {200, 200}, 0, &image, &png));
  const std::string reused(png.begin(), png.end());
  EXPECT_EQ(ChunkTypes(reused), (std::vector<std::string>{"IHDR", "sRGB", "IDAT", "IEND"}));
  // The reused file is a valid PNG: libpng reads it (checking every CRC) to the same pixels.
  EXPECT_EQ(DecodeWithLibpng(reused).pixels, image.pixels);

  const std::string gamma_1 = std::string("\x00\x01\x86\xA0", 4);  // gAMA 1.0
  const std::string profile = "not read here";
  EXPECT_FALSE(
      DecodeSmallPng(Bytes(WithChunk(plain, "gAMA", gamma_1)), {200, 200}, 0, &image, &png));
  EXPECT_FALSE(DecodeSmallPng(Bytes(WithChunk(plain, "iCCP", "x" + std::string(2, '\0') + profile)),
                              {200, 200}, 0, &image, &png));
  EXPECT_FALSE(DecodeSmallPng(Bytes(WithChunk(plain, "cHRM", std::string(32, '\1'))), {200, 200}, 0,
                              &image, &png));
  // libpng keeps whichever of iCCP and sRGB comes first: such a file is left to it.
  EXPECT_FALSE(DecodeSmallPng(Bytes(WithChunk(WithChunk(plain, "sRGB", std::string(1, '\0')),
                                              "iCCP", "x" + std::string(2, '\0') + profile)),
                              {200, 200}, 0, &image, &png));
  // sRGB says how to read the rest: a gAMA beside it changes nothing.
  EXPECT_TRUE(DecodeSmallPng(
      Bytes(WithChunk(WithChunk(plain, "gAMA", gamma_1), "sRGB", std::string(1, '\0'))), {200, 200},
      0, &image, &png));
}

}  // namespace
}  // namespace thumbpipe
