// The PNG decoder's fast path against libpng alone: the same rows, colours and outcome (and
// reason) for every layout, filter, chunking and kind of damage.
#include "worker/decoders/png/png_decoder.h"

#include <fcntl.h>
#include <png.h>
#include <sys/stat.h>
#include <zlib.h>

#include <ctime>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/images.h"
#include "tests/support/support.h"
#include "tests/worker/decoders/decode_helpers.h"

namespace thumbpipe {
namespace {

struct Outcome {
  Status status;
  Image image;
  std::vector<ColourSource> colours;
  PngRoute route = PngRoute::kLibpng;
};

Outcome Decode(const std::string& file, bool allow_fast) {
  MemoryInput input({reinterpret_cast<const uint8_t*>(file.data()), file.size()});
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  testing::RecordingSink sink;
  Outcome outcome;
  outcome.status = DecodePng(input, request, &sink, allow_fast, &outcome.route);
  outcome.image = std::move(sink.image());
  outcome.colours = sink.colours();
  return outcome;
}

// Decodes `file` both ways: the fast path's outcome, after checking it is libpng's.
Outcome ExpectSameAsLibpng(const std::string& file, const std::string& what) {
  const Outcome libpng = Decode(file, false);
  Outcome fast = Decode(file, true);
  EXPECT_EQ(fast.status.ok(), libpng.status.ok()) << what << ": " << fast.status.message();
  EXPECT_EQ(fast.status.message(), libpng.status.message()) << what;
  if (fast.status.ok() && libpng.status.ok()) {
    EXPECT_EQ(fast.image.width, libpng.image.width) << what;
    EXPECT_EQ(fast.image.height, libpng.image.height) << what;
    EXPECT_EQ(fast.image.channels, libpng.image.channels) << what;
    if (fast.image.pixels != libpng.image.pixels) {
      size_t at = 0;
      while (at < std::min(fast.image.pixels.size(), libpng.image.pixels.size()) &&
             fast.image.pixels[at] == libpng.image.pixels[at]) {
        ++at;
      }
      ADD_FAILURE() << what << ": pixels differ from byte " << at << " of "
                    << libpng.image.pixels.size() << " (route " << static_cast<int>(fast.route)
                    << ")";
    }
  }
  EXPECT_EQ(fast.colours.size(), libpng.colours.size()) << what;
  for (size_t i = 0; i < std::min(fast.colours.size(), libpng.colours.size()); ++i) {
    EXPECT_EQ(fast.colours[i].icc, libpng.colours[i].icc) << what;
    EXPECT_EQ(fast.colours[i].file_gamma, libpng.colours[i].file_gamma) << what;
    EXPECT_EQ(fast.colours[i].primaries.has_value(), libpng.colours[i].primaries.has_value())
        << what;
  }
  return fast;
}

void Append(png_structp png, png_bytep data, size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

struct Layout {
  uint32_t width = 0, height = 0;
  int depth = 8;
  int colour_type = PNG_COLOR_TYPE_RGB;
  int filters = PNG_ALL_FILTERS;
  int interlace = PNG_INTERLACE_NONE;
  int palette_size = 0;  // entries of PLTE (palette images)
  int trns_size = -1;    // palette: entries of tRNS (-1: none)
  bool key = false;      // grey, RGB: a tRNS colour key
  uint16_t key_value[3] = {};
};

int Samples(int colour_type) {
  switch (colour_type) {
    case PNG_COLOR_TYPE_GRAY:
    case PNG_COLOR_TYPE_PALETTE:
      return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      return 2;
    case PNG_COLOR_TYPE_RGB:
      return 3;
    default:
      return 4;
  }
}

// A PNG of `layout` whose stored rows are `rows` (packed as PNG stores them), written by libpng
// with the given filters.
std::string Encode(const Layout& layout, const std::vector<std::vector<uint8_t>>& rows) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr,
                                            [](png_structp, png_const_charp) {});
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png)) != 0) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng could not write the test image";
    return {};
  }
  png_set_write_fn(png, &out, Append, nullptr);
  png_set_check_for_invalid_index(png, 0);  // indices past the palette are part of the test
  png_set_filter(png, 0, layout.filters);
  png_set_IHDR(png, info, layout.width, layout.height, layout.depth, layout.colour_type,
               layout.interlace, 0, 0);
  std::vector<png_color> palette(static_cast<size_t>(layout.palette_size));
  for (int i = 0; i < layout.palette_size; ++i) {
    palette[i] = {static_cast<png_byte>(i * 37), static_cast<png_byte>(255 - i),
                  static_cast<png_byte>(i * 11 + 5)};
  }
  if (layout.colour_type == PNG_COLOR_TYPE_PALETTE)
    png_set_PLTE(png, info, palette.data(), layout.palette_size);
  std::vector<png_byte> alpha;
  for (int i = 0; i < layout.trns_size; ++i) alpha.push_back(static_cast<png_byte>(i * 53 + 7));
  png_color_16 key{};
  key.gray = layout.key_value[0];
  key.red = layout.key_value[0];
  key.green = layout.key_value[1];
  key.blue = layout.key_value[2];
  if (layout.trns_size >= 0) {
    png_set_tRNS(png, info, alpha.data(), layout.trns_size, nullptr);
  } else if (layout.key) {
    png_set_tRNS(png, info, nullptr, 0, &key);
  }
  png_write_info(png, info);
  const int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; ++pass) {
    for (const auto& row : rows) png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// Stored rows of random samples; `smooth`: a gradient with a little noise instead.
std::vector<std::vector<uint8_t>> Rows(const Layout& layout, uint32_t seed, bool smooth) {
  std::mt19937 random(seed);
  const size_t stride = (size_t{layout.width} * Samples(layout.colour_type) * layout.depth + 7) / 8;
  std::vector<std::vector<uint8_t>> rows(layout.height, std::vector<uint8_t>(stride));
  for (uint32_t y = 0; y < layout.height; ++y) {
    for (size_t x = 0; x < stride; ++x)
      rows[y][x] = static_cast<uint8_t>(smooth ? x + 3 * y + random() % 5 : random());
  }
  return rows;
}

using testing::PngChunk;
using testing::Zlib;

// `png` with its image data cut into IDAT chunks of `piece` bytes (0: one chunk).
std::string Rechunk(const std::string& png, size_t piece) {
  std::string head, data, tail;
  for (size_t at = 8; at + 12 <= png.size();) {
    const uint32_t length = testing::Be32(png, at);
    const std::string type = png.substr(at + 4, 4);
    if (type == "IDAT") {
      data += png.substr(at + 8, length);
    } else if (data.empty()) {
      head += png.substr(at, 12 + size_t{length});
    } else {
      tail += png.substr(at, 12 + size_t{length});
    }
    at += 12 + size_t{length};
  }
  std::string out = png.substr(0, 8) + head;
  if (piece == 0) piece = data.size();
  for (size_t at = 0; at < data.size(); at += piece)
    out += PngChunk("IDAT", data.substr(at, piece));
  return out + tail;
}

TEST(PngDecoder, FastPathGivesLibpngsRowsForEveryLayoutAndFilter) {
  const std::pair<int, std::vector<int>> kTypes[] = {
      {PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}}, {PNG_COLOR_TYPE_RGB, {8, 16}},
      {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}},  {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}},
      {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}},
  };
  int cases = 0;
  for (const auto& [type, depths] : kTypes) {
    for (int depth : depths) {
      for (int filters : {PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG,
                          PNG_FILTER_PAETH, PNG_ALL_FILTERS}) {
        for (uint32_t width : {1u, 3u, 7u, 13u, 61u}) {
          Layout layout;
          layout.width = width;
          layout.height = 9;
          layout.depth = depth;
          layout.colour_type = type;
          layout.filters = filters;
          if (type == PNG_COLOR_TYPE_PALETTE) layout.palette_size = 1 << std::min(depth, 7);
          const std::string what = "type " + std::to_string(type) + " depth " +
                                   std::to_string(depth) + " filters " + std::to_string(filters) +
                                   " width " + std::to_string(width);
          for (bool smooth : {false, true}) {
            const std::string file = Encode(layout, Rows(layout, ++cases, smooth));
            EXPECT_EQ(ExpectSameAsLibpng(file, what).route, PngRoute::kFast) << what;
          }
        }
      }
    }
  }
}

