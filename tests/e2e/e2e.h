// The fixture of end-to-end tests: runs the real thumbpipe in a fresh folder and checks what
// every run must leave: no shared memory, no stray temporary files, thumbnails that match
// their names and fit the box.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/images.h"
#include "tests/support/support.h"

namespace thumbpipe::testing {

// A role folder with the real producer and sink and tests/fakes/fake_worker.cc standing in
// for thumbpipe-worker; env() makes the launcher use it, with the misbehaviour `mode`.
class StandInRoles {
 public:
  StandInRoles();
  std::map<std::string, std::string> env(const std::string& mode) const;

 private:
  TempDir folder_;
};

// Fills `photos` with `count` JPEGs (copies of one) and a JPEG cut in half (broken.jpg), which
// fails with kBrokenReason.
void MakePhotos(const TempDir& photos, int count);
inline const std::string kBrokenReason = "JPEG data ends early (the file is truncated)";

class E2eTest : public ::testing::Test {
 protected:
  // Runs thumbpipe with `args` in work(). Checks it did not time out and left no shared memory.
  CommandResult Thumbpipe(const std::vector<std::string>& args, CommandOptions options = {}) {
    std::vector<std::string> argv = {LauncherPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (options.cwd.empty()) options.cwd = work_.path();
    CommandResult result = RunCommand(argv, options);
    EXPECT_FALSE(result.timed_out) << "thumbpipe hung; stderr:\n" << result.err;
    EXPECT_EQ(ShmObjectsOf(result.pid), std::vector<std::string>{}) << "shared memory left behind";
    return result;
  }

  // Starts thumbpipe with `args` in work() without waiting; Finish() it.
  std::unique_ptr<Command> Start(const std::vector<std::string>& args,
                                 CommandOptions options = {}) {
    std::vector<std::string> argv = {LauncherPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (options.cwd.empty()) options.cwd = work_.path();
    return std::make_unique<Command>(argv, options);
  }
  CommandResult Finish(Command& command) {
    CommandResult result = command.Wait();
    EXPECT_FALSE(result.timed_out) << "thumbpipe hung; stderr:\n" << result.err;
    EXPECT_EQ(ShmObjectsOf(result.pid), std::vector<std::string>{}) << "shared memory left behind";
    return result;
  }

  static CommandOptions InFolder(const std::string& cwd) {
    CommandOptions options;
    options.cwd = cwd;
    return options;
  }

  const TempDir& work() const { return work_; }
  std::string thumbnails() const { return work_ / "thumbnails"; }
  std::string manifest() const { return work_ / "processed.txt"; }

  // Every manifest line names an existing thumbnail within `box`; a PNG's pixels hash to its
  // name (JPEG and WebP are lossy: what they decode to is not what was hashed, see
  // output_formats_test.cc); unless `others_allowed`, the thumbnail folder holds nothing else
  // (but thumbnails). Returns the lines.
  std::vector<ManifestLine> VerifyOutputs(int box_width = 200, int box_height = 200,
                                          bool others_allowed = false) {
    const std::vector<ManifestLine> lines = ReadManifest(manifest());
    std::set<std::string> named;
    for (const ManifestLine& line : lines) {
      named.insert(line.thumbnail);
      if (verified_.count(line.thumbnail) != 0) continue;
      const cv::Mat pixels = LoadThumbnail(thumbnails() + "/" + line.thumbnail);
      EXPECT_FALSE(pixels.empty()) << line.thumbnail << " for " << line.source;
      if (pixels.empty()) continue;
      if (line.thumbnail.ends_with(".png")) {
        EXPECT_EQ(ExpectedName(pixels), line.thumbnail) << line.source;
      } else {
        EXPECT_TRUE(line.thumbnail.ends_with(".jpg") || line.thumbnail.ends_with(".webp"))
            << line.thumbnail;
      }
      EXPECT_LE(pixels.cols, box_width) << line.source;
      EXPECT_LE(pixels.rows, box_height) << line.source;
      EXPECT_TRUE(pixels.cols == box_width || pixels.rows == box_height ||
                  SourceFitsInBox(line.source, box_width, box_height))
          << line.source << " gave " << pixels.cols << "x" << pixels.rows;
      verified_.insert(line.thumbnail);
    }
    for (const std::string& name : ListFolder(thumbnails())) {
      EXPECT_TRUE(named.count(name) == 1 ||
                  (others_allowed && name[0] != '.' &&
                   (name.ends_with(".png") || name.ends_with(".jpg") || name.ends_with(".webp"))))
          << "unexpected file in the thumbnail folder: " << name;
    }
    return lines;
  }

  static bool SourceFitsInBox(const std::string& source, int box_width, int box_height);

  // The sources of the manifest, as a set.
  static std::set<std::string> Sources(const std::vector<ManifestLine>& lines) {
    std::set<std::string> sources;
    for (const ManifestLine& line : lines) sources.insert(line.source);
    return sources;
  }

 private:
  TempDir work_;
  std::set<std::string> verified_;
};

}  // namespace thumbpipe::testing
