// End to end: several sizes from one decode (--size 128x128,256x256,...) with the real
// binaries on the shared corpus. Each size lands in its folder and the manifest lists a block
// of lines per source; every size is at least as close to an exact reference (the image
// decoded whole and shrunk in floating point) as a run of that size alone; the output does
// not depend on the run or the number of workers; incremental runs carry every size over and
// --prune knows every size folder.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <regex>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

// Corpus images of every decoder that shrinks on load (JPEG by DCT scaling, WebP by libwebp's
// rescaler) or not, large and small, turned by EXIF or not; none with alpha or colours to
// convert, which the reference (OpenCV) would not see as thumbpipe does.
const char* const kImages[] = {
    "exif-orientation/Landscape_1.jpg", "exif-orientation/Landscape_6.jpg",
    "exif-orientation/Portrait_3.jpg",  "exif-orientation/Portrait_8.jpg",
    "libjpeg-turbo/testorig.jpg",       "libjpeg-turbo/testimgint.jpg",
    "libjpeg-turbo/testorig.ppm",       "libjpeg-turbo/shira_bird8.bmp",
    "pillow/formats/hopper.webp",       "pillow/formats/hopper.jpg",
    "pillow/formats/hopper.png",        "pillow/formats/hopper.tif",
};

class SizesTest : public E2eTest {
 protected:
  void SetUp() override {
    photos_ = work() / "photos";
    fs::create_directories(photos_);
    for (const char* image : kImages) {
      fs::copy_file(CorpusPath(image), photos_ + "/" + fs::path(image).filename().string());
    }
  }

  // Runs thumbpipe on the photos with `size` into `output` (a folder of work()); returns the
  // manifest's lines.
  std::vector<ManifestLine> RunInto(const std::string& output, const std::string& size,
                                    const std::string& workers = "2",
                                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--size", size,   "--output", work() / output, "--manifest", work() / (output + ".txt"),
        "-j",     workers};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(photos_);
    const CommandResult run = Thumbpipe(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return ReadManifest(work() / (output + ".txt"));
  }

  // The reference for `source` at `size`: decoded whole by OpenCV (EXIF orientation applied),
  // shrunk by area in floating point, rounded once; channels B,G,R.
  static cv::Mat Reference(const std::string& source, cv::Size size) {
    const cv::Mat full = cv::imread(source, cv::IMREAD_COLOR);
    EXPECT_FALSE(full.empty()) << source;
    cv::Mat as_float, shrunk, rounded;
    full.convertTo(as_float, CV_32F);
    cv::resize(as_float, shrunk, size, 0, 0, cv::INTER_AREA);
    shrunk.convertTo(rounded, CV_8U);
    return rounded;
  }

  // A thumbnail as B,G,R.
  static cv::Mat AsBgr(const cv::Mat& thumbnail) {
    cv::Mat bgr;
    if (thumbnail.channels() == 1) {
      cv::cvtColor(thumbnail, bgr, cv::COLOR_GRAY2BGR);
    } else {
      cv::cvtColor(thumbnail, bgr, cv::COLOR_RGB2BGR);
    }
    return bgr;
  }

  // Source path -> thumbnail (path relative to `output`), from a manifest's lines.
  static std::map<std::string, std::string> BySource(const std::vector<ManifestLine>& lines,
                                                     const std::string& folder = "") {
    std::map<std::string, std::string> by_source;
    for (const ManifestLine& line : lines) {
      if (folder.empty() || line.thumbnail.starts_with(folder + "/")) {
        EXPECT_EQ(by_source.count(line.source), 0u) << line.source;
        by_source[line.source] = line.thumbnail;
      }
    }
    return by_source;
  }

  // Every file under `folder` (relative path -> bytes).
  static std::map<std::string, std::string> Tree(const std::string& folder) {
    std::map<std::string, std::string> tree;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (entry.is_regular_file()) {
        tree[fs::relative(entry.path(), folder).string()] = ReadFile(entry.path());
      }
    }
    return tree;
  }

  std::string photos_;
};

