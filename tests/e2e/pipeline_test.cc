// End-to-end behaviour of the pipeline on files the tests make.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {

void MakePhotos(const TempDir& photos, int count) {
  WriteTestImage(photos / "whole.jpg", 640, 480);
  const std::string jpeg = ReadFile(photos / "whole.jpg");
  WriteFile(photos / "broken.jpg", jpeg.substr(0, jpeg.size() / 2));
  for (int i = 1; i < count; ++i) WriteFile(photos / fmt::format("{:04}.jpg", i), jpeg);
}

bool E2eTest::SourceFitsInBox(const std::string& source, int box_width, int box_height) {
  int w = 0, h = 0;
  const cv::Mat image = cv::imread(source, cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
  if (!image.empty()) {
    w = image.cols;
    h = image.rows;
  } else {
    // OpenCV refuses some damaged files whose pixels are all there, and does not read GIF;
    // read a PNG's size, or a GIF's logical screen, itself.
    const std::string head = ReadFile(source).substr(0, 24);
    const auto byte = [&](size_t at) { return static_cast<int>(static_cast<uint8_t>(head[at])); };
    if (head.size() == 24 && head.starts_with("\x89PNG")) {
      const auto be32 = [&](size_t at) {
        return byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3);
      };
      w = be32(16);
      h = be32(20);
    } else if (head.size() >= 10 && (head.starts_with("GIF87a") || head.starts_with("GIF89a"))) {
      w = byte(6) | byte(7) << 8;
      h = byte(8) | byte(9) << 8;
    }
  }
  return w > 0 && ((w <= box_width && h <= box_height) || (h <= box_width && w <= box_height));
}

StandInRoles::StandInRoles() {
  std::filesystem::create_symlink(RoleFolder() + "/thumbpipe-producer",
                                  folder_ / "thumbpipe-producer");
  std::filesystem::create_symlink(RoleFolder() + "/thumbpipe-sink", folder_ / "thumbpipe-sink");
  std::filesystem::create_symlink(FakeWorkerPath(), folder_ / "thumbpipe-worker");
}

std::map<std::string, std::string> StandInRoles::env(const std::string& mode) const {
  return {{"THUMBPIPE_LIBEXEC_DIR", folder_.path()},
          {"FAKE_WORKER", mode},
          // Let the stand-in die of its signal under the sanitizers too.
          {"ASAN_OPTIONS", "handle_segv=0:handle_abort=0"}};
}

