// End to end: --format jpeg and webp with the real binaries over the corpus. JPEG and WebP are
// lossy, so their names cannot be checked from the files; they are checked against a --format
// png run of the same images, whose thumbnails are the exact pixels: a JPEG's name must be the
// hash of those pixels composited on the background, a WebP's the hash of them made RGB.
#include <filesystem>
#include <map>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

// The README's rule, written again here: c * a + b * (255 - a), over 255, rounded; grey with
// alpha stays grey on a grey background.
cv::Mat Composite(const cv::Mat& pixels, uint32_t rgb) {
  if (pixels.channels() == 1 || pixels.channels() == 3) return pixels;
  const int bg[3] = {static_cast<int>(rgb >> 16 & 0xFF), static_cast<int>(rgb >> 8 & 0xFF),
                     static_cast<int>(rgb & 0xFF)};
  const bool grey = pixels.channels() == 2;
  const bool grey_out = grey && bg[0] == bg[1] && bg[1] == bg[2];
  cv::Mat out(pixels.rows, pixels.cols, grey_out ? CV_8UC1 : CV_8UC3);
  for (int y = 0; y < pixels.rows; ++y) {
    const uint8_t* in = pixels.ptr<uint8_t>(y);
    uint8_t* to = out.ptr<uint8_t>(y);
    for (int x = 0; x < pixels.cols; ++x) {
      const int alpha = in[grey ? 1 : 3];
      for (int c = 0; c < (grey_out ? 1 : 3); ++c) {
        const int sample = in[grey ? 0 : c];
        *to++ = static_cast<uint8_t>((sample * alpha + bg[c] * (255 - alpha) + 127) / 255);
      }
      in += pixels.channels();
    }
  }
  return out;
}

cv::Mat GreyToRgb(const cv::Mat& pixels) {
  if (pixels.channels() >= 3) return pixels;
  cv::Mat out(pixels.rows, pixels.cols, pixels.channels() == 1 ? CV_8UC3 : CV_8UC4);
  for (int y = 0; y < pixels.rows; ++y) {
    const uint8_t* in = pixels.ptr<uint8_t>(y);
    uint8_t* to = out.ptr<uint8_t>(y);
    for (int x = 0; x < pixels.cols; ++x) {
      *to++ = in[0];
      *to++ = in[0];
      *to++ = in[0];
      if (pixels.channels() == 2) *to++ = in[1];
      in += pixels.channels();
    }
  }
  return out;
}

bool AllOpaque(const cv::Mat& rgba) {
  cv::Mat alpha;
  cv::extractChannel(rgba, alpha, 3);
  return cv::countNonZero(alpha != 255) == 0;
}

// What a viewer shows of `pixels` (RGB or RGBA): RGBA composited on white.
cv::Mat Visible(const cv::Mat& pixels) { return Composite(pixels, 0xFFFFFF); }

// `pixels` (grey, RGB or RGBA) encoded by OpenCV at `quality` and decoded back, as an
// independent encoder of the same format does it.
cv::Mat ThroughOpenCv(const cv::Mat& pixels, const std::string& extension, int quality) {
  cv::Mat bgr;  // new pixels: `pixels` may share the reference's
  if (pixels.channels() == 1) bgr = pixels;
  if (pixels.channels() == 3) cv::cvtColor(pixels, bgr, cv::COLOR_RGB2BGR);
  if (pixels.channels() == 4) cv::cvtColor(pixels, bgr, cv::COLOR_RGBA2BGRA);
  std::vector<uint8_t> file;
  const int flag = extension == ".jpg" ? cv::IMWRITE_JPEG_QUALITY : cv::IMWRITE_WEBP_QUALITY;
  EXPECT_TRUE(cv::imencode(extension, bgr, file, {flag, quality}));
  cv::Mat back = cv::imdecode(file, cv::IMREAD_UNCHANGED);
  if (back.channels() == 3) cv::cvtColor(back, back, cv::COLOR_BGR2RGB);
  if (back.channels() == 4) cv::cvtColor(back, back, cv::COLOR_BGRA2RGBA);
  return back;
}

