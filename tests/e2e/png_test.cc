// Large PNGs end to end: the real worker streams them from the file through the fast path, and
// when a damaged one makes the fast path give up, reads the file again for libpng, whose
// reason stands.
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using Json = nlohmann::json;

class PngTest : public E2eTest {};

TEST_F(PngTest, LargeDamagedPngsFailWithLibpngsReasons) {
  // Noise does not compress: a file far larger than the head the worker reads first.
  cv::Mat pixels(700, 900, CV_8UC3);
  cv::randu(pixels, 0, 256);
  std::vector<uint8_t> encoded;
  ASSERT_TRUE(cv::imencode(".png", pixels, encoded));
  const std::string png(encoded.begin(), encoded.end());
  ASSERT_GT(png.size(), 1500000u);
  TempDir photos;
  WriteFile(photos / "whole.png", png);
  WriteFile(photos / "cut.png", png.substr(0, png.size() * 2 / 3));
  std::string changed = png;
  changed[png.size() * 2 / 3] = static_cast<char>(changed[png.size() * 2 / 3] ^ 0x55);
  WriteFile(photos / "changed.png", changed);

  const CommandResult run = Thumbpipe({"--stats-json", "stats.json", photos.path(), "1"});
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 1) << run.err;
  EXPECT_EQ(summary.failed, 2) << run.err;
  std::map<std::string, std::string> reasons;
  const Json stats = Json::parse(ReadFile(work() / "stats.json"));
  for (const Json& failure : stats["failures"]) {
    const std::string path = failure["path"], reason = failure["reason"];
    reasons[std::filesystem::path(path).filename()] = reason;
  }
  EXPECT_EQ(reasons["cut.png"], "PNG data ends early (the file is truncated)");
  EXPECT_EQ(reasons["changed.png"],
            "PNG data is damaged (an image data chunk's checksum is wrong)");
}

}  // namespace
}  // namespace thumbpipe::testing
