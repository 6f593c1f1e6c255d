// The statistics of --stats-json, end to end: they agree with the manifest and the summary,
// list every failure with its reason, and keep paths that are not UTF-8.
#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "common/escape.h"
#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class StatsTest : public E2eTest {
 protected:
  Json ReadStats(const std::string& path) {
    Json stats;
    try {
      stats = Json::parse(ReadFile(path));  // strict: fails on bytes that are not UTF-8
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << ": " << e.what();
    }
    return stats;
  }
  uint64_t FolderBytes(const std::string& folder) {
    uint64_t bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      bytes += entry.file_size();
    return bytes;
  }
};

TEST_F(StatsTest, CountsAgreeWithTheManifestAndTheSummaryOnTheCorpus) {
  const CommandResult run = Thumbpipe({"--stats-json", "stats/run.json", CorpusPath(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Summary summary = ParseSummary(run.err);
  ASSERT_TRUE(summary.found) << run.err;
  const Json stats = ReadStats(work() / "stats/run.json");
  ASSERT_TRUE(stats.is_object());

  const Json& counts = stats["counts"];
  EXPECT_EQ(counts["thumbnails"], summary.thumbnails);
  EXPECT_EQ(counts["not_images"], summary.not_images);
  EXPECT_EQ(counts["failed"], summary.failed);
  EXPECT_EQ(counts["thumbnails"], VerifyOutputs().size());
  EXPECT_EQ(counts["found"], summary.thumbnails + summary.not_images + summary.failed);
  EXPECT_EQ(counts["not_processed"], 0);
  Json::number_unsigned_t by_format[3] = {0, 0, 0};
  for (const auto& [format, outcomes] : stats["by_format"].items()) {
    by_format[0] += outcomes["thumbnails"].get<Json::number_unsigned_t>();
    by_format[1] += outcomes["not_images"].get<Json::number_unsigned_t>();
    by_format[2] += outcomes["failed"].get<Json::number_unsigned_t>();
  }
  EXPECT_EQ(by_format[0], counts["thumbnails"]);
  EXPECT_EQ(by_format[1], counts["not_images"]);
  EXPECT_EQ(by_format[2], counts["failed"]);
  EXPECT_GT(stats["by_format"]["jpeg"]["thumbnails"], 0);
  EXPECT_GT(stats["by_format"]["png"]["thumbnails"], 0);
  EXPECT_EQ(stats["by_format"]["unknown"]["not_images"], summary.not_images);

  // Every failure the log reported, with the same reason.
  ASSERT_EQ(stats["failures"].size(), static_cast<size_t>(summary.failed));
  for (const Json& failure : stats["failures"]) {
    const std::string path = failure["path"], reason = failure["reason"];
    EXPECT_THAT(run.err, HasSubstr("failed: '" + path + "': " + reason + "\n"));
  }

  // Thumbnails written once each: the bytes written are the thumbnail folder's.
  EXPECT_EQ(stats["bytes"]["written"], FolderBytes(thumbnails()));
  EXPECT_GT(stats["bytes"]["read"], stats["bytes"]["written"]);
  for (const char* stage : {"walk", "read", "decode", "encode", "write"}) {
    EXPECT_GT(stats["stage_seconds"][stage], 0.0) << stage;
  }
  EXPECT_GT(stats["wall_seconds"], 0.0);
  EXPECT_FALSE(stats["version"].get<std::string>().empty());
  EXPECT_EQ(stats["options"]["root"], CorpusPath());
  EXPECT_EQ(stats["options"]["workers"], 2);
  EXPECT_EQ(stats["options"]["size"], "200x200");
  EXPECT_EQ(stats["options"]["stats_json"], work() / "stats/run.json");
  EXPECT_EQ(ListFolder(work() / "stats"), std::vector<std::string>{"run.json"});

  // Again into the same folder: every thumbnail exists already, nothing is written.
  const CommandResult again = Thumbpipe({"--stats-json", "stats/run.json", CorpusPath(), "2"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReadStats(work() / "stats/run.json")["bytes"]["written"], 0);
}

TEST_F(StatsTest, AFailedFileWhosePathIsNotUtf8IsListedWithItsReason) {
  TempDir photos;
  MakePhotos(photos, 2);
  const std::string raw = photos / "latin1-\xE9\nname.jpg";
  std::filesystem::rename(photos / "broken.jpg", raw);
  const CommandResult run = Thumbpipe({"--stats-json", "stats.json", photos.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json stats = ReadStats(work() / "stats.json");
  ASSERT_EQ(stats["failures"].size(), 1u) << stats.dump();
  const std::string path = stats["failures"][0]["path"];
  EXPECT_EQ(path, photos.path() + "/latin1-\\xe9\\nname.jpg");
  std::string back;
  ASSERT_TRUE(UnescapePath(path, &back));
  EXPECT_EQ(back, raw);
  EXPECT_EQ(stats["failures"][0]["reason"], kBrokenReason);
  EXPECT_EQ(stats["path_escaping"], "manifest");
  EXPECT_EQ(stats["by_format"]["jpeg"]["thumbnails"], 2);
  EXPECT_EQ(stats["by_format"]["jpeg"]["failed"], 1);
}

TEST_F(StatsTest, ADestinationThatCannotBeWrittenStopsTheRunBeforeItStarts) {
  TempDir photos;
  MakePhotos(photos, 2);
  WriteFile(work() / "file", "");
  const CommandResult run = Thumbpipe({"--stats-json", "file/stats.json", photos.path()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "thumbpipe: cannot write --stats-json '" + (work() / "file/stats.json") +
                         "': its folder '" + (work() / "file") +
                         "' cannot be created: Not a directory\n");
  EXPECT_FALSE(std::filesystem::exists(manifest()));
}

}  // namespace
}  // namespace thumbpipe::testing