TEST_F(SizesTest, EachSizeGoesToItsFolderAndTheManifestListsABlockPerSource) {
  const std::vector<ManifestLine> lines = RunInto("thumbnails", "512x512,128x128,300x200");
  const std::vector<std::string> folders = {"512x512", "128x128", "300x200"};
  ASSERT_EQ(lines.size(), std::size(kImages) * folders.size());
  // Sorted by source; within a source, the sizes in the order given.
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& folder = folders[i % folders.size()];
    EXPECT_TRUE(lines[i].thumbnail.starts_with(folder + "/")) << i << ": " << lines[i].thumbnail;
    if (i % folders.size() != 0) {
      EXPECT_EQ(lines[i].source, lines[i - 1].source);
    } else if (i > 0) {
      EXPECT_LT(lines[i - 1].source, lines[i].source);
    }
  }
  std::set<std::string> listed;
  for (const ManifestLine& line : lines) {
    listed.insert(line.thumbnail);
    const std::string folder = line.thumbnail.substr(0, line.thumbnail.find('/'));
    const int box_width = std::stoi(folder),
              box_height = std::stoi(folder.substr(folder.find('x') + 1));
    const cv::Mat pixels = LoadThumbnail(thumbnails() + "/" + line.thumbnail);
    ASSERT_FALSE(pixels.empty()) << line.thumbnail;
    EXPECT_EQ(folder + "/" + ExpectedName(pixels), line.thumbnail);
    EXPECT_LE(pixels.cols, box_width) << line.thumbnail;
    EXPECT_LE(pixels.rows, box_height) << line.thumbnail;
    EXPECT_TRUE(pixels.cols == box_width || pixels.rows == box_height ||
                SourceFitsInBox(line.source, box_width, box_height))
        << line.source << " gave " << pixels.cols << "x" << pixels.rows << " in " << folder;
  }
  // Nothing else: no thumbnails at the top, no temporary files.
  EXPECT_THAT(ListFolder(thumbnails()), ::testing::UnorderedElementsAreArray(folders));
  for (const std::string& folder : folders) {
    for (const std::string& name : ListFolder(thumbnails() + "/" + folder)) {
      EXPECT_EQ(listed.count(folder + "/" + name), 1u) << folder << "/" << name;
    }
  }
}

TEST_F(SizesTest, EverySizeIsAtLeastAsCloseToTheExactReferenceAsItsOwnRun) {
  // The largest box sets the decode's scale: with 1000x1000 the JPEGs are decoded whole, and
  // with 64x64 hopper.webp is rescaled by libwebp to 64x64 before the 32x32 is averaged.
  for (const std::string sizes : {"40x40,100x100,300x300,1000x1000", "32x32,64x64"}) {
    SCOPED_TRACE(sizes);
    const std::string together = "together" + std::to_string(sizes.size());
    const std::vector<ManifestLine> lines = RunInto(together, sizes);
    int better = 0, compared = 0;
    std::string rest = sizes;
    while (!rest.empty()) {
      const std::string size = rest.substr(0, rest.find(','));
      rest.erase(0, std::min(rest.size(), size.size() + 1));
      const std::map<std::string, std::string> multi = BySource(lines, size);
      const std::map<std::string, std::string> alone = BySource(RunInto("alone" + size, size));
      ASSERT_EQ(multi.size(), std::size(kImages)) << size;
      ASSERT_EQ(alone.size(), std::size(kImages)) << size;
      for (const auto& [source, thumbnail] : multi) {
        const cv::Mat one = AsBgr(LoadThumbnail(work() / together + "/" + thumbnail));
        const cv::Mat own =
            AsBgr(LoadThumbnail(work() / ("alone" + size) + "/" + alone.at(source)));
        ASSERT_EQ(one.size(), own.size()) << source << " at " << size;
        const cv::Mat reference = Reference(source, one.size());
        const double psnr_one = cv::PSNR(one, reference), psnr_own = cv::PSNR(own, reference);
        EXPECT_GE(psnr_one, psnr_own) << source << " at " << size;
        ++compared;
        if (psnr_one > psnr_own) ++better;
      }
    }
    // The smaller sizes of the JPEGs come from a larger decode than their own runs use.
    if (sizes.starts_with("40x40")) {
      EXPECT_GT(better, 0) << "of " << compared;
    }
  }
}

TEST_F(SizesTest, TheLargestSizeIsTheThumbnailOfItsOwnRun) {
  // It is decoded at the scale it needs alone, so its pixels are the same.
  const std::map<std::string, std::string> multi =
      BySource(RunInto("together", "64x64,150x150"), "150x150");
  const std::map<std::string, std::string> alone = BySource(RunInto("alone", "150x150"));
  ASSERT_EQ(multi.size(), std::size(kImages));
  for (const auto& [source, thumbnail] : multi) {
    EXPECT_EQ("150x150/" + alone.at(source), thumbnail) << source;
  }
}

