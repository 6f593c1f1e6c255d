// Failure reasons, end to end: the real thumbpipe over the corpus's hostile folders, its other
// images as they are, cut short and with bytes changed, and hostile files made here. Every
// reason in the statistics must be one plain sentence naming the format (no library's
// internals), and one file of each kind must give exactly the reason expected. The files are
// listed from the folders, so what the corpus gains is covered too.
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "common/image_format.h"
#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using Json = nlohmann::json;

// Reasons that come before or instead of decoding: the file could not be opened or read.
constexpr std::string_view kKnownPhrases[] = {"cannot open: ", "cannot read: ", "not opened: "};

// Text no plain sentence has: source code, function names, format strings, chunk types in
// brackets, hex, line breaks; and, in any case, "function", "assert" and "sorry".
constexpr std::string_view kInternals[] = {"::",   "()",    "<",     ">",      "_",   "[",
                                           "%",    "\n",    ".cpp",  ".c:",    ".h:", "png",
                                           "jpeg", "TIFFF", "TIFFR", "OpenCV("};
constexpr std::string_view kInternalWords[] = {"function", "assert", "sorry", "error:"};

bool StartsWithKnownPhrase(std::string_view text) {
  for (std::string_view phrase : kKnownPhrases) {
    if (text.starts_with(phrase)) return true;
  }
  return false;
}

// What is wrong with the shape of `reason`, or "" when it is a plain sentence: it starts with
// a format's name and a space, or a known phrase (after the format's name and ": ", or alone);
// holds no colon but a known phrase's, nothing of a library's internals, and ends in a word, a
// number or a closing parenthesis.
std::string ShapeProblem(const std::string& reason) {
  if (reason.empty()) return "empty";
  std::string_view rest = reason;
  bool after_colon = false;
  for (int i = 1; i <= 10; ++i) {
    const std::string name(FormatName(static_cast<Format>(i)));
    if (reason.starts_with(name + " ")) {
      rest.remove_prefix(name.size() + 1);
      break;
    }
    if (reason.starts_with(name + ": ")) {
      rest.remove_prefix(name.size() + 2);
      after_colon = true;
      break;
    }
  }
  const bool named = rest.size() != reason.size();
  const bool phrase = StartsWithKnownPhrase(rest);
  if (!named && !phrase) return "does not start with a format's name or a known phrase";
  if (after_colon && !phrase) return "a format's name and a colon, then no known phrase";
  if (!phrase && rest.find(':') != std::string_view::npos) return "a library's 'where: what'";
  std::string lower = reason;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view internal : kInternals) {
    if (reason.find(internal) != std::string::npos) return "holds '" + std::string(internal) + "'";
  }
  if (std::regex_search(reason, std::regex("\\b0x[0-9a-fA-F]"))) return "holds a hex number";
  for (std::string_view word : kInternalWords) {
    if (lower.find(word) != std::string::npos) return "holds '" + std::string(word) + "'";
  }
  const char last = reason.back();
  if (!std::isalnum(static_cast<unsigned char>(last)) && last != ')') return "ends in junk";
  if (reason.size() > 200) return "longer than 200 bytes";
  return {};
}

TEST(ReasonShape, CatchesLibraryTexts) {
  // Reasons thumbpipe gave before its decoders said what was wrong in words of their own.
  for (const std::string old :
       {"decode BMP: damaged or of an unsupported kind: can't read header: clrused >= 0 && "
        "clrused <= 256 in function 'readHeader'",
        "decode BMP: OpenCV: static_cast<size_t>(size.width) <= CV_IO_MAX_IMAGE_WIDTH",
        "decode PNG: [F4][A8][81][E1]: invalid chunk type", "decode JPEG: Bogus marker length",
        "TIFF: TIFFFillStrip: Read error at scanline 4294967295; got 0 bytes, expected 1012",
        "PNG: IHDR: CRC error", "JPEG: Unsupported JPEG process: SOF type 0xc3",
        "BMP data is damaged: m_rle_code_ >= 0 && m_rle_code_ <= BMP_BITFIELDS",
        "PNM header is damaged (ReadNumber() failed)", "GIF data is damaged (", "JPEG data:"}) {
    EXPECT_NE(ShapeProblem(old), "") << old;
  }
  for (const std::string plain :
       {"JPEG data ends early (the file is truncated)", "cannot open: Permission denied",
        "TIFF: cannot read: Input/output error",
        "HEIF/AVIF header is damaged (the 'ftyp' box is missing)",
        "PNG image is 100000x100000 (10000.0 megapixels), more than the limit of 200.0 "
        "(--max-pixels)"}) {
    EXPECT_EQ(ShapeProblem(plain), "") << plain;
  }
}

