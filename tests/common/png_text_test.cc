#include "common/png_text.h"

#include <png.h>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

// A 2x1 RGB PNG written by libpng.
std::vector<uint8_t> SmallPng() {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t size) {
        auto* o = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        o->insert(o->end(), data, data + size);
      },
      nullptr);
  png_set_IHDR(png, info, 2, 1, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  uint8_t row[6] = {1, 2, 3, 4, 5, 6};
  png_write_row(png, row);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// What libpng itself reads of the text chunks (so other readers, such as gdk-pixbuf, agree).
std::vector<PngText> TextByLibpng(const std::vector<uint8_t>& file) {
  struct Reader {
    const std::vector<uint8_t>* file;
    size_t at = 0;
  } reader{&file};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  std::vector<PngText> texts;
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_read_struct(&png, &info, nullptr);
    ADD_FAILURE() << "libpng could not read the PNG";
    return texts;
  }
  png_set_read_fn(png, &reader, [](png_structp p, png_bytep data, size_t size) {
    auto* r = static_cast<Reader*>(png_get_io_ptr(p));
    if (r->at + size > r->file->size()) png_error(p, "short");
    std::copy_n(r->file->data() + r->at, size, data);
    r->at += size;
  });
  png_read_info(png, info);
  png_textp text = nullptr;
  int count = 0;
  png_get_text(png, info, &text, &count);
  for (int i = 0; i < count; ++i) texts.push_back({text[i].key, text[i].text});
  uint8_t row[6];
  png_read_row(png, row, nullptr);
  EXPECT_EQ(row[5], 6);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return texts;
}

TEST(PngTextTest, WrittenChunksAreReadBackByUsAndByLibpng) {
  std::vector<uint8_t> png = SmallPng();
  const std::vector<PngText> texts = {{"Thumb::URI", "file:///p/a&b%20(1).png"},
                                      {"Thumb::MTime", "1700000000"},
                                      {"Software", "thumbpipe"},
                                      {"Empty", ""}};
  ASSERT_TRUE(AddPngText(texts, &png).ok());
  std::vector<PngText> read;
  ASSERT_TRUE(ReadPngText(png, &read).ok());
  EXPECT_EQ(read, texts);
  EXPECT_EQ(TextByLibpng(png), texts);
  ASSERT_NE(FindPngText(read, "Thumb::MTime"), nullptr);
  EXPECT_EQ(*FindPngText(read, "Thumb::MTime"), "1700000000");
  EXPECT_EQ(FindPngText(read, "Thumb::Size"), nullptr);
}

TEST(PngTextTest, OnePixelPngIsAPngLibpngReads) {
  std::vector<uint8_t> png = OnePixelPng();
  const std::vector<PngText> texts = {{"Thumb::URI", "file:///x"}};
  ASSERT_TRUE(AddPngText(texts, &png).ok());
  struct Reader {
    const std::vector<uint8_t>* file;
    size_t at = 0;
  } reader{&png};
  png_structp read = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(read);
  if (setjmp(png_jmpbuf(read)) != 0) {
    png_destroy_read_struct(&read, &info, nullptr);
    FAIL() << "libpng could not read the PNG";
  }
  png_set_read_fn(read, &reader, [](png_structp p, png_bytep data, size_t size) {
    auto* r = static_cast<Reader*>(png_get_io_ptr(p));
    if (r->at + size > r->file->size()) png_error(p, "short");
    std::copy_n(r->file->data() + r->at, size, data);
    r->at += size;
  });
  png_read_info(read, info);
  EXPECT_EQ(png_get_image_width(read, info), 1u);
  EXPECT_EQ(png_get_image_height(read, info), 1u);
  EXPECT_EQ(png_get_color_type(read, info), PNG_COLOR_TYPE_RGB_ALPHA);
  uint8_t row[4] = {9, 9, 9, 9};
  png_read_row(read, row, nullptr);
  png_read_end(read, nullptr);
  png_destroy_read_struct(&read, &info, nullptr);
  EXPECT_EQ(row[3], 0) << "transparent";
  EXPECT_EQ(reader.at, png.size()) << "read to its end";
}

TEST(PngTextTest, ReadingNeedsOnlyTheBytesBeforeTheImageData) {
  std::vector<uint8_t> png = SmallPng();
  ASSERT_TRUE(AddPngText(std::vector<PngText>{{"Thumb::URI", "file:///x"}}, &png).ok());
  const size_t idat = std::string(png.begin(), png.end()).find("IDAT") - 4;
  std::vector<PngText> read;
  ASSERT_TRUE(ReadPngText(std::span(png).first(idat + 8), &read).ok());
  EXPECT_EQ(read.size(), 1u);
  EXPECT_FALSE(ReadPngText(std::span(png).first(idat - 1), &read).ok());
}

TEST(PngTextTest, DamageAndBadInputAreRefused) {
  std::vector<uint8_t> png = SmallPng();
  ASSERT_TRUE(AddPngText(std::vector<PngText>{{"Thumb::URI", "file:///x"}}, &png).ok());
  std::vector<PngText> read;
  std::vector<uint8_t> damaged = png;
  damaged[std::string(png.begin(), png.end()).find("file:///x")] ^= 1;
  EXPECT_EQ(ReadPngText(damaged, &read).message(),
            "the PNG is damaged (a chunk's checksum is wrong)");
  const std::string text = "not a png";
  EXPECT_EQ(
      ReadPngText({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, &read).message(),
      "not a PNG file");

  const std::vector<uint8_t> before = png;
  EXPECT_FALSE(AddPngText(std::vector<PngText>{{"", "x"}}, &png).ok());
  EXPECT_FALSE(AddPngText(std::vector<PngText>{{std::string(80, 'k'), "x"}}, &png).ok());
  EXPECT_FALSE(AddPngText(std::vector<PngText>{{" lead", "x"}}, &png).ok());
  EXPECT_FALSE(AddPngText(std::vector<PngText>{{"k", std::string("a\0b", 3)}}, &png).ok());
  EXPECT_FALSE(AddPngText(std::vector<PngText>{{"a\nb", "x"}}, &png).ok());
  EXPECT_EQ(png, before);
  std::vector<uint8_t> not_png = {1, 2, 3};
  EXPECT_EQ(AddPngText(std::vector<PngText>{{"k", "v"}}, &not_png).message(),
            "not a PNG that starts with its header");
}

}  // namespace
}  // namespace thumbpipe
