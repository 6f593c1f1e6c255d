// End to end on the shared test images: ../shared/corpus (see its README).
#include <filesystem>
#include <map>
#include <regex>

#include <gmock/gmock.h>
#include <opencv2/imgproc.hpp>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

class CorpusTest : public E2eTest {};

TEST_F(CorpusTest, ExifOrientationGivesUprightThumbnails) {
  const std::string folder = CorpusPath("exif-orientation");
  const CommandResult run = Thumbpipe({folder, "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 18);
  EXPECT_EQ(summary.not_images, 1);  // LICENSE
  EXPECT_EQ(summary.failed, 0);
  std::map<std::string, cv::Mat> by_name;
  for (const ManifestLine& line : VerifyOutputs()) {
    by_name[std::filesystem::path(line.source).filename().string()] =
        LoadThumbnail(thumbnails() + "/" + line.thumbnail);
  }
  ASSERT_EQ(by_name.size(), 18u);
  for (const std::string kind : {"Landscape", "Portrait"}) {
    const cv::Mat& upright = by_name[kind + "_1.jpg"];
    const cv::Size expected = kind == "Landscape" ? cv::Size(200, 133) : cv::Size(133, 200);
    for (int v = 0; v <= 8; ++v) {
      const std::string name = kind + "_" + std::to_string(v) + ".jpg";
      const cv::Mat& thumb = by_name[name];
      ASSERT_EQ(thumb.size(), expected) << name;
      // A wrongly turned one scores about 10-15 dB.
      if (v != 1) {
        EXPECT_GT(PsnrGrey(thumb, upright), 28.0) << name;
      }
    }
  }
}

TEST_F(CorpusTest, PngSuiteValidFilesAllGiveThumbnails) {
  const std::string folder = CorpusPath("pngsuite");
  const CommandResult run = Thumbpipe({"-v", folder});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::set<std::string> valid, corrupt;
  for (const std::string& name : ListFolder(folder)) {
    if (!name.ends_with(".png")) continue;
    (name.starts_with("x") ? corrupt : valid).insert(folder + "/" + name);
  }
  ASSERT_EQ(corrupt.size(), 14u);
  EXPECT_EQ(Sources(VerifyOutputs()), valid);
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, static_cast<long>(valid.size()));
  // The 14 x*.png plus the suite's LICENSE and README.
  EXPECT_EQ(summary.failed + summary.not_images, 14 + 2);
  for (const std::string& path : corrupt) {
    // Each corrupt file is reported, with a reason when it failed.
    const bool failed = std::regex_search(run.err, std::regex("failed: '" + path + "': [^\n]+\n"));
    const bool not_image = run.err.find("not an image: '" + path + "'") != std::string::npos;
    EXPECT_TRUE(failed != not_image) << path;
  }
}

TEST_F(CorpusTest, FormatsKeepAlphaAndGrey) {
  const std::string folder = CorpusPath("pillow/formats");
  const CommandResult run = Thumbpipe({folder, "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, cv::Mat> by_name;
  for (const ManifestLine& line : VerifyOutputs()) {
    by_name[std::filesystem::path(line.source).filename().string()] =
        LoadThumbnail(thumbnails() + "/" + line.thumbnail);
  }
  EXPECT_EQ(by_name["mode_grayscale_alpha.png"].channels(), 2);
  EXPECT_EQ(by_name["mode_palette_alpha.png"].channels(), 4);
  EXPECT_EQ(by_name["mode_16bit.png"].channels(), 4);
  EXPECT_EQ(by_name["hopper_8bit.pgm"].channels(), 1);
  EXPECT_EQ(by_name["hopper.webp"].channels(), 3);
  EXPECT_EQ(by_name["pil_sample_cmyk.jpg"].channels(), 3);
  EXPECT_EQ(by_name["16bit.cropped.tif"].channels(), 1);
  EXPECT_EQ(by_name["hopper.gif"].channels(), 3);
  EXPECT_EQ(by_name["first_frame_transparency.gif"].channels(), 4);
  // Every file is accounted for.
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails + summary.not_images + summary.failed,
            static_cast<long>(ListFolder(folder).size()));
}

TEST_F(CorpusTest, HostileFilesNeverStopTheRun) {
  const std::string folder = CorpusPath("pillow/hostile");
  const CommandResult run = Thumbpipe({folder, "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  VerifyOutputs();
  // The GIF bomb's first frame claims more pixels than --max-pixels allows.
  EXPECT_THAT(run.err, ::testing::HasSubstr("failed: '" + folder +
                                            "/decompression_bomb.gif': GIF image is "
                                            "65535x66601 (4364.7 megapixels), more than the "
                                            "limit of 200.0 (--max-pixels)\n"));
  const Summary summary = ParseSummary(run.err);
  ASSERT_TRUE(summary.found) << run.err;
  EXPECT_EQ(summary.thumbnails + summary.not_images + summary.failed,
            static_cast<long>(ListFolder(folder).size()));
}

TEST_F(CorpusTest, WorkerCountDoesNotChangeTheResult) {
  // exif-orientation and pngsuite together, about 200 files, copied into one tree (symlinked
  // folders are not walked).
  TempDir tree;
  std::string first;
  for (const char* sub : {"exif-orientation", "pngsuite"}) {
    std::filesystem::create_directory(tree / sub);
    for (const std::string& name : ListFolder(CorpusPath(sub))) {
      std::filesystem::copy_file(CorpusPath(sub) + "/" + name, tree / sub + "/" + name);
    }
  }
  for (const char* workers : {"1", "2", "4", "8"}) {
    const CommandResult run = Thumbpipe({tree.path(), workers});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string text = ReadFile(manifest());
    EXPECT_GT(text.size(), 1000u);
    if (first.empty()) {
      first = text;
      VerifyOutputs();
    } else {
      EXPECT_EQ(text, first) << "with " << workers << " workers";
    }
  }
  // The positional form and -j are the same.
  const CommandResult a = Thumbpipe({tree.path(), "3"});
  const std::string with_positional = ReadFile(manifest());
  const CommandResult b = Thumbpipe({"-j", "3", tree.path()});
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_EQ(ReadFile(manifest()), with_positional);
  EXPECT_EQ(with_positional, first);
}

}  // namespace
}  // namespace thumbpipe::testing
