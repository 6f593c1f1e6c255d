// A worker makes the thumbnail of a 24-megapixel progressive JPEG in at most 64 MB, with chroma
// 4:4:4 and 4:2:0: a photo from the corpus scaled up to 6000x4000 with sensor-like noise (so
// that it compresses like a photo, 6 to 10 MB), written by cjpeg -progressive. Peak RSS is read
// as the memory benchmark reads it: ru_maxrss from wait4() over the run (GNU time), which is
// that of its largest process, the worker. libjpeg's own coefficient arrays alone would take
// 144 and 72 MB.
#include <unistd.h>

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/e2e/e2e.h"
#include "tests/support/encoders.h"

namespace thumbpipe::testing {
namespace {

constexpr const char* kTime = "/usr/bin/time";  // package time

constexpr long kLimitKb = 64 * 1024;

class ProgressiveMemoryTest : public E2eTest {};

// Writes the 6000x4000 picture as a PPM to `path`.
bool WritePhoto(const std::string& path) {
  const cv::Mat photo = cv::imread(CorpusPath("exif-orientation/Landscape_1.jpg"));
  if (photo.empty()) return false;
  cv::Mat big;
  cv::resize(photo, big, cv::Size(6000, 4000), 0, 0, cv::INTER_CUBIC);
  cv::Mat noise(big.size(), CV_16SC3);
  cv::theRNG().state = 12;
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6));
  cv::Mat noisy;
  big.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(big, CV_8UC3);
  return cv::imwrite(path, big);
}

TEST_F(ProgressiveMemoryTest, TwentyFourMegapixelsInSixtyFourMegabytes) {
  ASSERT_EQ(access(kTime, X_OK), 0) << kTime << " is missing: install the package time";
  TempDir scratch;
  ASSERT_TRUE(WritePhoto(scratch / "photo.ppm"));
  for (const std::string sampling : {"1x1", "2x2"}) {
    SCOPED_TRACE(sampling);
    TempDir photos;
    const std::string jpeg = photos / ("progressive-" + sampling + ".jpg");
    ASSERT_EQ(RunEncoder("cjpeg", "libjpeg-turbo-progs",
                         {"-quality", "92", "-progressive", "-sample", sampling, "-outfile", jpeg,
                          scratch / "photo.ppm"},
                         jpeg),
              "");
    const TempDir out;
    const CommandResult run =
        RunCommand({kTime, "-f", "peak-rss-kb %M", LauncherPath(), "--output", out / "thumbnails",
                    "--manifest", out / "processed.txt", photos.path(), "1"},
                   InFolder(work().path()));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    // GNU time writes its line after thumbpipe's last.
    const size_t at = run.err.rfind("peak-rss-kb ");
    ASSERT_NE(at, std::string::npos) << run.err;
    EXPECT_EQ(ParseSummary(run.err.substr(0, at)).thumbnails, 1) << run.err;
    const long peak_kb = std::stol(run.err.substr(at + 12));
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer keeps shadow memory and freed blocks
    EXPECT_LE(peak_kb, kLimitKb) << "the worker took " << peak_kb / 1024 << " MB";
#endif
    EXPECT_GT(peak_kb, 0);
    const cv::Mat thumbnail =
        LoadThumbnail(out / "thumbnails/" + ReadManifest(out / "processed.txt").at(0).thumbnail);
    EXPECT_EQ(thumbnail.cols, 200);
    EXPECT_EQ(thumbnail.rows, 133);
  }
}

}  // namespace
}  // namespace thumbpipe::testing