TEST_F(SizesTest, IdenticalAcrossRunsAndWorkerCounts) {
  const std::string sizes = "128x128,256x256,512x512";
  RunInto("one", sizes, "1");
  RunInto("two", sizes, "2");
  RunInto("again", sizes, "2");
  const std::map<std::string, std::string> one = Tree(work() / "one");
  std::set<std::string> listed;
  for (const ManifestLine& line : ReadManifest(work() / "one.txt")) listed.insert(line.thumbnail);
  EXPECT_EQ(one.size(), listed.size());
  EXPECT_EQ(Tree(work() / "two"), one);
  EXPECT_EQ(Tree(work() / "again"), one);
  EXPECT_EQ(ReadFile(work() / "one.txt"), ReadFile(work() / "two.txt"));
  EXPECT_EQ(ReadFile(work() / "one.txt"), ReadFile(work() / "again.txt"));
}

TEST_F(SizesTest, OneSizeStaysAtTheTopOfTheOutputFolder) {
  const CommandResult run = Thumbpipe({"--size", "200x200", photos_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<ManifestLine> lines = VerifyOutputs();
  ASSERT_EQ(lines.size(), std::size(kImages));
  for (const ManifestLine& line : lines) {
    EXPECT_EQ(line.thumbnail.find('/'), std::string::npos) << line.thumbnail;
  }
}

TEST_F(SizesTest, StatsCountTheBytesOfEverySize) {
  RunInto("thumbnails", "100x100,400x400", "2", {"--stats-json", work() / "stats.json"});
  const nlohmann::json stats = nlohmann::json::parse(ReadFile(work() / "stats.json"));
  uint64_t bytes = 0;
  for (const auto& [path, data] : Tree(thumbnails())) bytes += data.size();
  EXPECT_EQ(stats["bytes"]["written"], bytes);
  EXPECT_EQ(stats["options"]["size"], "100x100,400x400");
}

TEST_F(SizesTest, BadSizeListsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--size", "128x128,128x128", photos_},
        std::vector<std::string>{"--size", "128x128,", photos_},
        std::vector<std::string>{"--size", "1x1,2x2,3x3,4x4,5x5,6x6,7x7,8x8,9x9", photos_},
        std::vector<std::string>{"--format", "webp", "--size", "100x100,20000x20000", photos_}}) {
    const CommandResult run = Thumbpipe(args);
    EXPECT_EQ(run.exit_code, 2) << args[1] << ": " << run.err;
    EXPECT_THAT(run.err, ::testing::HasSubstr("--size")) << args[1];
  }
  const CommandResult run = Thumbpipe({"--size", "128x128,128x128", photos_});
  EXPECT_THAT(run.err, ::testing::HasSubstr("--size gives 128x128 twice; give each box once"));
}

