// The real thumbpipe refused with a usage error (exit status 2) after it began preparing its
// outputs: every folder it made for them is gone again. Each case is run once more without
// its fault, to show the folders would have been made.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

class UsageErrorLeftoversTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "photos");
    fs::copy_file(CorpusPath("pngsuite/basn2c08.png"), dir_ / "photos/rgb.png");
    fs::create_directories(dir_ / "a folder");
  }

  CommandResult Run(std::vector<std::string> args, const CommandOptions& options = {}) {
    args.insert(args.begin(), {LauncherPath(), dir_ / "photos", "1"});
    return RunCommand(args, options);
  }

  // What is in the temporary folder besides the photos and "a folder".
  std::vector<std::string> Made() const {
    std::vector<std::string> made;
    for (const std::string& name : ListFolder(dir_.path())) {
      if (name != "photos" && name != "a folder") made.push_back(name);
    }
    return made;
  }

  TempDir dir_;
};

TEST_F(UsageErrorLeftoversTest, RefusedRunLeavesNoFolderBehind) {
  WriteFile(dir_ / "a folder/a file", "");
  const auto outputs = [&](const std::string& manifest) {
    return std::vector<std::string>{
        "--output",  dir_ / "new/thumbnails",    "--manifest",   manifest,
        "--catalog", dir_ / "state/run.catalog", "--incremental"};
  };
  const std::string manifest = dir_ / "lists/processed.txt";
  // Faults found only once the outputs are being prepared.
  const std::vector<std::vector<std::string>> refused_runs = {
      {"--files-from", dir_ / "a folder"},
      {"--stats-json", dir_ / "a folder"},
      {"--stats-json", dir_ / "a folder/a file/stats.json"},
      {"--size", "64x64,128x128", "--stats-json", dir_ / "a folder"},
  };
  for (const std::vector<std::string>& fault : refused_runs) {
    std::vector<std::string> args = outputs(manifest);
    args.insert(args.end(), fault.begin(), fault.end());
    const CommandResult refused = Run(args);
    EXPECT_EQ(refused.exit_code, 2) << fault.back() << ": " << refused.err;
    EXPECT_EQ(Made(), std::vector<std::string>{}) << fault.back() << ": " << refused.err;
  }
  const CommandResult folder_as_manifest = Run(outputs(dir_ / "a folder"));
  EXPECT_EQ(folder_as_manifest.exit_code, 2) << folder_as_manifest.err;
  EXPECT_EQ(Made(), std::vector<std::string>{}) << folder_as_manifest.err;
  // Without a fault, the same outputs make those folders.
  const CommandResult run = Run(outputs(manifest));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Made(), (std::vector<std::string>{"lists", "new", "state"}));
}

TEST_F(UsageErrorLeftoversTest, RefusedDesktopRunLeavesNoCacheFolderBehind) {
  CommandOptions options;
  options.env["XDG_CACHE_HOME"] = dir_ / "cache";
  const CommandResult refused =
      Run({"--layout", "freedesktop", "--stats-json", dir_ / "a folder"}, options);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_EQ(Made(), std::vector<std::string>{}) << refused.err;
  const CommandResult run = Run({"--layout", "freedesktop"}, options);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Made(), std::vector<std::string>{"cache"});
}

TEST_F(UsageErrorLeftoversTest, OutputWithOptionsRefusedWhileParsingIsNeverMade) {
  const CommandResult refused =
      Run({"--output", dir_ / "new", "--layout", "freedesktop", "--prune"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_EQ(Made(), std::vector<std::string>{}) << refused.err;
}

}  // namespace
}  // namespace thumbpipe::testing
