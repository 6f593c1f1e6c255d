// The long-tail formats end to end: the real thumbpipe over a folder of TGA, ICO, PSD, PCX, SGI,
// XPM and XBM files (written by Pillow and by tests/support/long_tail_images.h) gives one
// thumbnail per file through the ImageMagick plug-in, alpha kept; camera RAW files beside them
// are counted failed as not supported, by format, and the run goes on; nothing is left in the
// temporary folder.
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e.h"
#include "tests/support/long_tail_images.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class LongTailTest : public E2eTest {
 protected:
  // Writes `pixels` with Pillow into photos/name; fails the test if Pillow cannot.
  void Pillow(const Pixels& pixels, const std::string& name, const std::string& format,
              const std::string& options = "", const std::string& mode = "") {
    EXPECT_EQ(WriteWithPillow(pixels, photos_ / name, format, options, mode), "") << name;
  }

  TempDir photos_;
};

TEST_F(LongTailTest, EveryFileGetsAThumbnailAndRawIsNotSupported) {
  const Pixels rgb = Pattern(400, 300, 3);
  const Pixels rgba = Pattern(400, 300, 4);
  Pillow(rgb, "plain.tga", "TGA");
  Pillow(rgba, "alpha-rle.tga", "TGA", "compression='tga_rle'");
  Pillow(Pattern(256, 256, 4), "icon.ico", "ICO", "sizes=[(32, 32), (256, 256)]");
  Pillow(rgb, "paint.pcx", "PCX");
  Pillow(rgba, "iris.sgi", "SGI");
  Pillow(Pattern(400, 300, 1), "bits.xbm", "XBM", "", "1");
  WriteFile(photos_ / "layered.psd", Psd(rgba, true));
  Pixels few_colours = rgb;  // an XPM here names at most 4096 colours
  for (uint8_t& v : few_colours.data) v &= 0xE0;
  WriteFile(photos_ / "pixmap.xpm", Xpm(few_colours));
  // Camera RAW containers: the marks at their start and bytes that are no image.
  const std::string tail(4096, '\x5A');
  WriteFile(photos_ / "IMG_0001.CR2", std::string("II*\0\x10\0\0\0CR\x02\0", 12) + tail);
  WriteFile(photos_ / "DSCF0001.RAF", "FUJIFILMCCD-RAW 0201FF383501" + tail);
  WriteFile(photos_ / "P0001.ORF", std::string("IIRO\x08\0\0\0", 8) + tail);
  WriteFile(photos_ / "P0001.RW2", std::string("IIU\0\x08\0\0\0", 8) + tail);
  WriteFile(photos_ / "notes.tga", "not a picture, only named like one\n");

  TempDir temporary;
  CommandOptions options;
  options.env = {{"TMPDIR", temporary.path()}, {"MAGICK_TEMPORARY_PATH", temporary.path()}};
  const CommandResult run = Thumbpipe({"--stats-json", "stats.json", photos_.path(), "2"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 8) << run.err;
  EXPECT_EQ(summary.failed, 4) << run.err;
  EXPECT_EQ(summary.not_images, 1) << run.err;
  for (const char* raw : {"IMG_0001.CR2", "DSCF0001.RAF", "P0001.ORF", "P0001.RW2"}) {
    EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / raw) +
                                   "': camera RAW images are not supported\n"));
  }
  EXPECT_EQ(ListFolder(temporary.path()), std::vector<std::string>{});

  // Sizes and alpha, from the thumbnails themselves.
  std::map<std::string, cv::Mat> thumbs;
  for (const ManifestLine& line : VerifyOutputs()) {
    const std::string name = line.source.substr(line.source.rfind('/') + 1);
    thumbs[name] = LoadThumbnail(thumbnails() + "/" + line.thumbnail);
  }
  ASSERT_EQ(thumbs.size(), 8u);
  const std::map<std::string, std::tuple<int, int, int>> expected{
      {"plain.tga", {200, 150, 3}},   {"alpha-rle.tga", {200, 150, 4}}, {"icon.ico", {200, 200, 4}},
      {"paint.pcx", {200, 150, 3}},   {"iris.sgi", {200, 150, 4}},      {"bits.xbm", {200, 150, 1}},
      {"layered.psd", {200, 150, 4}}, {"pixmap.xpm", {200, 150, 3}}};
  for (const auto& [name, shape] : expected) {
    const auto [width, height, channels] = shape;
    ASSERT_TRUE(thumbs.count(name)) << name;
    EXPECT_EQ(thumbs[name].cols, width) << name;
    EXPECT_EQ(thumbs[name].rows, height) << name;
    EXPECT_EQ(thumbs[name].channels(), channels) << name;
  }
  // The same pixels in TGA and PCX make the same thumbnail.
  EXPECT_EQ(cv::norm(thumbs["plain.tga"], thumbs["paint.pcx"], cv::NORM_INF), 0);

  Json stats = Json::parse(ReadFile(work() / "stats.json"));
  const Json& by_format = stats["by_format"];
  const std::map<std::string, int> thumbnails_by_format{
      {"tga", 2}, {"ico", 1}, {"psd", 1}, {"pcx", 1}, {"sgi", 1}, {"xpm", 1}, {"xbm", 1}};
  for (const auto& [key, count] : thumbnails_by_format) {
    EXPECT_EQ(by_format[key]["thumbnails"], count) << key << ": " << by_format.dump();
  }
  EXPECT_EQ(by_format["raw"]["failed"], 4) << by_format.dump();
  EXPECT_EQ(by_format["raw"]["thumbnails"], 0) << by_format.dump();
}

}  // namespace
}  // namespace thumbpipe::testing
