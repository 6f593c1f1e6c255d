#include "sink/stats_json.h"

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/escape.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

Result Make(ResultKind kind, Format format, std::string path, std::string reason = "") {
  Result r;
  r.kind = kind;
  r.format = static_cast<uint8_t>(format);
  r.path = std::move(path);
  r.reason = std::move(reason);
  return r;
}

TEST(RunStats, CountsByFormatAndKeepsFailuresWithTheirReasons) {
  RunStats stats;
  stats.Record(Make(ResultKind::kThumbnail, Format::kJpeg, "/a.jpg"));
  stats.Record(Make(ResultKind::kThumbnail, Format::kJpeg, "/b.jpg"));
  stats.Record(Make(ResultKind::kFailed, Format::kJpeg, "/c.jpg", "decode JPEG: cut short"));
  stats.Record(Make(ResultKind::kNotImage, Format::kUnknown, "/d.txt", "not an image"));
  stats.Record(Make(ResultKind::kFailed, Format::kGif, "/e.gif",
                    "decode GIF: the file ends early (is it truncated?)"));
  Result alien = Make(ResultKind::kThumbnail, Format::kUnknown, "/f");
  alien.format = 200;  // from a newer worker: counted, as unknown
  stats.Record(alien);
  stats.Record(Make(ResultKind::kEnd, Format::kUnknown, ""));
  ASSERT_EQ(stats.by_format().size(), 3u);
  EXPECT_EQ(stats.by_format().at(Format::kJpeg).thumbnails, 2u);
  EXPECT_EQ(stats.by_format().at(Format::kJpeg).failed, 1u);
  EXPECT_EQ(stats.by_format().at(Format::kUnknown).not_images, 1u);
  EXPECT_EQ(stats.by_format().at(Format::kUnknown).thumbnails, 1u);
  EXPECT_EQ(stats.by_format().at(Format::kGif).failed, 1u);
  ASSERT_EQ(stats.failures().size(), 2u);
  EXPECT_EQ(stats.failures()[0].path, "/c.jpg");
  EXPECT_EQ(stats.failures()[0].reason, "decode JPEG: cut short");
}

class StatsJsonTest : public ::testing::Test {
 protected:
  StatsJsonTest() {
    options_.root = "/photos";
    options_.workers = 3;
    options_.box_width = 320;
    options_.box_height = 240;
    options_.output_dir = "/out";
    options_.manifest = "/out/processed.txt";
    options_.stats_json = "/out/stats.json";
    report_.options = &options_;
    report_.counters = &counters_;
    report_.stats = &stats_;
    report_.wall_seconds = 1.5;
    report_.version = "9.8.7";
  }
  nlohmann::json Render() { return nlohmann::json::parse(RenderStatsJson(report_)); }

  RunOptions options_;
  RunCounters counters_{};
  RunStats stats_;
  StatsReport report_;
  testing::TempDir dir_;
};

TEST_F(StatsJsonTest, CountsBytesStagesOptionsAndVersion) {
  counters_.found = 5;
  counters_.thumbnails = 2;
  counters_.not_images = 1;
  counters_.failed = 1;
  counters_.bytes_read = 1000;
  counters_.bytes_written = 300;
  counters_.walk_ns = 1'500'000;
  counters_.decode_ns = 2'000'000'000;
  stats_.Record(Make(ResultKind::kThumbnail, Format::kPng, "/a.png"));
  const nlohmann::json j = Render();
  EXPECT_EQ(j["version"], "9.8.7");
  EXPECT_EQ(j["path_escaping"], "manifest");
  EXPECT_EQ(j["wall_seconds"], 1.5);
  EXPECT_EQ(j["counts"]["found"], 5);
  EXPECT_EQ(j["counts"]["thumbnails"], 2);
  EXPECT_EQ(j["counts"]["not_images"], 1);
  EXPECT_EQ(j["counts"]["failed"], 1);
  EXPECT_EQ(j["counts"]["not_processed"], 1);
  EXPECT_EQ(j["counts"]["unchanged"], 0);
  EXPECT_EQ(j["by_format"]["png"]["thumbnails"], 1);
  EXPECT_EQ(j["bytes"]["read"], 1000);
  EXPECT_EQ(j["bytes"]["written"], 300);
  EXPECT_EQ(j["stage_seconds"]["walk"], 0.0015);
  EXPECT_EQ(j["stage_seconds"]["decode"], 2.0);
  EXPECT_EQ(j["stage_seconds"]["encode"], 0.0);
  EXPECT_EQ(j["failures"], nlohmann::json::array());
  EXPECT_EQ(j["options"]["root"], "/photos");
  EXPECT_EQ(j["options"]["workers"], 3);
  EXPECT_EQ(j["options"]["size"], "320x240");
  EXPECT_EQ(j["options"]["verbosity"], "normal");
  EXPECT_EQ(j["options"]["symlinks"], "all");
  EXPECT_EQ(j["options"]["format"], "png");
  EXPECT_EQ(j["options"]["quality"], 1);
  EXPECT_EQ(j["options"]["background"], "#ffffff");
  EXPECT_EQ(j["options"]["catalog"], nullptr);  // not an incremental run
  EXPECT_EQ(j["options"]["stats_json"], "/out/stats.json");
}

