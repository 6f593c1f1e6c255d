// The HEIF and JPEG XL decoders live in plug-ins (plugin_decoder.h): the worker program does not
// link libheif or libjxl (nor what they start: libde265, x265, dav1d, aom, libhwy), and in a
// fresh process the plug-ins are loaded by the first file that needs them, not before.
#include "worker/decoders/plugin_decoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "tests/support/encoders.h"
#include "tests/support/images.h"
#include "tests/support/support.h"
#include "tests/worker/decoders/decode_helpers.h"
#include "worker/decoders/magick_plugin.h"
#include "worker/thumbnailer.h"

namespace thumbpipe {
namespace {

using Outcome = Thumbnail::Outcome;

using testing::Mapped;

// Whether a thumbnail of `file` is made; says why not on stderr.
bool Thumbnails(const std::string& file) {
  const Thumbnail thumbnail = testing::ThumbnailOf(file, {16, 16});
  if (thumbnail.outcome != Outcome::kThumbnail)
    std::fprintf(stderr, "%s\n", thumbnail.reason.c_str());
  return thumbnail.outcome == Outcome::kThumbnail;
}

TEST(PluginDecoderTest, TheWorkerProgramDoesNotLinkLibheifOrLibjxl) {
  const testing::CommandResult readelf = testing::RunCommand(
      {"/usr/bin/readelf", "--dynamic", testing::RoleFolder() + "/thumbpipe-worker"});
  ASSERT_EQ(readelf.exit_code, 0) << readelf.err;
  EXPECT_NE(readelf.out.find("(NEEDED)"), std::string::npos) << "readelf printed no dependencies";
  EXPECT_NE(readelf.out.find("libjpeg"), std::string::npos) << readelf.out;
  for (const char* library : {"libheif", "libjxl", "libde265", "libhwy", "libx265", "libaom"})
    EXPECT_EQ(readelf.out.find(library), std::string::npos) << library << " in\n" << readelf.out;
}

// In a fresh process (a death test re-runs this binary for this test alone). This test binary
// links OpenCV, whose GDAL may map libheif by itself, so what is checked is the plug-ins and
// libjxl (which nothing else here links).
TEST(PluginDecoderTest, LoadedOnlyWhenSuchAFileComes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Made and removed before the death test: its child runs this test again from the start
  // and ends with _Exit, which would leave a folder of its own behind.
  std::string heif, jxl;
  {
    testing::TempDir dir;
    const std::string png = dir / "picture.png";
    ASSERT_TRUE(cv::imwrite(png, testing::Picture(64, 48, 3)));
    ASSERT_EQ(testing::EncodeHeif(png, dir / "picture.heic", {"-q", "90"}), "");
    ASSERT_EQ(testing::EncodeJxl(png, dir / "picture.jxl", {"-d", "0", "-e", "1"}), "");
    heif = testing::ReadFile(dir / "picture.heic");
    jxl = testing::ReadFile(dir / "picture.jxl");
  }
  EXPECT_EXIT(
      {
        for (const char* other : {"pngsuite/basn2c08.png", "pillow/formats/hopper.jpg",
                                  "pillow/formats/hopper.gif", "pillow/formats/hopper.webp"}) {
          if (!Thumbnails(testing::ReadFile(testing::CorpusPath(other)))) std::_Exit(2);
        }
        if (Mapped("thumbpipe-heif") || Mapped("thumbpipe-jxl") || Mapped("libjxl")) {
          std::fprintf(stderr, "a decoder plug-in was loaded for other formats\n");
          std::_Exit(3);
        }
        if (!Thumbnails(heif)) std::_Exit(4);
        if (!Mapped("thumbpipe-heif") || Mapped("thumbpipe-jxl")) {
          std::fprintf(stderr, "a HEIF file did not load thumbpipe-heif.so alone\n");
          std::_Exit(5);
        }
        if (!Thumbnails(jxl)) std::_Exit(6);
        if (!Mapped("thumbpipe-jxl") || !Mapped("libjxl")) {
          std::fprintf(stderr, "a JPEG XL file did not load thumbpipe-jxl.so and libjxl\n");
          std::_Exit(7);
        }
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// A plug-in that is missing gives every file of its format the same plain error, and the
// process goes on.
TEST(PluginDecoderTest, AMissingPlugInIsAnErrorThatSaysWhich) {
  const PluginDecoder missing("thumbpipe-no-such-plugin.so", "thumbpipe_heif_decoder",
                              Format::kHeif);
  MemoryInput input({});
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Status status = missing.Decode(input, request, nullptr);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("HEIF/AVIF decoder could not be loaded: "), std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find("thumbpipe-no-such-plugin.so"), std::string::npos)
        << status.message();
    // Says nothing of the file: not remembered as its failure, tried again by a later run.
    EXPECT_TRUE(status.IsTransient());
  }
  // A plug-in of ours without that entry point.
  const PluginDecoder wrong(THUMBPIPE_MAGICK_PLUGIN, "thumbpipe_heif_decoder", Format::kHeif);
  const Status status = wrong.Decode(input, request, nullptr);
  EXPECT_NE(status.message().find("is not a thumbpipe plug-in of this version"), std::string::npos)
      << status.message();
}

// A plug-in another build left in the folder (an older installation) has the entry point, but
// not this worker's interface: it is refused before the worker calls into it, and named.
TEST(PluginDecoderTest, APlugInOfAnotherBuildIsRefused) {
  const PluginDecoder stale("thumbpipe-test-stale.so", "thumbpipe_heif_decoder", Format::kHeif);
  MemoryInput input({});
  DecodeRequest request;
  request.needed_size = [](Size full) { return full; };
  const Status status = stale.Decode(input, request, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("thumbpipe-test-stale.so' was built for another thumbpipe "
                                  "(plug-in interface 0123456789abcdef, this worker's "),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("install thumbpipe again"), std::string::npos)
      << status.message();
  EXPECT_TRUE(status.IsTransient());
}

}  // namespace
}  // namespace thumbpipe
