// A worker that dies: real processes, real signals, with tests/fakes/fake_worker.cc standing in
// for thumbpipe-worker.
#include <filesystem>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class CrashTest : public E2eTest {
 protected:
  // A role folder with the real producer and sink and the stand-in worker.
  void SetUp() override {
    std::filesystem::create_symlink(RoleFolder() + "/thumbpipe-producer", roles_ / "thumbpipe-producer");
    std::filesystem::create_symlink(RoleFolder() + "/thumbpipe-sink", roles_ / "thumbpipe-sink");
    std::filesystem::create_symlink(FakeWorkerPath(), roles_ / "thumbpipe-worker");
  }
  CommandResult RunWith(const std::string& mode, const std::vector<std::string>& args) {
    CommandOptions options;
    options.env = {{"THUMBPIPE_LIBEXEC_DIR", roles_.path()},
                   {"FAKE_WORKER", mode},
                   // Let the stand-in die of its signal under the sanitizers too.
                   {"ASAN_OPTIONS", "handle_segv=0:handle_abort=0"}};
    options.timeout = std::chrono::seconds(60);
    return Thumbpipe(args, options);
  }
  TempDir roles_;
};

TEST_F(CrashTest, StandInBehavesLikeTheRealWorker) {
  const CommandResult run = RunWith("", {CorpusPath("exif-orientation"), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 18);
}

TEST_F(CrashTest, WorkerCrashingAtStartStopsTheRunPromptly) {
  const CommandResult run = RunWith("crash-at-start", {CorpusPath("exif-orientation"), "2"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_LT(run.seconds, 10);
  EXPECT_THAT(run.err, MatchesRegex("(.|\n)*thumbpipe-worker\\[[01]\\] \\(pid [0-9]+\\) was killed by "
                                    "signal 11 \\(Segmentation fault\\)(.|\n)*"));
  EXPECT_THAT(LastLine(run.err), HasSubstr("Finished in"));
}

}  // namespace
}  // namespace thumbpipe::testing
