// `cmake --install` puts the launcher in bin/, the roles in libexec/thumbpipe/ and the systemd
// units in lib/systemd/system/, and the installed launcher finds its roles.
#include <filesystem>

#include "tests/e2e/e2e.h"
#include "tests/support/encoders.h"
#include "tests/support/images.h"
#include "tests/support/long_tail_images.h"

namespace thumbpipe::testing {
namespace {

class InstallTest : public E2eTest {};

TEST_F(InstallTest, InstalledLauncherFindsItsRoles) {
  TempDir prefix;
  const CommandResult install = RunCommand(
      {THUMBPIPE_TEST_CMAKE, "--install", THUMBPIPE_TEST_BUILD_DIR, "--prefix", prefix.path()});
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  for (const char* role :
       {"thumbpipe-producer", "thumbpipe-worker", "thumbpipe-sink", "thumbpipe-opencv.so",
        "thumbpipe-magick.so", "thumbpipe-heif.so", "thumbpipe-jxl.so"}) {
    EXPECT_TRUE(std::filesystem::exists(prefix / (std::string("libexec/thumbpipe/") + role)))
        << role;
    EXPECT_FALSE(std::filesystem::exists(prefix / (std::string("bin/") + role))) << role;
  }
  // The systemd units, whose ExecStart= names the launcher where it was installed.
  for (const char* unit : {"thumbpipe@.service", "thumbpipe-watch@.service", "thumbpipe@.timer"}) {
    EXPECT_TRUE(std::filesystem::exists(prefix / (std::string("lib/systemd/system/") + unit)))
        << unit;
  }
  for (const char* unit : {"thumbpipe@.service", "thumbpipe-watch@.service"}) {
    const std::string text = ReadFile(prefix / (std::string("lib/systemd/system/") + unit));
    EXPECT_NE(text.find("\nExecStart=" + (prefix / "bin/thumbpipe") + " "), std::string::npos)
        << text;
    EXPECT_EQ(text.find('@' + std::string("THUMBPIPE")), std::string::npos) << text;
    EXPECT_NE(text.find("\nDynamicUser=yes\n"), std::string::npos) << text;
  }
  const CommandResult run = RunCommand(
      {prefix / "bin/thumbpipe", CorpusPath("exif-orientation"), "2"}, InFolder(work().path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 18);
  EXPECT_TRUE(ShmObjectsOf(run.pid).empty());
  // A BMP needs the OpenCV plug-in, found beside the installed worker.
  TempDir bmp;
  std::filesystem::copy_file(CorpusPath("pillow/formats/hopper.bmp"), bmp / "hopper.bmp");
  const CommandResult with_plugin =
      RunCommand({prefix / "bin/thumbpipe", bmp.path()}, InFolder(work().path()));
  ASSERT_EQ(with_plugin.exit_code, 0) << with_plugin.err;
  EXPECT_EQ(ParseSummary(with_plugin.err).thumbnails, 1) << with_plugin.err;
  // A TGA needs the ImageMagick plug-in, found there too.
  TempDir tga;
  ASSERT_EQ(WriteWithPillow(Pattern(8, 8, 3), tga / "pattern.tga", "TGA"), "");
  const CommandResult with_magick =
      RunCommand({prefix / "bin/thumbpipe", tga.path()}, InFolder(work().path()));
  ASSERT_EQ(with_magick.exit_code, 0) << with_magick.err;
  EXPECT_EQ(ParseSummary(with_magick.err).thumbnails, 1) << with_magick.err;
  // HEIF and JPEG XL need theirs.
  TempDir heif_and_jxl;
  ASSERT_EQ(WriteWithPillow(Pattern(32, 24, 3), heif_and_jxl / "pattern.png", "PNG"), "");
  ASSERT_EQ(EncodeHeif(heif_and_jxl / "pattern.png", heif_and_jxl / "pattern.heic", {"-q", "90"}),
            "");
  ASSERT_EQ(EncodeJxl(heif_and_jxl / "pattern.png", heif_and_jxl / "pattern.jxl"), "");
  std::filesystem::remove(heif_and_jxl / "pattern.png");
  const CommandResult with_heif_and_jxl =
      RunCommand({prefix / "bin/thumbpipe", heif_and_jxl.path()}, InFolder(work().path()));
  ASSERT_EQ(with_heif_and_jxl.exit_code, 0) << with_heif_and_jxl.err;
  EXPECT_EQ(ParseSummary(with_heif_and_jxl.err).thumbnails, 2) << with_heif_and_jxl.err;
}

}  // namespace
}  // namespace thumbpipe::testing
