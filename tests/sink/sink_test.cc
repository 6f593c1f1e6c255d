#include "sink/sink.h"

#include <gtest/gtest.h>

#include "common/message.h"
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
    env.give_up = [] { return std::string("nothing more will come"); };
    return env;
  }
  static Result Make(ResultKind kind, std::string path, std::string thumbnail = "") {
    Result r;
    r.kind = kind;
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
  Put(Make(ResultKind::kEnd, ""));
  Put(Make(ResultKind::kNotImage, "/notes.txt"));
  Put(Make(ResultKind::kThumbnail, "/a.jpg", "a.png"));
  Put(Make(ResultKind::kFailed, "/bad.jpg"));
  Put(Make(ResultKind::kEnd, ""));
  ASSERT_TRUE(Sink(Env(2)).Run().ok());
  EXPECT_EQ(testing::ReadFile(dir_ / "processed.txt"), "a.png: /a.jpg\nb.png: /b.jpg\n");
  EXPECT_EQ(counters_.thumbnails.load(), 2u);
  EXPECT_EQ(counters_.not_images.load(), 1u);
  EXPECT_EQ(counters_.failed.load(), 1u);
  EXPECT_EQ(counters_.bytes_read.load(), 40u);  // sentinels carry no file
}

TEST_F(SinkTest, MissingSentinelMeansNoManifest) {
  Put(Make(ResultKind::kThumbnail, "/a.jpg", "a.png"));
  Put(Make(ResultKind::kEnd, ""));
  EXPECT_EQ(Sink(Env(2)).Run().message(), "nothing more will come");
  EXPECT_TRUE(testing::ListFolder(dir_.path()).empty());
}

TEST_F(SinkTest, ForeignMessageIsAnError) {
  results_.messages().emplace_back("garbage");
  EXPECT_EQ(Sink(Env(1)).Run().message(), "bad result: message of the wrong kind (magic 0x67)");
}

}  // namespace
}  // namespace thumbpipe