TEST(PngDecoder, FastPathTakesPalettesTransparencyAndColourKeysAsLibpng) {
  for (int depth : {1, 2, 4, 8}) {
    // A palette shorter than the indices reach (those are black), tRNS shorter than it.
    for (int trns : {-1, 0, 1, 3}) {
      Layout layout;
      layout.width = 37;
      layout.height = 11;
      layout.depth = depth;
      layout.colour_type = PNG_COLOR_TYPE_PALETTE;
      layout.palette_size = std::max(1, (1 << depth) / 2);
      layout.trns_size = std::min(trns, layout.palette_size);
      const std::string file = Encode(layout, Rows(layout, depth * 10 + trns, false));
      const std::string what =
          "palette depth " + std::to_string(depth) + " trns " + std::to_string(trns);
      EXPECT_EQ(ExpectSameAsLibpng(file, what).route, PngRoute::kFast) << what;
    }
  }
  // Colour keys: grey at every depth and RGB at 8 and 16 bits, with the key present in the
  // image (the smooth rows hit it) and values above the depth's range.
  for (int type : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_RGB}) {
    for (int depth : {1, 2, 4, 8, 16}) {
      if (type == PNG_COLOR_TYPE_RGB && depth < 8) continue;
      for (uint16_t value : {0, 1, 5, 0x1FF, 0x0203}) {
        Layout layout;
        layout.width = 29;
        layout.height = 13;
        layout.depth = depth;
        layout.colour_type = type;
        layout.key = true;
        layout.key_value[0] = value;
        layout.key_value[1] = static_cast<uint16_t>(value + 1);
        layout.key_value[2] = static_cast<uint16_t>(value + 2);
        std::vector<std::vector<uint8_t>> rows = Rows(layout, value + depth, true);
        // Put the key itself in the first pixels (as stored, big-endian at 16 bits).
        if (depth == 16) {
          for (int s = 0; s < Samples(type); ++s) {
            rows[0][2 * s] = static_cast<uint8_t>(layout.key_value[s] >> 8);
            rows[0][2 * s + 1] = static_cast<uint8_t>(layout.key_value[s]);
          }
        } else if (depth == 8) {
          for (int s = 0; s < Samples(type); ++s)
            rows[0][s] = static_cast<uint8_t>(layout.key_value[s]);
        }
        // The tRNS chunk is written here: libpng does not write keys out of the depth's range.
        layout.key = false;
        std::string key;
        for (int s = 0; s < Samples(type); ++s) {
          key.push_back(static_cast<char>(layout.key_value[s] >> 8));
          key.push_back(static_cast<char>(layout.key_value[s]));
        }
        const std::string plain = Encode(layout, rows);
        const std::string file = plain.substr(0, 33) + PngChunk("tRNS", key) + plain.substr(33);
        const std::string what = "key type " + std::to_string(type) + " depth " +
                                 std::to_string(depth) + " value " + std::to_string(value);
        EXPECT_EQ(ExpectSameAsLibpng(file, what).route, PngRoute::kFast) << what;
      }
    }
  }
}