namespace {

using ::testing::HasSubstr;

void MakeJpeg(const std::string& path, int w, int h) { WriteTestImage(path, w, h); }

class PipelineTest : public E2eTest {};

TEST_F(PipelineTest, NonImagesAreSkippedWithoutHanging) {
  TempDir photos;
  WriteFile(photos / "notes.txt", "shopping list\n");
  WriteFile(photos / "empty.jpg", "");
  WriteFile(photos / "text-named.jpg", "this is not a JPEG\n");
  ASSERT_EQ(::mkfifo((photos / "fifo.jpg").c_str(), 0600), 0);
  MakeJpeg(photos / "real.jpg", 640, 480);
  const CommandResult run = Thumbpipe({photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  ASSERT_TRUE(summary.found) << run.err;
  EXPECT_EQ(summary.thumbnails, 1);
  EXPECT_EQ(summary.not_images, 3);
  EXPECT_EQ(summary.failed, 0);
  const auto lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].source, photos / "real.jpg");
  // Quiet about not-images by default.
  EXPECT_EQ(run.err.find("not an image"), std::string::npos) << run.err;
}

TEST_F(PipelineTest, HeicAndAvifGetThumbnails) {
  TempDir sources, photos;
  WriteTestImage(sources / "source.png", 640, 480);
  ASSERT_EQ(EncodeHeif(sources / "source.png", photos / "photo.heic", {"-q", "80"}), "");
  ASSERT_EQ(EncodeHeif(sources / "source.png", photos / "photo.avif", {"-q", "80"}), "");
  ASSERT_EQ(
      EncodeHeif(sources / "source.png", photos / "with-thumbnail.heic", {"-q", "80", "-t", "256"}),
      "");
  const CommandResult run = Thumbpipe({"-v", photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  ASSERT_TRUE(summary.found) << run.err;
  EXPECT_EQ(summary.thumbnails, 3);
  EXPECT_EQ(summary.failed, 0) << run.err;
  const auto lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 3u);
  for (const ManifestLine& line : lines) {
    const cv::Mat thumb = LoadThumbnail(thumbnails() + "/" + line.thumbnail);
    EXPECT_EQ(thumb.cols, 200) << line.source;
    EXPECT_EQ(thumb.rows, 150) << line.source;
  }
  EXPECT_THAT(run.err, HasSubstr("HEIF: decoding the embedded 256x192 thumbnail"));
  EXPECT_THAT(run.err, HasSubstr("HEIF: decoding the 640x480 image"));
}

TEST_F(PipelineTest, EmptyFolder) {
  TempDir photos;
  const CommandResult run = Thumbpipe({photos.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(LastLine(run.err),
              ::testing::MatchesRegex(
                  "thumbpipe: Finished in [0-9.]+ s: 0 thumbnails, 0 not images, 0 failed"));
  EXPECT_EQ(ReadFile(manifest()), "");
}

TEST_F(PipelineTest, VerboseNamesEveryFileAsTheOriginalDid) {
  TempDir photos;
  MakeJpeg(photos / "a.jpg", 300, 200);
  WriteFile(photos / "b.txt", "x");
  const CommandResult run = Thumbpipe({"-v", photos.path(), "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("Processing file a.jpg\n"));
  EXPECT_THAT(run.err, HasSubstr("Processing file b.txt\n"));
  EXPECT_THAT(run.err, HasSubstr("not an image: '" + (photos / "b.txt") + "'"));
}

TEST_F(PipelineTest, FailuresAreCountedWithAReasonAndQuietHidesThem) {
  TempDir photos;
  const std::string jpeg = [&] {
    MakeJpeg(photos / "whole.jpg", 800, 600);
    return ReadFile(photos / "whole.jpg");
  }();
  WriteFile(photos / "half.jpg", jpeg.substr(0, jpeg.size() / 2));
  CommandResult run = Thumbpipe({photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos / "half.jpg") +
                                 "': JPEG data ends early (the file is truncated)\n"));
  Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 1);
  EXPECT_EQ(summary.failed, 1);
  VerifyOutputs();

  run = Thumbpipe({"-q", photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("failed: "), std::string::npos) << run.err;
  EXPECT_EQ(ParseSummary(run.err).failed, 1);
}

TEST_F(PipelineTest, HostileNamesAreEscapedInTheManifest) {
  TempDir photos;
  const std::vector<std::string> names = {"new\nline.jpg", "back\\slash.jpg",  "latin1-\xE9.jpg",
                                          "tab\there.jpg", "colon: space.jpg", "utf8-\xC3\xA9.jpg"};
  for (size_t i = 0; i < names.size(); ++i) MakeJpeg(photos / names[i], 300 + 10 * i, 200);
  const CommandResult run = Thumbpipe({photos.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string text = ReadFile(manifest());
  EXPECT_THAT(text, HasSubstr(": " + photos.path() + "/new\\nline.jpg\n"));
  EXPECT_THAT(text, HasSubstr(": " + photos.path() + "/back\\\\slash.jpg\n"));
  EXPECT_THAT(text, HasSubstr(": " + photos.path() + "/latin1-\\xe9.jpg\n"));
  EXPECT_THAT(text, HasSubstr(": " + photos.path() + "/tab\\x09here.jpg\n"));
  EXPECT_THAT(text, HasSubstr(": " + photos.path() + "/utf8-\xC3\xA9.jpg\n"));
  std::set<std::string> expected;
  for (const std::string& name : names) expected.insert(photos / name);
  EXPECT_EQ(Sources(VerifyOutputs()), expected);
}

TEST_F(PipelineTest, OptionsChangeSizeAndPlaces) {
  TempDir photos;
  MakeJpeg(photos / "wide.jpg", 1600, 900);
  const CommandResult run = Thumbpipe(
      {"--size", "320x100", "--output", "out/t", "--manifest", "lists/m.txt", photos.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = ReadManifest(work() / "lists/m.txt");
  ASSERT_EQ(lines.size(), 1u);
  const cv::Mat thumb = LoadThumbnail(work() / ("out/t/" + lines[0].thumbnail));
  EXPECT_EQ(thumb.cols, 178);  // 1600x900 in 320x100: height bound, 177.8 -> 178
  EXPECT_EQ(thumb.rows, 100);
}

TEST_F(PipelineTest, OutputInsideTheTreeIsNotWalked) {
  TempDir photos;
  MakeJpeg(photos / "a.jpg", 640, 480);
  CommandResult run = Thumbpipe({photos.path()}, InFolder(photos.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // A second run over the same tree must not pick up the first run's thumbnails or manifest.
  run = Thumbpipe({"."}, InFolder(photos.path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 1);
  EXPECT_EQ(summary.not_images, 0) << run.err;
  EXPECT_EQ(ListFolder(photos / "thumbnails").size(), 1u);
}

TEST_F(PipelineTest, SameImageTwiceGivesOneThumbnailAndTwoLines) {
  TempDir photos;
  MakeJpeg(photos / "a.jpg", 640, 480);
  std::filesystem::copy_file(photos / "a.jpg", photos / "copy.jpg");
  const CommandResult run = Thumbpipe({photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].thumbnail, lines[1].thumbnail);
  EXPECT_EQ(ListFolder(thumbnails()).size(), 1u);
}

TEST_F(PipelineTest, UsageErrorsExit2WithOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  WriteFile(work() / "blocker", "");
  const std::vector<Case> cases = {
      {{},
       "thumbpipe: missing ROOT, the folder to make thumbnails of (for example: thumbpipe "
       "~/Pictures)\n"},
      {{".", "x"}, "thumbpipe: WORKERS must be a whole number from 1 to 1024, not 'x'\n"},
      {{".", "--nope"},
       "thumbpipe: The following argument was not expected: --nope; see 'thumbpipe --help'\n"},
      {{".", "--output", "blocker/sub"},
       "thumbpipe: cannot create output folder '" + (work() / "blocker/sub") +
           "': Not a directory\n"},
  };
  for (const Case& c : cases) {
    const CommandResult run = Thumbpipe(c.args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_EQ(run.err, c.message);
    EXPECT_EQ(run.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(manifest()));
}

TEST_F(PipelineTest, HelpAndVersionGoToStdout) {
  CommandResult run = Thumbpipe({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("thumbpipe [OPTIONS] [ROOT] [WORKERS]"));
  EXPECT_EQ(run.err, "");
  run = Thumbpipe({"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, ::testing::MatchesRegex("thumbpipe [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

}  // namespace
}  // namespace thumbpipe::testing
