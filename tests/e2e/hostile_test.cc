// Hostile input and hostile environments: damaged and lying files, names no one should use,
// unreadable files, a full disk, a memory limit, two runs at once.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;

class HostileTest : public E2eTest {
 protected:
  // Writes `bytes` at a path of more than 4096 bytes under `root`, made relative to open
  // folders since the kernel refuses such paths whole.
  static std::string WriteAtLongPath(const std::string& root, const std::string& bytes) {
    std::string path = root;
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
    const std::string name(200, 'd');
    while (path.size() < 4300) {
      ::mkdirat(fd, name.c_str(), 0755);
      const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
      ::close(fd);
      fd = next;
      path += "/" + name;
    }
    const int file = ::openat(fd, "deep.jpg", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    (void)!::write(file, bytes.data(), bytes.size());
    ::close(file);
    ::close(fd);
    return path + "/deep.jpg";
  }
};

TEST_F(HostileTest, EveryHostileFileIsAccountedFor) {
  TempDir photos;
  const std::string jpeg = ReadFile(CorpusPath("exif-orientation/Landscape_1.jpg"));
  const std::string png = ReadFile(CorpusPath("pillow/formats/hopper.png"));
  WriteFile(photos / "empty.jpg", "");
  WriteFile(photos / "text.jpg", "this is not a JPEG\n");
  WriteFile(photos / "half.jpg", jpeg.substr(0, jpeg.size() / 2));
  WriteFile(photos / "half.png", png.substr(0, png.size() / 2));
  WriteFile(photos / "claims-100000x100000.png", PngClaiming(100000, 100000, 4));
  WriteFile(photos / "twelve-bit.jpg", ReadFile(CorpusPath("libjpeg-turbo/monkey12.jpg")));
  ASSERT_EQ(::mkfifo((photos / "fifo.jpg").c_str(), 0600), 0);
  std::filesystem::create_symlink("loop.jpg", photos / "loop.jpg");
  std::filesystem::create_symlink("nowhere.jpg", photos / "dangling.jpg");
  WriteFile(photos / "new\nline.jpg", jpeg);
  WriteFile(photos / "latin1-\xE9\xFF.jpg", png);
  const std::string deep = WriteAtLongPath(photos.path(), jpeg);
  std::filesystem::create_directory(photos / "hostile");
  for (const std::string& name : ListFolder(CorpusPath("pillow/hostile"))) {
    std::filesystem::copy_file(CorpusPath("pillow/hostile/" + name), photos / ("hostile/" + name));
  }
  int corrupt_pngs = 0;
  for (const std::string& name : ListFolder(CorpusPath("pngsuite"))) {
    if (name.starts_with("x")) {
      std::filesystem::copy_file(CorpusPath("pngsuite/" + name), photos / ("hostile/" + name));
      ++corrupt_pngs;
    }
  }
  const long files =
      11 + static_cast<long>(ListFolder(CorpusPath("pillow/hostile")).size()) + corrupt_pngs;

  const CommandResult run = Thumbpipe({photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  ASSERT_TRUE(summary.found) << run.err;
  // Every file but the FIFO ends as a thumbnail, a skip or a counted failure.
  EXPECT_EQ(summary.thumbnails + summary.not_images + summary.failed, files) << run.err;
  const auto failed = [&](const std::string& path, const std::string& reason) {
    EXPECT_THAT(run.err, HasSubstr("failed: '" + path + "': " + reason + "\n"));
  };
  failed(photos / "half.jpg", "JPEG data ends early (the file is truncated)");
  failed(photos / "half.png", "PNG data ends early (the file is truncated)");
  failed(photos / "claims-100000x100000.png",
         "PNG image is 100000x100000 (10000.0 megapixels), more than the limit of 200.0 "
         "(--max-pixels)");
  failed(photos / "twelve-bit.jpg",
         "JPEG file uses 12-bit samples, which thumbpipe does not support");
  failed(photos / "loop.jpg", "cannot open: Too many levels of symbolic links");
  failed(photos / "dangling.jpg", "cannot open: No such file or directory");
  EXPECT_THAT(run.err, HasSubstr("': path is " + std::to_string(deep.size()) +
                                 " bytes long; thumbpipe handles paths of up to 4096 bytes\n"));
  const std::set<std::string> sources = Sources(VerifyOutputs());
  EXPECT_EQ(sources.count(photos / "new\nline.jpg"), 1u);
  EXPECT_EQ(sources.count(photos / "latin1-\xE9\xFF.jpg"), 1u);
}

// Root reads every file, so this runs thumbpipe as nobody.
TEST_F(HostileTest, UnreadableFilesAndFoldersAreReported) {
  TempDir photos;
  ::chmod(photos.path().c_str(), 0755);
  ::chmod(work().path().c_str(), 0777);
  WriteTestImage(photos / "readable.jpg", 300, 200);
  WriteTestImage(photos / "secret.jpg", 300, 200, 1);
  ::chmod((photos / "readable.jpg").c_str(), 0644);
  ::chmod((photos / "secret.jpg").c_str(), 0);
  std::filesystem::create_directory(photos / "locked");
  WriteTestImage(photos / "locked/inside.jpg", 300, 200, 2);
  ::chmod((photos / "locked").c_str(), 0);
  std::vector<std::string> args = {LauncherPath(), photos.path(), "2"};
  if (::geteuid() == 0) {
    args.insert(args.begin(),
                {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  }
  const CommandResult run = RunCommand(args, InFolder(work().path()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos / "secret.jpg") +
                                 "': cannot open: Permission denied\n"));
  EXPECT_THAT(run.err,
              HasSubstr("cannot open folder '" + (photos / "locked") + "': Permission denied\n"));
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 1);
  EXPECT_EQ(summary.failed, 1);
  EXPECT_EQ(Sources(VerifyOutputs()), std::set<std::string>{photos / "readable.jpg"});
  EXPECT_TRUE(ShmObjectsOf(run.pid).empty());
}

TEST_F(HostileTest, PixelLimitIsEnforcedBeforeDecoding) {
  TempDir photos;
  WriteTestImage(photos / "small.png", 30, 30);
  WriteTestImage(photos / "big.png", 64, 64);
  const CommandResult run = Thumbpipe({"--max-pixels", "1000", photos.path()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos / "big.png") +
                                 "': PNG image is 64x64 (0.0 megapixels), more than the limit of "
                                 "0.0 (--max-pixels)\n"));
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 1);
}

// OpenCV reads its pixel limit as its library loads: the worker sets it first, so a PNM that
// claims 1.2 GB of pixels fails on its header, not after OpenCV allocated them.
TEST_F(HostileTest, PixelLimitReachesOpenCv) {
  TempDir photos;
  WriteFile(photos / "claims-20000x20000.ppm", "P6\n20000 20000\n255\n" + std::string(300, '\0'));
  const CommandResult run =
      Thumbpipe({"--max-pixels", "1000000", "--max-memory", "512M", photos.path(), "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos / "claims-20000x20000.ppm") +
                                 "': PNM image has more pixels than the limit of 1.0 megapixels "
                                 "(--max-pixels)\n"));
}

// A decompression bomb: 12000x12000 RGB (432 MB of pixels) in a file of half a megabyte. Read
// row by row, it is shrunk in little memory...
TEST_F(HostileTest, HugePngIsShrunkRowByRowInLittleMemory) {
  TempDir photos;
  WriteFile(photos / "huge.png", PngClaiming(12000, 12000, 12000));
  const CommandResult run =
      Thumbpipe({"--max-pixels", "0", "--max-memory", "512M", photos.path(), "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), 1u);
  const cv::Mat thumb = LoadThumbnail(thumbnails() + "/" + lines[0].thumbnail);
  EXPECT_EQ(thumb.cols, 200);
  EXPECT_EQ(thumb.rows, 200);
}

// ... but interlaced, its rows are complete only at the end: 14000x14000 needs all 588 MB. With no
// pixel limit, the memory limit is what stops it; the rest of the run goes on.
TEST_F(HostileTest, MemoryLimitStopsADecompressionBomb) {
  TempDir photos;
  WriteFile(photos / "bomb.png", PngClaiming(14000, 14000, 0, /*interlaced=*/true));
  WriteTestImage(photos / "fine.jpg", 300, 200);
  CommandOptions options = InFolder(work().path());
  // Sanitizer builds do not limit the address space; their allocator gets a limit instead.
  options.env["ASAN_OPTIONS"] = "max_allocation_size_mb=400";
  const CommandResult run =
      Thumbpipe({"--max-pixels", "0", "--max-memory", "512M", photos.path(), "2"}, options);
  ASSERT_EQ(run.exit_code, 0) << run.err;
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's operator new dies instead of throwing: the worker dies on the bomb,
  // which is then handled like any other crash.
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos / "bomb.png") +
                                 "': the worker exited with status 1 while "
                                 "decoding it\n"));
#else
  EXPECT_THAT(
      run.err,
      HasSubstr("failed: '" + (photos / "bomb.png") +
                "': PNG image of 14000x14000 pixels needs more memory than a worker may use "
                "(--max-memory)\n"));
#endif
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 1);
}