class ReasonsTest : public E2eTest {
 protected:
  // Copies every file of the corpus folder `from` whose name starts with `prefix` into `to`.
  static int CopyFolder(const std::string& from, const std::string& to,
                        const std::string& prefix = "") {
    std::filesystem::create_directories(to);
    int copied = 0;
    for (const std::string& name : ListFolder(CorpusPath(from))) {
      if (!name.starts_with(prefix)) continue;
      std::filesystem::copy_file(CorpusPath(from + "/" + name), to + "/" + name);
      ++copied;
    }
    return copied;
  }

  // Writes the corpus folder's files cut short (to a tenth, a half, all but 16 bytes) and with
  // a byte changed at a third, a half and two thirds into `to`: damage of every kind a decoder
  // meets, the same in every run.
  static int DamageFolder(const std::string& from, const std::string& to) {
    std::filesystem::create_directories(to);
    int written = 0;
    for (const std::string& name : ListFolder(CorpusPath(from))) {
      const std::string bytes = ReadFile(CorpusPath(from + "/" + name));
      if (bytes.size() < 64) continue;
      const size_t n = bytes.size();
      for (const size_t cut : {n / 10, n / 2, n - 16}) {
        WriteFile(to + "/" + name + ".cut" + std::to_string(cut), bytes.substr(0, cut));
        ++written;
      }
      for (const size_t at : {n / 3, n / 2, 2 * n / 3}) {
        std::string changed = bytes;
        changed[at] = static_cast<char>(changed[at] ^ 0x55);
        WriteFile(to + "/" + name + ".byte" + std::to_string(at), changed);
        ++written;
      }
    }
    return written;
  }
};