class SizesIncrementalTest : public SizesTest {
 protected:
  // The photos dated an hour back (see incremental_test.cc).
  void MakeOld() {
    const timespec old{::time(nullptr) - 3600, 0};
    const timespec times[2] = {old, old};
    for (const auto& entry : fs::recursive_directory_iterator(photos_)) {
      ::utimensat(AT_FDCWD, entry.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }
  CommandResult Run(const std::string& size, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--incremental", "-v", "-j", "2", "--size", size};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(photos_);
    CommandResult run = Thumbpipe(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run;
  }
  static long Processed(const std::string& err) {
    static const std::regex kLine(R"(thumbpipe-worker\[\d+\]: Processing file)");
    return std::distance(std::sregex_iterator(err.begin(), err.end(), kLine),
                         std::sregex_iterator());
  }
};

TEST_F(SizesIncrementalTest, EverySizeIsCarriedOverAndAnotherListRedoesTheFiles) {
  MakeOld();
  const long images = static_cast<long>(std::size(kImages));
  EXPECT_EQ(Processed(Run("128x128,256x256").err), images);
  const std::string manifest_text = ReadFile(manifest());
  // Unchanged: nothing opened, the manifest the same, every size listed.
  const CommandResult again = Run("128x128,256x256");
  EXPECT_EQ(Processed(again.err), 0);
  EXPECT_EQ(ParseSummary(again.err).unchanged, images);
  EXPECT_EQ(ReadFile(manifest()), manifest_text);
  // A thumbnail of one size gone: that file is done again.
  const std::vector<ManifestLine> lines = ReadManifest(manifest());
  ASSERT_EQ(lines.size(), 2 * std::size(kImages));
  const ManifestLine& large = lines[2 * 4 + 1];  // the fifth source's, none other's
  ASSERT_TRUE(large.thumbnail.starts_with("256x256/"));
  for (const ManifestLine& line : lines) {
    ASSERT_TRUE(line.thumbnail != large.thumbnail || line.source == large.source);
  }
  fs::remove(thumbnails() + "/" + large.thumbnail);
  EXPECT_EQ(Processed(Run("128x128,256x256").err), 1);
  EXPECT_EQ(ReadFile(manifest()), manifest_text);
  // Another list of sizes is another setting: every file again.
  EXPECT_EQ(Processed(Run("128x128,256x256,64x64").err), images);
  EXPECT_EQ(ReadManifest(manifest()).size(), 3 * std::size(kImages));
}

TEST_F(SizesIncrementalTest, PruneRemovesWhatNoSizeRefersTo) {
  MakeOld();
  Run("200x200");
  std::set<std::string> top;  // the one-size run's, unused after the next
  for (const ManifestLine& line : ReadManifest(manifest())) top.insert(line.thumbnail);
  Run("128x128,256x256");
  std::set<std::string> small;
  for (const ManifestLine& line : ReadManifest(manifest())) {
    if (line.thumbnail.starts_with("128x128/")) small.insert(line.thumbnail);
  }
  // A stray thumbnail in a size folder, and a file that is no thumbnail.
  const std::string stray = std::string(64, 'a') + ".png";
  WriteFile(thumbnails() + "/128x128/" + stray, "x");
  WriteFile(thumbnails() + "/128x128/notes.txt", "kept");
  const CommandResult pruned = Run("128x128,256x256", {"--prune"});
  EXPECT_THAT(pruned.err,
              ::testing::HasSubstr("pruned " + std::to_string(top.size() + 1) + " thumbnails"));
  EXPECT_THAT(ListFolder(thumbnails()), ::testing::UnorderedElementsAre("128x128", "256x256"));
  EXPECT_TRUE(fs::exists(thumbnails() + "/128x128/notes.txt"));
  // What the manifest lists is all still there.
  for (const ManifestLine& line : ReadManifest(manifest())) {
    EXPECT_TRUE(fs::is_regular_file(thumbnails() + "/" + line.thumbnail)) << line.thumbnail;
  }
  EXPECT_EQ(ListFolder(thumbnails() + "/128x128").size(), small.size() + 1);  // and notes.txt

  // Another size alone: the size folders' thumbnails go, and with them a folder left empty;
  // one that holds something else stays, and so does one that was empty before.
  std::set<std::string> sized;
  for (const ManifestLine& line : ReadManifest(manifest())) sized.insert(line.thumbnail);
  fs::create_directory(thumbnails() + "/32x32");
  const CommandResult other = Run("64x64", {"--prune"});
  EXPECT_THAT(other.err,
              ::testing::HasSubstr("pruned " + std::to_string(sized.size()) + " thumbnails"));
  EXPECT_FALSE(fs::exists(thumbnails() + "/256x256"));
  EXPECT_THAT(ListFolder(thumbnails() + "/128x128"), ::testing::ElementsAre("notes.txt"));
  EXPECT_TRUE(fs::is_directory(thumbnails() + "/32x32"));
  EXPECT_EQ(ReadManifest(manifest()).size(), std::size(kImages));
  for (const ManifestLine& line : ReadManifest(manifest())) {
    EXPECT_TRUE(fs::is_regular_file(thumbnails() + "/" + line.thumbnail)) << line.thumbnail;
  }
}

// This run's own size folders stay, even emptied: its workers write there (in watch mode
// while the run goes on).
TEST_F(SizesIncrementalTest, PruneKeepsThisRunsSizeFolders) {
  MakeOld();
  Run("128x128,256x256");
  for (const auto& entry : fs::directory_iterator(photos_)) fs::remove_all(entry.path());
  const CommandResult pruned = Run("128x128,256x256", {"--prune"});
  EXPECT_THAT(pruned.err, ::testing::Not(::testing::HasSubstr("pruned 0 thumbnails")));
  EXPECT_THAT(ListFolder(thumbnails()), ::testing::UnorderedElementsAre("128x128", "256x256"));
  EXPECT_THAT(ListFolder(thumbnails() + "/128x128"), ::testing::IsEmpty());
  EXPECT_THAT(ListFolder(thumbnails() + "/256x256"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace thumbpipe::testing
