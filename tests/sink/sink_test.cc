#include "sink/sink.h"

#include <gtest/gtest.h>

#include "common/message.h"
#include "sink/catalog_writer.h"
#include "tests/fakes/fake_queue.h"
#include "tests/support/support.h"

namespace thumbpipe {
namespace {

using testing::FakeQueue;

class SinkTest : public ::testing::Test {
 protected:
  void Put(const Result& result) {
    std::vector<char> buffer(kMaxResultMessageBytes);
    const size_t size = EncodeResult(result, buffer);
    ASSERT_GT(size, 0u);
    results_.messages().emplace_back(buffer.data(), size);
  }
  SinkEnv Env(int workers) {
    SinkEnv env;
    env.results = &results_;
    env.counters = &counters_;
    env.workers = workers;
    env.manifest_path = dir_ / "processed.txt";
    env.journal_path = dir_ / ".processed.txt.1.journal";
    env.manifest_spill_prefix = dir_ / ".processed.txt.1.run";
    env.give_up = [] { return std::string("nothing more will come"); };
    return env;
  }
  static Result Make(ResultKind kind, std::string path, std::string thumbnail = "",
                     uint16_t worker = 0, uint64_t item = 0) {
    Result r;
    r.kind = kind;
    r.worker = worker;
    r.item = item;
    r.path = std::move(path);
    r.thumbnail = std::move(thumbnail);
    r.source_bytes = 10;
    return r;
  }
  FakeQueue results_{1000, kMaxResultMessageBytes};
  RunCounters counters_{};
  testing::TempDir dir_;
};

TEST_F(SinkTest, CountsEverythingAndWritesTheManifestAfterAllSentinels) {
  Put(Make(ResultKind::kThumbnail, "/b.jpg", "b.png"));
  Put(Make(ResultKind::kEnd, "", "", 1));
  Put(Make(ResultKind::kNotImage, "/notes.txt"));
  Put(Make(ResultKind::kThumbnail, "/a.jpg", "a.png"));
  Put(Make(ResultKind::kFailed, "/bad.jpg"));
  Put(Make(ResultKind::kEnd, "", "", 0));
  ASSERT_TRUE(Sink(Env(2)).Run().ok());
  EXPECT_EQ(testing::ReadFile(dir_ / "processed.txt"), "a.png: /a.jpg\nb.png: /b.jpg\n");
  // The journal is gone once the manifest is written.
  EXPECT_EQ(testing::ListFolder(dir_.path()), std::vector<std::string>{"processed.txt"});
  EXPECT_EQ(counters_.thumbnails.load(), 2u);
  EXPECT_EQ(counters_.not_images.load(), 1u);
  EXPECT_EQ(counters_.failed.load(), 1u);
  EXPECT_EQ(counters_.bytes_read.load(), 40u);  // sentinels carry no file
}

TEST_F(SinkTest, MissingSentinelMeansNoManifestButAJournal) {
  Put(Make(ResultKind::kThumbnail, "/a.jpg", "a.png"));
  Put(Make(ResultKind::kThumbnail, "/new\nline.jpg", "b.png"));
  Put(Make(ResultKind::kEnd, ""));
  EXPECT_EQ(Sink(Env(2)).Run().message(), "nothing more will come");
  EXPECT_EQ(testing::ListFolder(dir_.path()), std::vector<std::string>{".processed.txt.1.journal"});
  // What was received is not lost: the manifest can be made from the journal.
  size_t lines = 0;
  ASSERT_TRUE(WriteManifestFromJournal(dir_ / ".processed.txt.1.journal", dir_ / "processed.txt",
                                       dir_ / ".processed.txt.1.run", &lines)
                  .ok());
  EXPECT_EQ(lines, 2u);
  EXPECT_EQ(testing::ReadFile(dir_ / "processed.txt"), "a.png: /a.jpg\nb.png: /new\\nline.jpg\n");
  EXPECT_EQ(testing::ListFolder(dir_.path()), std::vector<std::string>{"processed.txt"});
}

TEST_F(SinkTest, RepeatedReportsCountOnce) {
  // A worker reported item 7, then died; the launcher reports item 7 failed on its behalf,
  // and also passes on the end-of-work the worker had already sent.
  Put(Make(ResultKind::kThumbnail, "/a.jpg", "a.png", 0, 7));
  Put(Make(ResultKind::kEnd, "", "", 0));
  Put(Make(ResultKind::kFailed, "/a.jpg", "", 0, 7));
  Put(Make(ResultKind::kEnd, "", "", 0));
  Put(Make(ResultKind::kThumbnail, "/b.jpg", "b.png", 1, 7));
  Put(Make(ResultKind::kThumbnail, "/c.jpg", "c.png", 0, 8));
  Put(Make(ResultKind::kEnd, "", "", 1));
  ASSERT_TRUE(Sink(Env(2)).Run().ok());
  EXPECT_EQ(counters_.thumbnails.load(), 3u);
  EXPECT_EQ(counters_.failed.load(), 0u);
}

TEST_F(SinkTest, JournalCutShortLosesOnlyItsLastLine) {
  testing::WriteFile(dir_ / "j", "a.png: /a.jpg\nb.png: /b.j");
  size_t lines = 0;
  ASSERT_TRUE(WriteManifestFromJournal(dir_ / "j", dir_ / "m", dir_ / "runs", &lines).ok());
  EXPECT_EQ(lines, 1u);
  EXPECT_EQ(testing::ReadFile(dir_ / "m"), "a.png: /a.jpg\n");
}

TEST_F(SinkTest, ManifestThatCannotBeWrittenFailsAndKeepsTheJournal) {
  Put(Make(ResultKind::kThumbnail, "/a.jpg", "a.png"));
  Put(Make(ResultKind::kEnd, ""));
  SinkEnv env = Env(1);
  env.manifest_path = dir_ / "missing-folder/processed.txt";
  const Status status = Sink(env).Run();
  EXPECT_TRUE(status.message().starts_with("cannot write the manifest: cannot create '" +
                                           (dir_ / "missing-folder/.processed.txt.")))
      << status.message();
  EXPECT_TRUE(status.message().ends_with(
      ".tmp': No such file or directory; the thumbnails made are listed in '" +
      (dir_ / ".processed.txt.1.journal") + "'"))
      << status.message();
  EXPECT_EQ(testing::ReadFile(dir_ / ".processed.txt.1.journal"), "a.png: /a.jpg\n");
}

TEST_F(SinkTest, CountsBytesWrittenAndTellsTheStatistics) {
  Result written = Make(ResultKind::kThumbnail, "/a.jpg", "a.png", 0, 1);
  written.thumbnail_bytes = 1234;
  written.format = static_cast<uint8_t>(Format::kJpeg);
  Result existed = Make(ResultKind::kThumbnail, "/b.jpg", "a.png", 0, 2);
  existed.format = static_cast<uint8_t>(Format::kJpeg);
  Result failed = Make(ResultKind::kFailed, "/c.png", "", 0, 3);
  failed.reason = "decode PNG: IHDR: CRC error";
  failed.format = static_cast<uint8_t>(Format::kPng);
  Put(written);
  Put(existed);
  Put(failed);
  Put(Make(ResultKind::kFailed, "/c.png", "", 0, 3));  // a repeat: counted once
  Put(Make(ResultKind::kEnd, ""));
  RunStats stats;
  SinkEnv env = Env(1);
  env.stats = &stats;
  ASSERT_TRUE(Sink(env).Run().ok());
  EXPECT_EQ(counters_.bytes_written.load(), 1234u);
  EXPECT_EQ(stats.by_format().at(Format::kJpeg).thumbnails, 2u);
  EXPECT_EQ(stats.by_format().at(Format::kPng).failed, 1u);
  ASSERT_EQ(stats.failures().size(), 1u);
  EXPECT_EQ(stats.failures()[0].reason, "decode PNG: IHDR: CRC error");
}

TEST_F(SinkTest, WatchModeKeepsTheNewestNewsOfAPath) {
  // A temporary name was renamed while a worker read it: the producer's removal (sent at 200)
  // overtakes the worker's result for the work it sent at 100. A file changed twice gives two
  // results that may come back in either order.
  auto at = [](Result r, int64_t found_ns) {
    r.found_ns = found_ns;
    return r;
  };
  Put(at(Make(ResultKind::kRemoved, "/in/.photo.jpg.part"), 200));
  Put(at(Make(ResultKind::kThumbnail, "/in/.photo.jpg.part", "part.png"), 100));
  Put(at(Make(ResultKind::kThumbnail, "/in/photo.jpg", "new.png", 0, 1), 400));
  Put(at(Make(ResultKind::kThumbnail, "/in/photo.jpg", "old.png", 1, 1), 300));
  Put(Make(ResultKind::kEnd, "", "", 0));
  Put(Make(ResultKind::kEnd, "", "", 1));
  SinkEnv env = Env(2);
  env.watch = true;
  ASSERT_TRUE(Sink(env).Run().ok());
  EXPECT_EQ(testing::ReadFile(dir_ / "processed.txt"), "new.png: /in/photo.jpg\n");
  EXPECT_EQ(counters_.thumbnails.load(), 3u);  // every result counts once, as found
}

TEST_F(SinkTest, ForeignMessageIsAnError) {
  results_.messages().emplace_back("garbage");
  EXPECT_EQ(Sink(Env(1)).Run().message(), "bad result: message of the wrong kind (magic 0x67)");
}

}  // namespace
}  // namespace thumbpipe

namespace thumbpipe {
namespace {

TEST(IsThumbnailName, SixtyFourHexDigitsAndTheExtensionOfAnOutputFormat) {
  const std::string hash(64, 'a');
  for (const char* extension : {".png", ".jpg", ".webp"}) {
    EXPECT_TRUE(IsThumbnailName(hash + extension)) << extension;
  }
  for (const char* extension : {".jpeg", ".gif", ".png.tmp", "", "."}) {
    EXPECT_FALSE(IsThumbnailName(hash + extension)) << extension;
  }
  EXPECT_FALSE(IsThumbnailName(std::string(63, 'a') + ".png"));
  EXPECT_FALSE(IsThumbnailName(std::string(64, 'A') + ".png"));
  EXPECT_FALSE(IsThumbnailName(std::string(63, 'a') + "g.jpg"));
}

}  // namespace
}  // namespace thumbpipe
