#include "common/escape.h"

#include <random>

#include <gtest/gtest.h>

namespace thumbpipe {
namespace {

TEST(EscapePath, PlainPathsAreUnchanged) {
  EXPECT_EQ(EscapePath("/home/a/Pictures/IMG 0001.jpg"), "/home/a/Pictures/IMG 0001.jpg");
  EXPECT_EQ(EscapePath("/photos/été/café.png"), "/photos/été/café.png");
  EXPECT_EQ(EscapePath("/emoji/\xF0\x9F\x93\xB7.jpg"), "/emoji/\xF0\x9F\x93\xB7.jpg");
}

TEST(EscapePath, LineBreakingBytesAreEscaped) {
  EXPECT_EQ(EscapePath("a\nb"), "a\\nb");
  EXPECT_EQ(EscapePath("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapePath("a\rb\tc"), "a\\x0db\\x09c");
  EXPECT_EQ(EscapePath(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapePath("a\x7f"), "a\\x7f");
}

TEST(EscapePath, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(EscapePath("latin1 caf\xE9.jpg"), "latin1 caf\\xe9.jpg");
  EXPECT_EQ(EscapePath("\xFF\xFE"), "\\xff\\xfe");
  EXPECT_EQ(EscapePath("\xC0\xAF"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(EscapePath("\xED\xA0\x80"), "\\xed\\xa0\\x80");           // UTF-16 surrogate
  EXPECT_EQ(EscapePath("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(EscapePath("\xE2\x82"), "\\xe2\\x82");                    // cut short
}

TEST(EscapePath, RoundTripsEveryByteString) {
  std::mt19937 random(42);
  for (int i = 0; i < 2000; ++i) {
    std::string raw(random() % 40, '\0');
    for (char& c : raw) c = static_cast<char>(random() % 256);
    const std::string escaped = EscapePath(raw);
    EXPECT_EQ(escaped.find('\n'), std::string::npos);
    for (char c : escaped) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
    std::string back;
    ASSERT_TRUE(UnescapePath(escaped, &back)) << escaped;
    EXPECT_EQ(back, raw);
  }
}

TEST(UnescapePath, RejectsMalformedEscapes) {
  std::string raw;
  EXPECT_FALSE(UnescapePath("a\\", &raw));
  EXPECT_FALSE(UnescapePath("a\\q", &raw));
  EXPECT_FALSE(UnescapePath("a\\x4", &raw));
  EXPECT_FALSE(UnescapePath("a\\xg0", &raw));
  EXPECT_TRUE(UnescapePath("a\\x41\\n\\\\", &raw));
  EXPECT_EQ(raw, "aA\n\\");
}

}  // namespace
}  // namespace thumbpipe