// Runs thumbpipe with `folder` replaced by an empty tmpfs of `size` in a private mount
// namespace (nothing to unmount afterwards, whatever happens).
CommandResult RunWithTinyFilesystem(const std::string& folder, const std::string& size,
                                    const std::string& prefill, std::vector<std::string> args,
                                    const std::string& cwd) {
  std::filesystem::create_directories(folder);
  std::vector<std::string> argv = {
      "/usr/bin/unshare",
      "--map-root-user",
      "--mount",
      "--propagation",
      "private",
      "/bin/sh",
      "-c",
      "mount -t tmpfs -o size=\"$1\" tmpfs \"$0\" && { [ -z \"$2\" ] || head -c \"$2\" /dev/zero > "
      "\"$0/fill\" 2>/dev/null; true; } && shift 2 && exec \"$@\"",
      folder,
      size,
      prefill,
      LauncherPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.cwd = cwd;
  return RunCommand(argv, options);
}

TEST_F(HostileTest, FullDiskFailsThumbnailsNotTheRun) {
  TempDir photos;
  for (int i = 0; i < 12; ++i) WriteNoiseImage(photos / (std::to_string(i) + ".png"), 120, 120, i);
  const std::string out = work() / "thumbnails";
  const CommandResult run =
      RunWithTinyFilesystem(out, "100k", "", {photos.path(), "2"}, work().path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ShmObjectsOf(run.pid).empty());
  const Summary summary = ParseSummary(run.err);
  EXPECT_GE(summary.failed, 8) << run.err;
  EXPECT_EQ(summary.thumbnails + summary.failed, 12);
  EXPECT_THAT(run.err, HasSubstr("No space left on device"));
  // The manifest lists exactly what was written; the tmpfs and its contents are gone with the
  // namespace, so what remains is the manifest.
  EXPECT_EQ(static_cast<long>(ReadManifest(manifest()).size()), summary.thumbnails);
}

TEST_F(HostileTest, ManifestThatCannotBeWrittenFailsTheRun) {
  TempDir photos;
  WriteTestImage(photos / "a.jpg", 300, 200);
  const std::string lists = work() / "lists";
  const CommandResult run = RunWithTinyFilesystem(
      lists, "16k", "16k", {"--manifest", lists + "/processed.txt", photos.path(), "2"},
      work().path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("No space left on device"));
  EXPECT_THAT(run.err, HasSubstr("thumbpipe-sink"));
  EXPECT_THAT(LastLine(run.err), HasSubstr("Finished in"));
  EXPECT_TRUE(ShmObjectsOf(run.pid).empty());
}

TEST_F(HostileTest, TwoRunsAtOnceShareAnOutputFolder) {
  TempDir photos;
  for (const char* sub : {"exif-orientation", "pngsuite"}) {
    std::filesystem::create_directory(photos / sub);
    for (const std::string& name : ListFolder(CorpusPath(sub))) {
      std::filesystem::copy_file(CorpusPath(sub) + "/" + name, photos / sub + "/" + name);
    }
  }
  auto first = Start({photos.path(), "2"});
  auto second = Start({"--manifest", "second.txt", photos.path(), "2"});
  const CommandResult a = Finish(*first);
  const CommandResult b = Finish(*second);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(ReadFile(manifest()), ReadFile(work() / "second.txt"));
  EXPECT_GT(VerifyOutputs().size(), 150u);
}

}  // namespace
}  // namespace thumbpipe::testing
