#include "launcher/command_line.h"

#include <gtest/gtest.h>

#include "tests/launcher/command_line_fixture.h"

namespace thumbpipe {
namespace {

class CommandLineTest : public CommandLineFixture {
 protected:
  CommandLineTest() {
    default_workers_ = 6;
    env_ = {{"XDG_CACHE_HOME", "/cache"}, {"HOME", "/home/ana"}};
  }
};

TEST_F(CommandLineTest, Defaults) {
  ASSERT_EQ(Parse({"."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.root, dir_.path());
  EXPECT_EQ(options_.workers, 6);
  EXPECT_EQ(options_.box_width, 200u);
  EXPECT_EQ(options_.box_height, 200u);
  EXPECT_EQ(options_.output_dir, dir_ / "thumbnails");
  EXPECT_EQ(options_.manifest, dir_ / "processed.txt");
  EXPECT_EQ(options_.verbosity, Verbosity::kNormal);
  EXPECT_EQ(options_.readahead, 64u << 20);
  EXPECT_EQ(options_.decode_slots, 6);  // the CPUs, whatever the number of workers
  EXPECT_EQ(options_.symlinks, SymlinkPolicy::kAll);
  EXPECT_EQ(options_.format, OutputFormat::kPng);
  EXPECT_EQ(options_.quality, 1);
  EXPECT_EQ(options_.background, 0xFFFFFFu);
}

TEST_F(CommandLineTest, PositionalWorkersAndOptionAreTheSame) {
  ASSERT_EQ(Parse({".", "3"}), ParseOutcome::kRun);
  EXPECT_EQ(options_.workers, 3);
  ASSERT_EQ(Parse({"-j", "3", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.workers, 3);
  ASSERT_EQ(Parse({"--workers=4", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.workers, 4);
  ASSERT_EQ(Parse({".", "3", "-j", "3"}), ParseOutcome::kRun);
}

TEST_F(CommandLineTest, AllOptions) {
  ASSERT_EQ(Parse({"--size", "320x240", "--output", "out/thumbs", "--manifest", "/tmp/../list.txt",
                   "-v", dir_.path() + "/./"}),
            ParseOutcome::kRun)
      << text_;
  EXPECT_EQ(options_.box_width, 320u);
  EXPECT_EQ(options_.box_height, 240u);
  EXPECT_EQ(options_.output_dir, dir_ / "out/thumbs");
  EXPECT_EQ(options_.manifest, "/list.txt");
  EXPECT_EQ(options_.root, dir_.path());
  EXPECT_EQ(options_.verbosity, Verbosity::kVerbose);
  ASSERT_EQ(Parse({"-q", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.verbosity, Verbosity::kQuiet);
  ASSERT_EQ(Parse({"--readahead", "1G", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.readahead, 1u << 30);
  ASSERT_EQ(Parse({"--readahead", "0", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.readahead, 0u);
  ASSERT_EQ(Parse({"--decode-slots", "3", "-j", "16", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.decode_slots, 3);
  EXPECT_EQ(options_.workers, 16);  // the workers asked for, all of them
  ASSERT_EQ(Parse({"--decode-slots", "0", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.decode_slots, 0);
}

TEST_F(CommandLineTest, SymlinkPolicy) {
  for (auto [word, policy] : {std::pair{"all", SymlinkPolicy::kAll},
                              {"inside", SymlinkPolicy::kInside},
                              {"none", SymlinkPolicy::kNone}}) {
    ASSERT_EQ(Parse({"--symlinks", word, "."}), ParseOutcome::kRun) << text_;
    EXPECT_EQ(options_.symlinks, policy) << word;
    ASSERT_EQ(Parse({std::string("--symlinks=") + word, "."}), ParseOutcome::kRun) << text_;
    EXPECT_EQ(options_.symlinks, policy) << word;
  }
}

TEST_F(CommandLineTest, OutputFormats) {
  ASSERT_EQ(Parse({"--format", "jpeg", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.format, OutputFormat::kJpeg);
  EXPECT_EQ(options_.quality, 85);
  EXPECT_EQ(options_.background, 0xFFFFFFu);
  ASSERT_EQ(Parse({"--format=webp", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.format, OutputFormat::kWebp);
  EXPECT_EQ(options_.quality, 85);
  ASSERT_EQ(Parse({"--format", "png", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.format, OutputFormat::kPng);
  EXPECT_EQ(options_.quality, 1);
  ASSERT_EQ(Parse({"--format", "webp", "--size", "16383x16383", "."}), ParseOutcome::kRun) << text_;
  ASSERT_EQ(Parse({"--format", "jpeg", "--size", "65500x65500", "."}), ParseOutcome::kRun) << text_;
}

TEST_F(CommandLineTest, QualityIsReadForTheFormat) {
  ASSERT_EQ(Parse({"--format", "jpeg", "--quality", "1", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.quality, 1);
  ASSERT_EQ(Parse({"--quality", "100", "--format", "webp", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.quality, 100);
  ASSERT_EQ(Parse({"--quality", "0", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.quality, 0);
  ASSERT_EQ(Parse({"--quality", "9", "--format", "png", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.quality, 9);
}

TEST_F(CommandLineTest, BackgroundOfJpeg) {
  ASSERT_EQ(Parse({"--format", "jpeg", "--background", "black", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.background, 0u);
  ASSERT_EQ(Parse({"--format", "jpeg", "--background", "white", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.background, 0xFFFFFFu);
  ASSERT_EQ(Parse({"--format", "jpeg", "--background", "#3366Ff", "."}), ParseOutcome::kRun)
      << text_;
  EXPECT_EQ(options_.background, 0x3366FFu);
}

TEST_F(CommandLineTest, BadFormatQualityAndBackground) {
  ExpectUsageError({"--format", "gif", "."}, "--format must be png, jpeg or webp, not 'gif'");
  ExpectUsageError({"--format", "", "."}, "--format must be png, jpeg or webp, not ''");
  ExpectUsageError({"--format", "jpeg", "--quality", "0", "."},
                   "--quality of JPEG thumbnails must be a whole number from 1 to 100, not '0'");
  ExpectUsageError({"--format", "webp", "--quality", "101", "."},
                   "--quality of WebP thumbnails must be a whole number from 1 to 100, not "
                   "'101'");
  ExpectUsageError({"--format", "jpeg", "--quality", "high", "."},
                   "--quality of JPEG thumbnails must be a whole number from 1 to 100, not "
                   "'high'");
  ExpectUsageError({"--quality", "10", "."},
                   "--quality of PNG thumbnails is the zlib level, a whole number from 0 to 9, "
                   "not '10'");
  ExpectUsageError({"--format", "jpeg", "--background", "red", "."},
                   "--background must be #rrggbb, white or black, not 'red'");
  ExpectUsageError({"--format", "jpeg", "--background", "#12345", "."},
                   "--background must be #rrggbb, white or black, not '#12345'");
  ExpectUsageError({"--format", "webp", "--size", "16384x100", "."},
                   "--size 16384x100 is too large for WebP thumbnails, whose sides are at most "
                   "16383");
  ExpectUsageError({"--format", "jpeg", "--size", "100x65501", "."},
                   "--size 100x65501 is too large for JPEG thumbnails, whose sides are at most "
                   "65500");
  ExpectUsageError({"--format", "webp", "--background", "black", "."},
                   "--background is for --format jpeg (PNG and WebP thumbnails keep "
                   "transparency)");
}

TEST_F(CommandLineTest, HelpAndVersion) {
  ASSERT_EQ(Parse({"--help"}), ParseOutcome::kPrintText);
  for (const char* word :
       {"ROOT",      "WORKERS",     "--workers",    "--size",      "--output",       "--manifest",
        "--verbose", "--quiet",     "--version",    "--readahead", "--decode-slots", "--symlinks",
        "--format",  "--quality",   "--background", "default: 85", "composited",     "Exit status",
        "--layout",  "freedesktop", "normal,large", "xx-large"}) {
    EXPECT_NE(text_.find(word), std::string::npos) << word;
  }
  ASSERT_EQ(Parse({"--version"}), ParseOutcome::kPrintText);
  EXPECT_TRUE(text_.starts_with("thumbpipe ")) << text_;
}

TEST_F(CommandLineTest, BadUsageSaysWhatAndHowToFix) {
  testing::WriteFile(dir_ / "file.jpg", "");
  ExpectUsageError(
      {}, "missing ROOT, the folder to make thumbnails of (for example: thumbpipe ~/Pictures)");
  ExpectUsageError({"missing"}, "cannot use ROOT 'missing': No such file or directory");
  ExpectUsageError({"file.jpg"},
                   "ROOT 'file.jpg' is not a folder; give the folder that holds the images");
  ExpectUsageError({".", "0"}, "WORKERS must be a whole number from 1 to 1024, not '0'");
  ExpectUsageError({".", "two"}, "WORKERS must be a whole number from 1 to 1024, not 'two'");
  ExpectUsageError({".", "-j", "-1"}, "WORKERS must be a whole number from 1 to 1024, not '-1'");
  ExpectUsageError({".", "2.5"}, "WORKERS must be a whole number from 1 to 1024, not '2.5'");
  ExpectUsageError({".", "1025"}, "WORKERS must be a whole number from 1 to 1024, not '1025'");
  ExpectUsageError({".", "3", "-j", "4"},
                   "the number of workers is given twice (3 and -j 4); give it once");
  for (const char* size :
       {"200", "0x200", "200x0", "65536x10", "axb", "200x200x3", "-200x200", "200X200"}) {
    ExpectUsageError(
        {".", "--size", size},
        std::string(
            "--size must be WxH with both sides from 1 to 65535 (for example 200x200), not '") +
            size + "'");
  }
  ExpectUsageError({".", "--frobnicate"},
                   "The following argument was not expected: --frobnicate; see 'thumbpipe --help'");
  ExpectUsageError({".", "3", "extra"},
                   "The following argument was not expected: extra; see 'thumbpipe --help'");
  ExpectUsageError({".", "--size"}, "--size: 1 required WxH missing; see 'thumbpipe --help'");
  ExpectUsageError({".", "-v", "-q"}, "--verbose excludes --quiet; see 'thumbpipe --help'");
  ExpectUsageError({".", "--output", ""}, "--output must not be empty");
  ExpectUsageError({".", "--decode-slots", "-1"},
                   "--decode-slots must be a whole number from 0 (no limit) to 1024, not '-1'");
  ExpectUsageError({".", "--decode-slots", "two"},
                   "--decode-slots must be a whole number from 0 (no limit) to 1024, not 'two'");
  ExpectUsageError({".", "--readahead", "lots"},
                   "--readahead must be a size such as 64M or 1G (0 to turn it off), not 'lots'");
  for (const char* policy : {"bogus", "", "Inside", "inside,none"}) {
    ExpectUsageError({".", "--symlinks", policy},
                     std::string("--symlinks must be all, inside or none, not '") + policy + "'");
  }
  ExpectUsageError({".", "--symlinks"},
                   "--symlinks: 1 required POLICY missing; see 'thumbpipe --help'");
  ExpectUsageError({"/" + std::string(5000, 'a')},
                   "ROOT is 5001 bytes long; thumbpipe handles paths of up to 4096 bytes");
}

TEST_F(CommandLineTest, FreedesktopLayout) {
  EXPECT_EQ(Parse({"."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.layout, OutputLayout::kFlat);
  EXPECT_EQ(Parse({"--layout", "flat", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.layout, OutputLayout::kFlat);

  ASSERT_EQ(Parse({"--layout", "freedesktop", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.layout, OutputLayout::kFreedesktop);
  EXPECT_EQ(options_.desktop_flavours, 0b0011u);
  EXPECT_EQ(options_.output_dir, "/cache/thumbnails");
  EXPECT_EQ(options_.manifest, "/cache/thumbpipe/processed.txt");
  EXPECT_EQ(options_.format, OutputFormat::kPng);
  EXPECT_EQ(options_.box_width, 256u);
  EXPECT_EQ(options_.box_height, 256u);
  EXPECT_FALSE(options_.incremental);

  ASSERT_EQ(Parse({"--layout=freedesktop", "--size", "xx-large,128x128", "--manifest", "list.txt",
                   "--format", "png", "--quality", "6", "--force", "--retry-failed", "."}),
            ParseOutcome::kRun)
      << text_;
  EXPECT_EQ(options_.desktop_flavours, 0b1001u);
  EXPECT_EQ(options_.box_width, 1024u);
  EXPECT_EQ(options_.manifest, dir_ / "list.txt");
  EXPECT_EQ(options_.quality, 6);
  EXPECT_TRUE(options_.force);
  EXPECT_TRUE(options_.retry_failed);
  ASSERT_EQ(Parse({"--layout", "freedesktop", "--size", "large,x-large,512x512,normal", "."}),
            ParseOutcome::kRun);
  EXPECT_EQ(options_.desktop_flavours, 0b0111u);

  // The XDG rule: a relative XDG_CACHE_HOME is ignored.
  env_["XDG_CACHE_HOME"] = "relative";
  ASSERT_EQ(Parse({"--layout", "freedesktop", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.output_dir, "/home/ana/.cache/thumbnails");
  EXPECT_EQ(options_.manifest, "/home/ana/.cache/thumbpipe/processed.txt");
  env_.erase("XDG_CACHE_HOME");
  ASSERT_EQ(Parse({"--layout", "freedesktop", "."}), ParseOutcome::kRun);
  EXPECT_EQ(options_.output_dir, "/home/ana/.cache/thumbnails");
  env_.erase("HOME");
  ExpectUsageError({"--layout", "freedesktop", "."},
                   "--layout freedesktop needs the cache folder: set XDG_CACHE_HOME or HOME to an "
                   "absolute path");
  EXPECT_EQ(Parse({"."}), ParseOutcome::kRun) << "only the layout needs them";
}

TEST_F(CommandLineTest, FreedesktopLayoutUsageErrors) {
  ExpectUsageError({"--layout", "gnome", "."}, "--layout must be flat or freedesktop, not 'gnome'");
  for (const char* size : {"200x200", "normal,", "huge", "128x256", "Normal", "normal,,large"}) {
    ExpectUsageError(
        {"--layout", "freedesktop", "--size", size, "."},
        std::string("--size with --layout freedesktop takes the standard's sizes: normal "
                    "(128x128), large (256x256), x-large (512x512) or xx-large (1024x1024), "
                    "several separated by commas (for example normal,large), not '") +
            size + "'");
  }
  for (const char* format : {"jpeg", "webp"}) {
    ExpectUsageError({"--layout", "freedesktop", "--format", format, "."},
                     "--layout freedesktop writes PNG thumbnails, as the Thumbnail Managing "
                     "Standard says; leave out --format");
  }
  ExpectUsageError({"--layout", "freedesktop", "--output", "out", "."},
                   "--layout freedesktop writes where desktops look, $XDG_CACHE_HOME/thumbnails "
                   "(or ~/.cache/thumbnails); leave out --output, or set XDG_CACHE_HOME");
  ExpectUsageError({"--layout", "freedesktop", "--prune", "--incremental", "."},
                   "--incremental is not for --layout freedesktop: the cache itself says which "
                   "thumbnails are current, so every run does only what is new or changed");
  ExpectUsageError({"--layout", "freedesktop", "--watch", "."},
                   "--watch is not for --layout freedesktop: the cache itself says which "
                   "thumbnails are current, so every run does only what is new or changed");
  ExpectUsageError({"--layout", "freedesktop", "--catalog", "c", "."},
                   "--catalog is not for --layout freedesktop: the cache itself says which "
                   "thumbnails are current, so every run does only what is new or changed");
  ExpectUsageError({"--layout", "freedesktop", "--prune", "."},
                   "--prune is not for --layout freedesktop: the cache is shared with other "
                   "programs, whose thumbnails are not thumbpipe's to remove");
  // Without the layout, --force and --retry-failed still need --incremental.
  ExpectUsageError({"--force", "."}, "--force is for incremental runs; add --incremental");
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

using SizesCommandLineTest = CommandLineFixture;

TEST_F(SizesCommandLineTest, SeveralBoxesInTheOrderGiven) {
  ASSERT_EQ(Parse({"--size", "512x512,128x128,300x200", "."}), ParseOutcome::kRun) << text_;
  EXPECT_EQ(options_.box_width, 512u);
  EXPECT_EQ(options_.box_height, 512u);
  EXPECT_EQ(options_.more_boxes, (std::vector<Box>{{128, 128}, {300, 200}}));
  EXPECT_EQ(RunBoxes(options_), (std::vector<Box>{{512, 512}, {128, 128}, {300, 200}}));
  ASSERT_EQ(Parse({"--size", "320x240", "."}), ParseOutcome::kRun) << text_;
  EXPECT_TRUE(options_.more_boxes.empty());
  ASSERT_EQ(Parse({"--size", "1x1,2x2,3x3,4x4,5x5,6x6,7x7,8x8", "."}), ParseOutcome::kRun);
  EXPECT_EQ(RunBoxes(options_).size(), kMaxBoxes);
}

TEST_F(SizesCommandLineTest, BadListsAreUsageErrors) {
  const std::string list_error =
      "--size must be WxH with both sides from 1 to 65535 (for example 200x200), or several "
      "such boxes separated by commas (128x128,512x512), not '";
  for (const char* size : {"128x128,", ",128x128", "128x128,,256x256", "128x128,0x5", "1x1;2x2"}) {
    EXPECT_EQ(Parse({"--size", size, "."}), ParseOutcome::kUsageError) << size;
    if (std::string(size).find(',') != std::string::npos) {
      EXPECT_EQ(text_, list_error + size + "'");
    }
  }
  EXPECT_EQ(Parse({"--size", "128x128,256x256,128x128", "."}), ParseOutcome::kUsageError);
  EXPECT_EQ(text_, "--size gives 128x128 twice; give each box once");
  EXPECT_EQ(Parse({"--size", "1x1,2x2,3x3,4x4,5x5,6x6,7x7,8x8,9x9", "."}),
            ParseOutcome::kUsageError);
  EXPECT_EQ(text_, "--size gives 9 boxes; at most 8 are made from one decode");
  EXPECT_EQ(Parse({"--format", "webp", "--size", "100x100,16384x100", "."}),
            ParseOutcome::kUsageError);
  EXPECT_EQ(text_,
            "--size 16384x100 is too large for WebP thumbnails, whose sides are at most 16383");
}

}  // namespace
}  // namespace thumbpipe