TEST_F(ReasonsTest, EveryReasonIsAPlainSentenceAndEachKindHasItsWords) {
  TempDir photos;
  long files = 0;
  files += CopyFolder("pillow/hostile", photos / "hostile");
  files += CopyFolder("pngsuite", photos / "pngsuite", "x");
  files += CopyFolder("libjpeg-turbo", photos / "libjpeg-turbo");
  files += CopyFolder("pillow/formats", photos / "formats");
  files += DamageFolder("libjpeg-turbo", photos / "damaged");
  files += DamageFolder("pillow/formats", photos / "damaged");
  // hostile_test.cc's own files.
  const std::string jpeg = ReadFile(CorpusPath("exif-orientation/Landscape_1.jpg"));
  const std::string png = ReadFile(CorpusPath("pillow/formats/hopper.png"));
  std::filesystem::create_directory(photos / "own");
  WriteFile(photos / "own/empty.jpg", "");
  WriteFile(photos / "own/text.jpg", "this is not a JPEG\n");
  WriteFile(photos / "own/half.jpg", jpeg.substr(0, jpeg.size() / 2));
  WriteFile(photos / "own/half.png", png.substr(0, png.size() / 2));
  WriteFile(photos / "own/claims-100000x100000.png", PngClaiming(100000, 100000, 4));
  WriteFile(photos / "own/claims-20000x20000.ppm",
            "P6\n20000 20000\n255\n" + std::string(300, '\0'));
  std::filesystem::create_symlink("loop.jpg", photos / "own/loop.jpg");
  std::filesystem::create_symlink("nowhere.jpg", photos / "own/dangling.jpg");
  files += 8;

  const CommandResult run = Thumbpipe({"--stats-json", "stats.json", photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails + summary.not_images + summary.failed, files) << run.err;
  const Json stats = Json::parse(ReadFile(work() / "stats.json"));
  std::map<std::string, std::string> reasons;  // by path below photos
  for (const Json& failure : stats["failures"]) {
    const std::string path = failure["path"], reason = failure["reason"];
    reasons[path.substr(photos.path().size() + 1)] = reason;
    EXPECT_EQ(ShapeProblem(reason), "") << path << ": " << reason;
  }
  ASSERT_EQ(reasons.size(), static_cast<size_t>(summary.failed));
  // More than a hundred of the damaged copies fail.
  EXPECT_GT(summary.failed, 100) << run.err;

  const std::map<std::string, std::string> expected = {
      {"own/half.jpg", "JPEG data ends early (the file is truncated)"},
      {"own/half.png", "PNG data ends early (the file is truncated)"},
      {"own/claims-100000x100000.png",
       "PNG image is 100000x100000 (10000.0 megapixels), more than the limit of 200.0 "
       "(--max-pixels)"},
      {"own/claims-20000x20000.ppm",
       "PNM image has more pixels than the limit of 200.0 megapixels (--max-pixels)"},
      {"own/loop.jpg", "cannot open: Too many levels of symbolic links"},
      {"libjpeg-turbo/monkey12.jpg",
       "JPEG file uses 12-bit samples, which thumbpipe does not support"},
      {"pngsuite/xcsn0g01.png", "PNG data is damaged (an image data chunk's checksum is wrong)"},
      {"pngsuite/xhdn0g08.png", "PNG header is damaged (the header chunk's checksum is wrong)"},
      {"pngsuite/xc1n0g08.png", "PNG header is damaged (its colour type is invalid)"},
      {"pngsuite/xd9n2c08.png", "PNG header is damaged (its bit depth is invalid)"},
      {"pngsuite/xdtn0g01.png", "PNG data is damaged (the image data is missing)"},
      {"hostile/broken.png", "PNG data is damaged (a chunk's type is invalid)"},
      {"hostile/broken_data_stream.png", "PNG data is damaged (a row has an unknown filter type)"},
      {"hostile/bmp-badpalettesize.bmp",
       "BMP header is damaged (the number of palette colours is out of range)"},
      {"hostile/bmp-shortfile.bmp", "BMP data ends early (the file is truncated)"},
      {"hostile/bmp-reallybig.bmp",
       "BMP file uses a width or height above 1048576 pixels, which thumbpipe does not support"},
      {"hostile/bmp-badbitcount.bmp",
       "BMP file is damaged or of a kind thumbpipe does not support"},
      // Its directory claims eleven entries; the file ends after six (the OOM case of a fuzzer).
      {"hostile/oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif",
       "TIFF data ends early (the file is truncated)"},
      {"hostile/decompression_bomb.gif",
       "GIF image is 65535x66601 (4364.7 megapixels), more than the limit of 200.0 "
       "(--max-pixels)"},
  };
  for (const auto& [path, reason] : expected) {
    const auto found = reasons.find(path);
    if (found == reasons.end()) {
      ADD_FAILURE() << path << " did not fail";
      continue;
    }
    EXPECT_EQ(found->second, reason) << path;
  }
  // A cut copy of each format: the same words, whichever library read it.
  for (const auto& [name, format] :
       std::vector<std::pair<std::string, std::string>>{{"hopper.jpg", "JPEG"},
                                                        {"hopper.png", "PNG"},
                                                        {"hopper.webp", "WebP"},
                                                        {"hopper.tif", "TIFF"},
                                                        {"hopper.gif", "GIF"},
                                                        {"hopper.bmp", "BMP"},
                                                        {"hopper.ppm", "PNM"}}) {
    const size_t size = ReadFile(CorpusPath("pillow/formats/" + name)).size();
    const std::string path = "damaged/" + name + ".cut" + std::to_string(size / 2);
    EXPECT_EQ(reasons[path], format + " data ends early (the file is truncated)") << path;
  }
}

}  // namespace
}  // namespace thumbpipe::testing