TEST(PngDecoder, FastPathRoundsEverySixteenBitValueAsLibpng) {
  Layout layout;
  layout.width = 256;
  layout.height = 256;
  layout.depth = 16;
  layout.colour_type = PNG_COLOR_TYPE_GRAY;
  std::vector<std::vector<uint8_t>> rows(256, std::vector<uint8_t>(512));
  for (uint32_t y = 0; y < 256; ++y) {
    for (uint32_t x = 0; x < 256; ++x) {
      rows[y][2 * x] = static_cast<uint8_t>(y);
      rows[y][2 * x + 1] = static_cast<uint8_t>(x);
    }
  }
  const Outcome fast = ExpectSameAsLibpng(Encode(layout, rows), "every 16-bit value");
  EXPECT_EQ(fast.route, PngRoute::kFast);
}

TEST(PngDecoder, FastPathTakesImageDataInChunksOfAnySize) {
  Layout layout;
  layout.width = 101;
  layout.height = 67;
  layout.colour_type = PNG_COLOR_TYPE_RGB_ALPHA;
  const std::string file = Encode(layout, Rows(layout, 5, true));
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{1000}, size_t{0}}) {
    const std::string what = "IDAT chunks of " + std::to_string(piece);
    EXPECT_EQ(ExpectSameAsLibpng(Rechunk(file, piece), what).route, PngRoute::kFast) << what;
  }
  // An empty IDAT chunk among them.
  const std::string split = Rechunk(file, 700);
  const size_t second = split.find("IDAT", split.find("IDAT") + 4) - 4;
  const std::string with_empty =
      split.substr(0, second) + PngChunk("IDAT", "") + split.substr(second);
  EXPECT_EQ(ExpectSameAsLibpng(with_empty, "an empty IDAT").route, PngRoute::kFast);
}

