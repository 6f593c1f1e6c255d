#include "worker/worker.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/images.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::ListFolder;
using testing::TempDir;
using testing::WriteTestImage;

// A file the walk found as photos/album/a.jpg, whose folder is then swapped for a symlink to
// a folder outside ROOT before a worker opens it.
class WorkerSwapTest : public ::testing::Test {
 protected:
  WorkerSwapTest() {
    std::filesystem::create_directories(base_ / "photos/album");
    std::filesystem::create_directories(base_ / "outside/album");
    std::filesystem::create_directories(base_ / "thumbnails");
    WriteTestImage(base_ / "photos/album/a.jpg", 300, 200, 0);
    WriteTestImage(base_ / "outside/album/a.jpg", 300, 200, 1);
    EXPECT_TRUE(OutputDir::Open(base_ / "thumbnails", &output_).ok());
    std::filesystem::rename(base_ / "photos/album", base_ / "photos/album.moved");
    std::filesystem::create_directory_symlink(base_ / "outside/album", base_ / "photos/album");
  }

  Result Process(SymlinkPolicy policy) {
    std::unique_ptr<SourceOpener> sources;
    EXPECT_TRUE(SourceOpener::Create(policy, base_ / "photos", &sources).ok());
    WorkerEnv env;
    env.output = output_.get();
    env.sources = sources.get();
    env.request.box = {200, 200};
    env.request.max_pixels = kDefaultMaxPixels;
    Result result;
    Worker(std::move(env)).Process(base_ / "photos/album/a.jpg", &result);
    return result;
  }

  TempDir base_;
  std::unique_ptr<OutputDir> output_;
};

TEST_F(WorkerSwapTest, InsideFailsTheFileNamingWhereItLeads) {
  const Result result = Process(SymlinkPolicy::kInside);
  EXPECT_EQ(result.kind, ResultKind::kFailed);
  EXPECT_EQ(result.path, base_ / "photos/album/a.jpg");
  EXPECT_EQ(result.reason, "not opened: it resolves to '" +
                               std::filesystem::canonical(base_ / "outside/album/a.jpg").string() +
                               "', outside ROOT (--symlinks inside)");
  EXPECT_EQ(result.source_bytes, 0u);
  EXPECT_TRUE(ListFolder(base_ / "thumbnails").empty());
}

TEST_F(WorkerSwapTest, NoneFailsTheFile) {
  const Result result = Process(SymlinkPolicy::kNone);
  EXPECT_EQ(result.kind, ResultKind::kFailed);
  EXPECT_EQ(result.reason, "not opened: a symlink lies on its path below ROOT (--symlinks none)");
  EXPECT_TRUE(ListFolder(base_ / "thumbnails").empty());
}

// What the policies prevent: --symlinks all reads the file outside.
TEST_F(WorkerSwapTest, AllReadsTheFileOutside) {
  const Result result = Process(SymlinkPolicy::kAll);
  EXPECT_EQ(result.kind, ResultKind::kThumbnail) << result.reason;
  EXPECT_EQ(ListFolder(base_ / "thumbnails"), std::vector<std::string>{result.thumbnail});
}

}  // namespace
}  // namespace thumbpipe