TEST_F(StatsJsonTest, ShardAndListOptions) {
  nlohmann::json j = Render();
  EXPECT_EQ(j["options"]["shard"], nullptr);
  EXPECT_EQ(j["options"]["files_from"], nullptr);
  EXPECT_EQ(j["options"]["files_from_nul"], false);
  options_.shard = Shard{2, 4};
  options_.files_from = "-";
  options_.files_from_nul = true;
  j = Render();
  EXPECT_EQ(j["options"]["shard"], "2/4");
  EXPECT_EQ(j["options"]["files_from"], "-");
  EXPECT_EQ(j["options"]["files_from_nul"], true);
}

TEST_F(StatsJsonTest, OutputFormatOptions) {
  options_.format = OutputFormat::kJpeg;
  options_.quality = 70;
  options_.background = 0x336699;
  const nlohmann::json j = Render();
  EXPECT_EQ(j["options"]["format"], "jpeg");
  EXPECT_EQ(j["options"]["quality"], 70);
  EXPECT_EQ(j["options"]["background"], "#336699");
}

TEST_F(StatsJsonTest, PathsAreEscapedAsInTheManifestSoAnyBytesMakeValidJson) {
  const std::string raw = std::string("/photos/latin1-\xE9\n\"quoted\"\\.jpg");
  stats_.Record(Make(ResultKind::kFailed, Format::kJpeg, raw, "decode JPEG: cut short"));
  stats_.Record(Make(ResultKind::kFailed, Format::kUnknown, "/a", "reason with a stray \xFF byte"));
  options_.root = "/photos/\xFF";
  const nlohmann::json j = Render();  // throws on invalid UTF-8
  ASSERT_EQ(j["failures"].size(), 2u);
  // Sorted by path.
  EXPECT_EQ(j["failures"][0]["path"], "/a");
  EXPECT_EQ(j["failures"][0]["reason"], "reason with a stray \xEF\xBF\xBD byte");
  const std::string path = j["failures"][1]["path"];
  EXPECT_EQ(path, "/photos/latin1-\\xe9\\n\"quoted\"\\\\.jpg");
  std::string back;
  ASSERT_TRUE(UnescapePath(path, &back));
  EXPECT_EQ(back, raw);
  EXPECT_EQ(j["failures"][1]["reason"], "decode JPEG: cut short");
  EXPECT_EQ(j["options"]["root"], "/photos/\\xff");
}

TEST_F(StatsJsonTest, WrittenWholeOrNotAtAll) {
  ASSERT_TRUE(WriteStatsJson(dir_ / "stats.json", report_).ok());
  EXPECT_EQ(nlohmann::json::parse(testing::ReadFile(dir_ / "stats.json"))["version"], "9.8.7");
  EXPECT_EQ(testing::ListFolder(dir_.path()), std::vector<std::string>{"stats.json"});
  const Status status = WriteStatsJson(dir_ / "missing/stats.json", report_);
  EXPECT_TRUE(status.message().starts_with("cannot write the statistics '" +
                                           (dir_ / "missing/stats.json") + "': cannot create"))
      << status.message();
}

TEST_F(StatsJsonTest, DestinationIsCheckedBeforeTheRun) {
  EXPECT_TRUE(PrepareStatsDestination("").ok());
  EXPECT_TRUE(PrepareStatsDestination(dir_ / "new/folder/stats.json").ok());
  EXPECT_EQ(testing::ListFolder(dir_ / "new"), std::vector<std::string>{"folder"});
  EXPECT_EQ(PrepareStatsDestination(dir_ / "new").message(),
            "--stats-json '" + (dir_ / "new") + "' is a folder; give a file name");
  testing::WriteFile(dir_ / "file", "");
  EXPECT_EQ(PrepareStatsDestination(dir_ / "file/stats.json").message(),
            "cannot write --stats-json '" + (dir_ / "file/stats.json") + "': its folder '" +
                (dir_ / "file") + "' cannot be created: Not a directory");
}

}  // namespace
}  // namespace thumbpipe