TEST(PngDecoder, FastPathHandsOverLargeImagesRowByRow) {
  Layout layout;
  layout.width = 1531;
  layout.height = 1100;
  layout.colour_type = PNG_COLOR_TYPE_RGB;
  const std::string file = Encode(layout, Rows(layout, 9, true));
  EXPECT_EQ(ExpectSameAsLibpng(file, "large RGB").route, PngRoute::kFast);
  layout.depth = 16;
  layout.colour_type = PNG_COLOR_TYPE_RGB_ALPHA;
  layout.height = 300;
  EXPECT_EQ(ExpectSameAsLibpng(Encode(layout, Rows(layout, 10, true)), "large RGBA 16").route,
            PngRoute::kFast);
}

TEST(PngDecoder, InterlacedImagesGoToLibpng) {
  Layout layout;
  layout.width = 33;
  layout.height = 17;
  layout.interlace = PNG_INTERLACE_ADAM7;
  EXPECT_EQ(ExpectSameAsLibpng(Encode(layout, Rows(layout, 3, true)), "interlaced").route,
            PngRoute::kLibpng);
}

TEST(PngDecoder, DamagedImageDataEndsAsWithLibpng) {
  Layout layout;
  layout.width = 211;
  layout.height = 97;
  layout.colour_type = PNG_COLOR_TYPE_RGB;
  const std::string file = Rechunk(Encode(layout, Rows(layout, 4, true)), 4000);
  const size_t idat = file.find("IDAT") - 4;
  std::mt19937 random(12);
  int gave_up = 0;
  // Cut anywhere in or after the image data.
  for (size_t size = idat; size < file.size(); size += 97) {
    const Outcome fast = ExpectSameAsLibpng(file.substr(0, size), "cut at " + std::to_string(size));
    gave_up += fast.route == PngRoute::kFastGaveUp;
  }
  // Bytes changed in the image data, with and without the chunks' checksums made right again.
  for (int i = 0; i < 300; ++i) {
    std::string damaged = file;
    const size_t at = idat + 8 + random() % (file.size() - idat - 8 - 12);
    damaged[at] = static_cast<char>(damaged[at] ^ (1 + random() % 255));
    const std::string what = "byte " + std::to_string(at);
    gave_up += ExpectSameAsLibpng(damaged, what).route == PngRoute::kFastGaveUp;
    gave_up += ExpectSameAsLibpng(Rechunk(damaged, 4000), what + ", checksums right").route ==
               PngRoute::kFastGaveUp;
  }
  EXPECT_GT(gave_up, 100);  // the damage reached the fast path, which left it to libpng
}

TEST(PngDecoder, TooMuchOrTooLittleDataOrAWrongChecksumEndAsWithLibpng) {
  Layout layout;
  layout.width = 50;
  layout.height = 40;
  layout.colour_type = PNG_COLOR_TYPE_GRAY;
  const std::vector<std::vector<uint8_t>> rows = Rows(layout, 8, true);
  const std::string file = Encode(layout, rows);
  // The same pixels with one row more or fewer in the zlib stream, and with its Adler-32 wrong.
  std::string raw;
  for (const auto& row : rows) raw += '\0' + std::string(row.begin(), row.end());
  const auto with_stream = [&](const std::string& stream) {
    const size_t idat = file.find("IDAT") - 4;
    const size_t end = file.find("IEND") - 4;
    return file.substr(0, idat) + PngChunk("IDAT", stream) + file.substr(end);
  };
  EXPECT_EQ(ExpectSameAsLibpng(with_stream(Zlib(raw)), "exact").route, PngRoute::kFast);
  EXPECT_NE(ExpectSameAsLibpng(with_stream(Zlib(raw + raw.substr(0, 51))), "a row more").route,
            PngRoute::kFast);
  EXPECT_NE(ExpectSameAsLibpng(with_stream(Zlib(raw.substr(51))), "a row fewer").route,
            PngRoute::kFast);
  std::string wrong_check = Zlib(raw);
  wrong_check.back() = static_cast<char>(wrong_check.back() ^ 1);
  EXPECT_EQ(ExpectSameAsLibpng(with_stream(wrong_check), "wrong Adler-32").route,
            PngRoute::kFastGaveUp);
  EXPECT_EQ(ExpectSameAsLibpng(with_stream(Zlib(raw) + "junk"), "data after the stream").route,
            PngRoute::kFastGaveUp);
}

