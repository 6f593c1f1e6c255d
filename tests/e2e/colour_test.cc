// End to end: thumbnails are sRGB, whatever colours their source is in. Images from the corpus
// are converted by Pillow's ImageCms (lcms2) into Adobe RGB, ProPhoto, Display P3 and CMYK and
// saved with the profile embedded in JPEG, PNG, WebP and TIFF (tests/e2e/colour_images.py),
// and AVIF (avifenc, with a profile or nclx), and the corpus's YCCK JPEG (Adobe's inverted
// inks, no profile: read through the default CMYK profile);
// beside each, the reference: the same file read by Pillow and converted back to sRGB, saved
// untagged. The real thumbpipe makes thumbnails of both in one run; the tagged file's must
// match the reference's within 2 levels on average and 8 at most. So that the check cannot
// pass by doing nothing, each case must also be one that ignoring the profile would fail.
#include <lcms2.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

// Display P3 as lcms2 builds it: DCI-P3 primaries, D65 white, sRGB's tone curve.
void WriteDisplayP3Profile(const std::string& path) {
  const cmsCIExyY white{0.3127, 0.3290, 1.0};
  const cmsCIExyYTRIPLE primaries{{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
  const double srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
  cmsToneCurve* curve = cmsBuildParametricToneCurve(nullptr, 4, srgb);
  cmsToneCurve* curves[3] = {curve, curve, curve};
  cmsHPROFILE profile = cmsCreateRGBProfile(&white, &primaries, curves);
  ASSERT_NE(profile, nullptr);
  ASSERT_TRUE(cmsSaveProfileToFile(profile, path.c_str()));
  cmsCloseProfile(profile);
  cmsFreeToneCurve(curve);
}

struct Difference {
  double mean = 0;
  int max = 0;
};

Difference Compare(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max);
  const cv::Scalar sums = cv::sum(diff);
  const double total = sums[0] + sums[1] + sums[2] + sums[3];
  return {total / (static_cast<double>(diff.total()) * diff.channels()), static_cast<int>(max)};
}

class ColourTest : public E2eTest {
 protected:
  // Makes the images (see colour_images.py) under work()/images; returns that folder.
  std::string MakeImages() {
    const std::string images = work() / "images";
    const std::string p3 = work() / "display-p3.icc";
    WriteDisplayP3Profile(p3);
    const CommandResult made = RunCommand(
        {"/usr/bin/python3", std::string(THUMBPIPE_TEST_SOURCE_DIR) + "/e2e/colour_images.py",
         images, p3, "--cmyk-jpeg", CorpusPath("pillow/formats/pil_sample_cmyk.jpg"),
         CorpusPath("exif-orientation/Landscape_1.jpg"), CorpusPath("pillow/formats/hopper.png")});
    EXPECT_EQ(made.exit_code, 0)
        << "colour_images.py failed (Debian's python3-pil, colord-data and libgs-common are "
           "needed):\n"
        << made.err;
    return images;
  }

  // avifenc's lossless AVIF of `png`.
  static void EncodeAvif(const std::string& png, const std::string& avif,
                         std::vector<std::string> options) {
    std::vector<std::string> argv = {"/usr/bin/avifenc", "--lossless"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {png, avif});
    const CommandResult run = RunCommand(argv);
    EXPECT_EQ(run.exit_code, 0) << "avifenc (Debian's libavif-bin) failed:\n" << run.out << run.err;
  }

  // Gives tagged/`name` the reference and raw images of tagged/`existing`.
  static void SameReference(const std::string& images, const std::string& existing,
                            const std::string& name) {
    for (const char* folder : {"/reference/", "/raw/"}) {
      fs::copy_file(images + folder + existing + ".png", images + folder + name + ".png");
    }
  }

  // The manifest's thumbnails by source path relative to `root`.
  std::map<std::string, std::string> ThumbnailsBySource(const std::string& root) {
    std::map<std::string, std::string> by_source;
    for (const ManifestLine& line : VerifyOutputs()) {
      by_source[fs::relative(line.source, root).string()] = thumbnails() + "/" + line.thumbnail;
    }
    return by_source;
  }
};

TEST_F(ColourTest, TaggedImagesComeOutAsTheirSrgbReference) {
  const std::string images = MakeImages();
  ASSERT_FALSE(HasFailure());
  // 3 images x (3 RGB spaces x 4 formats + CMYK with and without a profile x 2 formats), the
  // photo at full size in 3 spaces x 2 formats, the corpus's YCCK JPEG.
  ASSERT_EQ(ListFolder(images + "/tagged").size(), 3u * (3 * 4 + 2 * 2) + 3 * 2 + 1)
      << "colour_images.py made other files";
  // AVIF (read through libheif, as HEIC is), losslessly by avifenc: with the PNG's profile
  // (a colr box of type prof), and from the untagged Display P3 samples with nclx code points
  // that say the same (primaries 12, DCI-P3 with D65; transfer 13, sRGB's curve).
  for (const char* space : {"adobe-rgb", "prophoto", "display-p3"}) {
    const std::string name = std::string("chart-") + space;
    EncodeAvif(images + "/tagged/" + name + ".png", images + "/tagged/" + name + ".avif", {});
    SameReference(images, name + ".png", name + ".avif");
  }
  EncodeAvif(images + "/raw/chart-display-p3.png.png",
             images + "/tagged/chart-display-p3-nclx.avif", {"--cicp", "12/13/0"});
  SameReference(images, "chart-display-p3.png", "chart-display-p3-nclx.avif");
  ASSERT_FALSE(HasFailure());

  const CommandResult run = Thumbpipe({images});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::map<std::string, std::string> thumbnails = ThumbnailsBySource(images);
  for (const std::string& name : ListFolder(images + "/tagged")) {
    SCOPED_TRACE(name);
    ASSERT_EQ(thumbnails.count("tagged/" + name), 1u);
    ASSERT_EQ(thumbnails.count("reference/" + name + ".png"), 1u);
    ASSERT_EQ(thumbnails.count("raw/" + name + ".png"), 1u);
    const cv::Mat got = LoadThumbnail(thumbnails.at("tagged/" + name));
    const cv::Mat reference = LoadThumbnail(thumbnails.at("reference/" + name + ".png"));
    const cv::Mat raw = LoadThumbnail(thumbnails.at("raw/" + name + ".png"));
    ASSERT_EQ(got.size(), reference.size());
    ASSERT_EQ(got.channels(), 3);
    const Difference d = Compare(got, reference);
    EXPECT_LE(d.mean, 2.0);
    EXPECT_LE(d.max, 8);
    // Ignoring the profile would not pass.
    const Difference ignored = Compare(raw, reference);
    EXPECT_TRUE(ignored.mean > 2.0 || ignored.max > 8)
        << "a case that cannot tell conversion from none: mean " << ignored.mean << ", max "
        << ignored.max;
    // sRGB, and says so: the sRGB chunk right after IHDR, no profile of its own.
    const std::string png = ReadFile(thumbnails.at("tagged/" + name));
    ASSERT_GT(png.size(), 8u + 25 + 13);
    EXPECT_EQ(png.substr(8 + 25 + 4, 5), std::string("sRGB\0", 5));
    EXPECT_EQ(png.find("iCCP"), std::string::npos);
    RecordProperty(name, fmt::format("mean {:.2f} max {} (ignored: mean {:.2f} max {})", d.mean,
                                     d.max, ignored.mean, ignored.max));
  }
}

TEST_F(ColourTest, AnSrgbProfileChangesNothing) {
  const std::string images = MakeImages();
  ASSERT_FALSE(HasFailure());
  const CommandResult run = Thumbpipe({images + "/srgb"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::map<std::string, std::string> thumbnails = ThumbnailsBySource(images + "/srgb");
  ASSERT_EQ(thumbnails.size(), 6u);
  // Same pixels, so the same name: colord's sRGB profile is taken as what it is.
  for (const char* stem : {"chart", "Landscape_1", "hopper"}) {
    EXPECT_EQ(fs::path(thumbnails.at(std::string(stem) + "-tagged.jpg")).filename(),
              fs::path(thumbnails.at(std::string(stem) + "-untagged.jpg")).filename())
        << stem;
  }
}

}  // namespace
}  // namespace thumbpipe::testing