class OutputFormatsTest : public E2eTest {
 protected:
  // A --format png run over the corpus: each source's thumbnail pixels.
  void SetUp() override {
    CommandResult run = Thumbpipe({"-j", "2", "--no-progress", "--output", work() / "png",
                                   "--manifest", work() / "png.txt", CorpusPath()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    for (const ManifestLine& line : ReadManifest(work() / "png.txt")) {
      reference_[line.source] = LoadThumbnail(work() / "png/" + line.thumbnail);
      ASSERT_FALSE(reference_[line.source].empty()) << line.source;
    }
    ASSERT_GT(reference_.size(), 100u);
  }

  // Runs thumbpipe over the corpus with `args` into thumbnails() and manifest(); checks every
  // thumbnail: the extension, its size, its name from the reference's pixels made ready by
  // `prepare`, and that it decodes as close to them (as shown, in PSNR) as OpenCV's encoder
  // of the format gets at `quality`. Returns the names by source.
  std::map<std::string, std::string> RunAndCheck(const std::vector<std::string>& args,
                                                 const std::string& extension,
                                                 const std::function<cv::Mat(cv::Mat)>& prepare,
                                                 int quality) {
    std::vector<std::string> argv = {"-j", "2", "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(CorpusPath());
    CommandResult run = Thumbpipe(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const std::vector<ManifestLine> lines = VerifyOutputs();
    EXPECT_EQ(lines.size(), reference_.size());
    std::map<std::string, std::string> names;
    for (const ManifestLine& line : lines) {
      names[line.source] = line.thumbnail;
      EXPECT_TRUE(line.thumbnail.ends_with(extension)) << line.thumbnail;
      const auto found = reference_.find(line.source);
      if (found == reference_.end()) {
        ADD_FAILURE() << line.source << " has no PNG thumbnail";
        continue;
      }
      const cv::Mat expected = prepare(found->second);
      EXPECT_EQ(line.thumbnail, ExpectedName(expected, extension)) << line.source;
      const cv::Mat back = LoadThumbnail(thumbnails() + "/" + line.thumbnail);
      if (back.empty()) {
        ADD_FAILURE() << line.source << ": " << line.thumbnail << " does not decode";
        continue;
      }
      EXPECT_EQ(back.cols, expected.cols) << line.source;
      EXPECT_EQ(back.rows, expected.rows) << line.source;
      // A WebP whose alpha is all opaque is written without it.
      if (back.channels() == 3 && expected.channels() == 4 && AllOpaque(expected)) continue;
      EXPECT_EQ(back.channels(), expected.channels()) << line.source;
      if (back.channels() == expected.channels()) {
        const cv::Mat shown = Visible(expected);
        const double psnr = cv::PSNR(Visible(back), shown);
        const double reference =
            cv::PSNR(Visible(ThroughOpenCv(expected, extension, quality)), shown);
        EXPECT_GT(psnr, std::min(reference - 0.5, 40.0)) << line.source;
      }
    }
    return names;
  }

  // Sources whose PNG thumbnail has alpha, and grey ones.
  size_t Count(int channels) const {
    size_t n = 0;
    for (const auto& [source, pixels] : reference_) n += pixels.channels() == channels;
    return n;
  }

  std::map<std::string, cv::Mat> reference_;
};

TEST_F(OutputFormatsTest, JpegIsNamedByThePixelsCompositedOnWhite) {
  ASSERT_GT(Count(4), 0u);
  ASSERT_GT(Count(2), 0u);
  ASSERT_GT(Count(1), 0u);
  RunAndCheck(
      {"--format", "jpeg"}, ".jpg",
      [](const cv::Mat& pixels) { return Composite(pixels, 0xFFFFFF); }, 85);
  // Grey stays grey: one component.
  size_t grey = 0;
  for (const ManifestLine& line : ReadManifest(manifest())) {
    grey += LoadThumbnail(thumbnails() + "/" + line.thumbnail).channels() == 1;
  }
  EXPECT_EQ(grey, Count(1) + Count(2));
}

TEST_F(OutputFormatsTest, JpegBackgroundChangesWhatTransparencyBecomes) {
  const std::map<std::string, std::string> white = RunAndCheck(
      {"--format", "jpeg", "--quality", "95"}, ".jpg",
      [](const cv::Mat& pixels) { return Composite(pixels, 0xFFFFFF); }, 95);
  fs::remove_all(thumbnails());
  fs::remove(manifest());
  const std::map<std::string, std::string> blue = RunAndCheck(
      {"--format", "jpeg", "--quality", "95", "--background", "#336699"}, ".jpg",
      [](const cv::Mat& pixels) { return Composite(pixels, 0x336699); }, 95);
  size_t differ = 0;
  for (const auto& [source, name] : blue) differ += white.count(source) && white.at(source) != name;
  EXPECT_GT(differ, 0u);
}

TEST_F(OutputFormatsTest, WebpKeepsAlphaAndIsNamedByRgbPixels) {
  RunAndCheck(
      {"--format", "webp"}, ".webp", [](const cv::Mat& pixels) { return GreyToRgb(pixels); }, 85);
  size_t with_alpha = 0;
  for (const ManifestLine& line : ReadManifest(manifest())) {
    with_alpha += LoadThumbnail(thumbnails() + "/" + line.thumbnail).channels() == 4;
  }
  EXPECT_GT(with_alpha, 0u);
}

}  // namespace
}  // namespace thumbpipe::testing