// A real file that is saved again (in place, same inode) the first time the decoder starts it
// over: between the fast path's read and libpng's.
class RewrittenOnRewind : public Input {
 public:
  RewrittenOnRewind(FileInput* file, std::string path, std::string later)
      : file_(file), path_(std::move(path)), later_(std::move(later)) {}
  std::span<const uint8_t> Head() const override { return file_->Head(); }
  bool HeadIsWhole() const override { return file_->HeadIsWhole(); }
  Status Whole(std::span<const uint8_t>* all) override { return file_->Whole(all); }
  Status Read(uint8_t* out, size_t size, size_t* got) override {
    return file_->Read(out, size, got);
  }
  Status Rewind() override {
    ++rewinds_;
    if (!later_.empty()) testing::WriteFile(path_, later_);
    later_.clear();
    return file_->Rewind();
  }
  bool Changed() const override { return file_->Changed(); }
  uint64_t bytes_read() const override { return file_->bytes_read(); }
  int rewinds() const { return rewinds_; }

 private:
  FileInput* file_;
  std::string path_;
  std::string later_;
  int rewinds_ = 0;
};

TEST(PngDecoder, FileChangedBeforeLibpngReadsItAgainIsNotMixedIn) {
  // Noise, so that the file is larger than the head an Input keeps (Input::kHeadBytes): the
  // second read comes from the file again.
  Layout layout;
  layout.width = 600;
  layout.height = 400;
  const std::string good = Rechunk(Encode(layout, Rows(layout, 8, false)), 0);
  ASSERT_GT(good.size(), 2 * Input::kHeadBytes);
  // A wrong Adler-32 at the end of the image data: the fast path hands over every row, then
  // leaves the file to libpng.
  const size_t idat = good.find("IDAT") - 4;
  const size_t length = testing::Be32(good, idat);
  std::string stream = good.substr(idat + 8, length);
  stream.back() = static_cast<char>(stream.back() ^ 1);
  const std::string gives_up =
      good.substr(0, idat) + PngChunk("IDAT", stream) + good.substr(idat + 12 + length);
  // Saved again: another image of the same size.
  const std::string other = Rechunk(Encode(layout, Rows(layout, 9, false)), 0);

  testing::TempDir dir;
  const std::string path = dir / "image.png";
  const auto decode = [&](const std::string& later, PngRoute* route, int* rewinds) {
    testing::WriteFile(path, gives_up);
    // Saved an hour ago, so that saving it again is seen whatever the clock's tick.
    const timespec hour_ago{::time(nullptr) - 3600, 0};
    const timespec times[2] = {hour_ago, hour_ago};
    EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    std::vector<uint8_t> buffer;
    std::unique_ptr<FileInput> file;
    const SourceOpener sources;
    EXPECT_TRUE(FileInput::Open(sources, path, &buffer, &file).ok());
    RewrittenOnRewind input(file.get(), path, later);
    DecodeRequest request;
    request.needed_size = [](Size full) { return full; };
    testing::RecordingSink sink;
    const Status status = DecodePng(input, request, &sink, true, route);
    *rewinds = input.rewinds();
    return status;
  };
  PngRoute route = PngRoute::kLibpng;
  int rewinds = 0;
  // Unchanged: libpng's verdict on the file stands.
  const Status unchanged = decode("", &route, &rewinds);
  EXPECT_EQ(route, PngRoute::kFastGaveUp);
  EXPECT_EQ(rewinds, 1);
  EXPECT_EQ(unchanged.message(), Decode(gives_up, false).status.message());
  // Changed: neither version's verdict, but the file's change.
  const Status changed = decode(other, &route, &rewinds);
  EXPECT_EQ(route, PngRoute::kFastGaveUp);
  EXPECT_FALSE(changed.ok());
  EXPECT_EQ(changed.message(), "PNG data is damaged (the file changed while it was read)");
  // Not remembered as the file's failure: the next run reads it as it is then.
  EXPECT_TRUE(changed.IsTransient());
  EXPECT_FALSE(unchanged.IsTransient()) << unchanged.message();
}

TEST(PngDecoder, FastPathGivesLibpngsOutcomeOnPngSuite) {
  const std::string folder = testing::CorpusPath("pngsuite");
  int files = 0, fast = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".png") continue;
    const std::string name = entry.path().filename();
    const std::string file = testing::ReadFile(entry.path());
    const Outcome outcome = ExpectSameAsLibpng(file, name);
    ++files;
    fast += outcome.route == PngRoute::kFast;
    // Every valid non-interlaced file takes the fast path.
    const bool interlaced = file.size() > 28 && file[28] != 0;
    if (name[0] != 'x' && !interlaced && outcome.status.ok()) {
      EXPECT_EQ(outcome.route, PngRoute::kFast) << name;
    }
  }
  EXPECT_GE(files, 170);
  EXPECT_GE(fast, 80);
}

}  // namespace
}  // namespace thumbpipe
