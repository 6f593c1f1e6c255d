// End to end on JPEG XL and JPEG 2000 files made here from the corpus (cjxl, opj_compress):
// every one gets a thumbnail that looks like the thumbnail of the JPEG or PNG it was made from,
// upright, with its alpha and grey kept; cut files fail with a plain reason; the statistics
// count them under their formats.
#include <filesystem>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/e2e/e2e.h"
#include "tests/support/encoders.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;

class FormatsTest : public E2eTest {};

TEST_F(FormatsTest, JpegXlAndJpeg2000ThumbnailsLookLikeTheirSources) {
  TempDir sources, converted, upright;
  // converted name -> the source it was made from.
  std::map<std::string, std::string> made_from;
  const auto encoded = [&](const std::string& error) {
    EXPECT_EQ(error, "");
    return error.empty();
  };

  // The photos in all nine EXIF orientations: as JPEG XL straight from the JPEG (cjxl keeps the
  // orientation), as JPEG 2000 from its upright pixels (JPEG 2000 has no orientation).
  for (const std::string& name : ListFolder(CorpusPath("exif-orientation"))) {
    if (!name.ends_with(".jpg")) continue;
    const std::string jpeg = CorpusPath("exif-orientation/" + name);
    std::filesystem::copy_file(jpeg, sources / name);
    const std::string stem = name.substr(0, name.size() - 4);
    if (encoded(EncodeJxl(jpeg, converted / stem + ".jxl", {"--lossless_jpeg=1"})))
      made_from[stem + ".jxl"] = name;
    ASSERT_TRUE(cv::imwrite(upright / stem + ".png", cv::imread(jpeg)));
    if (encoded(EncodeJp2(upright / stem + ".png", converted / stem + ".jp2", {"-r", "20"})))
      made_from[stem + ".jp2"] = name;
  }
  // PngSuite's basic images (every bit depth and colour type, 32x32): grey, palette, alpha,
  // 16-bit, interlaced; both encoders without loss, JPEG 2000 as a bare codestream. Without
  // their gAMA chunk (gamma 1.0), which thumbpipe honours and the encoders do not carry over.
  for (const std::string& name : ListFolder(CorpusPath("pngsuite"))) {
    if (!name.starts_with("bas") || !name.ends_with(".png")) continue;
    const std::string png = sources / name;
    WriteFile(png, PngWithoutChunk(ReadFile(CorpusPath("pngsuite/" + name)), "gAMA"));
    const std::string stem = name.substr(0, name.size() - 4);
    if (encoded(EncodeJxl(png, converted / stem + ".jxl", {"-d", "0", "-e", "1"})))
      made_from[stem + ".jxl"] = name;
    if (encoded(EncodeJp2(png, converted / stem + ".j2k"))) made_from[stem + ".j2k"] = name;
  }
  ASSERT_EQ(made_from.size(), 2 * (18u + 30u));
  // And one of each cut in half.
  for (const std::string name : {"Landscape_5.jxl", "Landscape_5.jp2"}) {
    const std::string whole = ReadFile(converted / name);
    WriteFile(converted / "cut-" + name, whole.substr(0, whole.size() / 2));
  }

  // The sources' thumbnails, checked as every run's are (VerifyOutputs reads the sources'
  // sizes with OpenCV, which reads neither JPEG XL nor every JPEG 2000 file).
  const CommandResult source_run = Thumbpipe({sources.path(), "2"});
  ASSERT_EQ(source_run.exit_code, 0) << source_run.err;
  std::map<std::string, cv::Mat> expected;
  for (const ManifestLine& line : VerifyOutputs()) {
    expected[std::filesystem::path(line.source).filename().string()] =
        LoadThumbnail(thumbnails() + "/" + line.thumbnail);
  }
  ASSERT_EQ(expected.size(), 48u);

  const TempDir out;
  const CommandResult run =
      Thumbpipe({converted.path(), "2", "--output", out / "thumbnails", "--manifest",
                 out / "processed.txt", "--stats-json", out / "stats.json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 96);
  EXPECT_EQ(summary.not_images, 0);
  EXPECT_EQ(summary.failed, 2);
  EXPECT_THAT(run.err, HasSubstr("failed: '" + converted / "cut-Landscape_5.jxl" +
                                 "': JPEG XL data ends early (the file is truncated)\n"));
  EXPECT_THAT(run.err, HasSubstr("failed: '" + converted / "cut-Landscape_5.jp2" +
                                 "': JPEG 2000 data ends early (the file is truncated)\n"));

  std::map<std::string, cv::Mat> got;
  std::set<std::string> names;
  for (const ManifestLine& line : ReadManifest(out / "processed.txt")) {
    const cv::Mat pixels = LoadThumbnail(out / "thumbnails/" + line.thumbnail);
    ASSERT_FALSE(pixels.empty()) << line.thumbnail << " for " << line.source;
    EXPECT_EQ(ExpectedName(pixels), line.thumbnail) << line.source;
    got[std::filesystem::path(line.source).filename().string()] = pixels;
    names.insert(line.thumbnail);
  }
  EXPECT_EQ(ListFolder(out / "thumbnails").size(), names.size()) << "stray files";
  ASSERT_EQ(got.size(), made_from.size());
  for (const auto& [name, source] : made_from) {
    const cv::Mat& thumbnail = got[name];
    const cv::Mat& wanted = expected.at(source);
    ASSERT_EQ(thumbnail.size(), wanted.size()) << name;
    ASSERT_EQ(thumbnail.channels(), wanted.channels()) << name;
    // A wrongly turned photo scores about 10-15 dB. Measured: the JPEG XL photos 34 dB (libjxl
    // decodes the whole image, libjpeg-turbo its 1/8 scale), the JPEG 2000 ones 31 dB (lossy,
    // from a lower level); the lossless copies of PNGs are identical.
    const double floor = source.ends_with(".png") ? 45.0 : 30.0;
    EXPECT_GT(cv::PSNR(thumbnail, wanted), floor) << name << " from " << source;
  }

  const nlohmann::json stats = nlohmann::json::parse(ReadFile(out / "stats.json"));
  EXPECT_EQ(stats["by_format"]["jxl"]["thumbnails"], 48);
  EXPECT_EQ(stats["by_format"]["jxl"]["failed"], 1);
  EXPECT_EQ(stats["by_format"]["jpeg2000"]["thumbnails"], 48);
  EXPECT_EQ(stats["by_format"]["jpeg2000"]["failed"], 1);
}

// A codestream whose header claims 12000x12000 pixels (within --max-pixels) needs 1.7 GB for
// its components at full size: under --max-memory 512M that fails with a plain reason, while
// a thumbnail of the default size, decoded from a lower level, needs a few megabytes.
TEST_F(FormatsTest, Jpeg2000TooLargeForMaxMemoryFailsPlainly) {
  TempDir photos, scratch;
  // One grey: its few code-blocks still decode when the header says the image is larger.
  ASSERT_TRUE(cv::imwrite(scratch / "small.png", cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(128))));
  ASSERT_EQ(EncodeJp2(scratch / "small.png", scratch / "small.j2k"), "");
  std::string file = ReadFile(scratch / "small.j2k");
  ASSERT_EQ(file.substr(0, 4), "\xFF\x4F\xFF\x51");
  for (const size_t at : {8, 12, 24, 28}) {  // SIZ: image width, height; tile width, height
    file.replace(at, 4, std::string("\x00\x00\x2E\xE0", 4));
  }
  WriteFile(photos / "claim.j2k", file);

  CommandOptions options = InFolder(work().path());
  // Sanitizer builds do not limit the address space; their allocator gets a limit instead, and
  // returns null past it, as malloc does past --max-memory.
  options.env["ASAN_OPTIONS"] = "max_allocation_size_mb=400:allocator_may_return_null=1";
  CommandResult run =
      Thumbpipe({photos.path(), "1", "--size", "20000x20000", "--max-memory", "512M"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + photos / "claim.j2k" +
                                 "': JPEG 2000 image of 12000x12000 pixels needs more memory "
                                 "than a worker may use (--max-memory)\n"));
  EXPECT_EQ(ParseSummary(run.err).failed, 1);

  run = Thumbpipe({photos.path(), "1", "--max-memory", "512M"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 1) << run.err;
}

}  // namespace
}  // namespace thumbpipe::testing
