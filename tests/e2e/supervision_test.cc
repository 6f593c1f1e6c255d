// Supervision with real processes and real signals: workers that crash, hang or die holding a
// lock (tests/fakes/fake_worker.cc stands in for thumbpipe-worker), and a producer, sink or
// launcher killed mid-run.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class SupervisionTest : public E2eTest {
 protected:
  // `count` small JPEGs named 0000.jpg..., plus `extra` names.
  void MakePhotos(int count, const std::vector<std::string>& extra = {}, int size = 64) {
    for (int i = 0; i < count; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "%04d.jpg", i);
      WriteTestImage(photos_ / name, size + i % 7, size, i);
    }
    for (size_t i = 0; i < extra.size(); ++i)
      WriteTestImage(photos_ / extra[i], 300, 200, 1000 + i);
  }
  CommandOptions WithWorker(const std::string& mode) {
    CommandOptions options;
    options.env = roles_.env(mode);
    options.timeout = std::chrono::seconds(90);
    return options;
  }
  CommandResult RunWith(const std::string& mode, std::vector<std::string> args) {
    return Thumbpipe(args, WithWorker(mode));
  }
  // The manifest's sorted runs in the work folder (sink/manifest.h), of any launcher.
  std::vector<std::string> SpilledRuns() const {
    std::vector<std::string> runs;
    for (const std::string& name : ListFolder(work().path())) {
      if (name.find(".run-") != std::string::npos) runs.push_back(name);
    }
    return runs;
  }
  // A stand-in worker, and a sink that spills a sorted run for nearly every line.
  CommandOptions Spilling(const std::string& mode) {
    CommandOptions options = WithWorker(mode);
    options.env["THUMBPIPE_MANIFEST_MEMORY"] = "1";
    return options;
  }
  // The journal of a running launcher.
  std::string Journal(pid_t launcher) const {
    return work() / (".processed.txt." + std::to_string(launcher) + ".journal");
  }
  // Every manifest line is a valid thumbnail and the counts agree with it.
  void ExpectManifestMatches(const CommandResult& run) {
    const auto lines = VerifyOutputs();
    EXPECT_EQ(static_cast<long>(lines.size()), ParseSummary(run.err).thumbnails) << run.err;
    for (const std::string& name : ListFolder(work().path())) {
      EXPECT_FALSE(name.ends_with(".journal") || name.ends_with(".tmp") ||
                   name.find(".run-") != std::string::npos)
          << name << " left behind";
    }
  }

  StandInRoles roles_;
  TempDir photos_;
};

TEST_F(SupervisionTest, StandInBehavesLikeTheRealWorker) {
  const CommandResult run = RunWith("", {CorpusPath("exif-orientation"), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 18);
}

TEST_F(SupervisionTest, WorkerCrashOnAFileIsReportedAndReplaced) {
  MakePhotos(20, {"poison-1.jpg", "poison-2.jpg"});
  const CommandResult run = RunWith("crash-on=poison", {photos_.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* name : {"poison-1.jpg", "poison-2.jpg"}) {
    EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / name) +
                                   "': the worker was killed by signal 11 (Segmentation fault) "
                                   "while decoding it\n"));
  }
  EXPECT_THAT(
      run.err,
      MatchesRegex("(.|\n)*thumbpipe-worker\\[[01]\\] \\(pid [0-9]+\\) was killed by signal 11 "
                   "\\(Segmentation fault\\) on '[^']*poison-1.jpg'; starting another(.|\n)*"));
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 20);
  EXPECT_EQ(summary.failed, 2);
  ExpectManifestMatches(run);
}

TEST_F(SupervisionTest, AbortedWorkerIsHandledLikeACrash) {
  MakePhotos(10, {"bad.jpg"});
  const CommandResult run = RunWith("abort-on=bad", {photos_.path(), "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / "bad.jpg") +
                                 "': the worker was killed by signal 6 (Aborted)"));
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 10);
}

TEST_F(SupervisionTest, WorkerDyingAfterItsSentinelStillEndsTheRun) {
  MakePhotos(10);
  const CommandResult run = RunWith("crash-at-end", {photos_.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("after its last file"));
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 10);
  ExpectManifestMatches(run);
}

TEST_F(SupervisionTest, HungWorkerIsTimedOut) {
  MakePhotos(8, {"stuck.jpg"});
  const CommandResult run = RunWith("hang-on=stuck", {"--timeout", "1", photos_.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / "stuck.jpg") +
                                 "': timed out after 1 s (--timeout)\n"));
  EXPECT_LT(run.seconds, 15);
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 8);
  EXPECT_EQ(summary.failed, 1);
}

// More workers than decode slots: the same manifest as one worker alone.
TEST_F(SupervisionTest, MoreWorkersThanDecodeSlotsGiveTheSameManifest) {
  MakePhotos(24);
  std::vector<std::string> alone, crowded;
  for (const auto& [args, lines] :
       {std::pair{std::vector<std::string>{photos_.path(), "1"}, &alone},
        std::pair{std::vector<std::string>{"--decode-slots", "2", photos_.path(), "8"},
                  &crowded}}) {
    const CommandResult run = Thumbpipe(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(ParseSummary(run.err).thumbnails, 24) << run.err;
    ExpectManifestMatches(run);
    std::ifstream in(manifest());
    for (std::string line; std::getline(in, line);) lines->push_back(line);
    std::sort(lines->begin(), lines->end());
  }
  EXPECT_EQ(alone.size(), 24u);
  EXPECT_EQ(alone, crowded);
}

// A worker killed while it holds the only decode slot: the launcher gives the slot back, the
// next files are done and the run ends (without that, every other worker would wait forever).
TEST_F(SupervisionTest, WorkerKilledHoldingTheDecodeSlotDoesNotWedgeTheRun) {
  MakePhotos(16, {"poison-1.jpg", "poison-2.jpg", "poison-3.jpg"});
  const CommandResult run =
      RunWith("kill-on=poison", {"-v", "--decode-slots", "1", photos_.path(), "4"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* name : {"poison-1.jpg", "poison-2.jpg", "poison-3.jpg"}) {
    EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / name) +
                                   "': the worker was killed by signal 9 (Killed) while "
                                   "decoding it\n"));
  }
  EXPECT_THAT(run.err, MatchesRegex("(.|\n)*thumbpipe-worker\\[[0-3]\\] \\(pid [0-9]+\\) held a "
                                    "decode slot; given back(.|\n)*"));
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 16);
  EXPECT_EQ(summary.failed, 3);
  ExpectManifestMatches(run);
}

// --timeout kills a worker stuck in a decode while it holds the only slot: the slot comes
// back and the other files are done.
TEST_F(SupervisionTest, TimedOutWorkerGivesItsDecodeSlotBack) {
  MakePhotos(8, {"stuck.jpg"});
  const CommandResult run =
      RunWith("hang-on=stuck", {"--timeout", "1", "--decode-slots", "1", photos_.path(), "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / "stuck.jpg") +
                                 "': timed out after 1 s (--timeout)\n"));
  EXPECT_LT(run.seconds, 15);
  const Summary summary = ParseSummary(run.err);
  EXPECT_EQ(summary.thumbnails, 8);
  EXPECT_EQ(summary.failed, 1);
  ExpectManifestMatches(run);
}

TEST_F(SupervisionTest, WorkerCrashingAtStartStopsTheRunPromptly) {
  MakePhotos(3);
  const CommandResult run = RunWith("crash-at-start", {photos_.path(), "2"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_LT(run.seconds, 10);
  EXPECT_THAT(run.err,
              MatchesRegex("(.|\n)*thumbpipe-worker\\[[01]\\] \\(pid [0-9]+\\) was killed by "
                           "signal 11 \\(Segmentation fault\\): workers keep dying at "
                           "start-up; stopping the run\n(.|\n)*"));
  EXPECT_THAT(LastLine(run.err), HasSubstr("Finished in"));
}

TEST_F(SupervisionTest, WorkerFailingItsSetUpStopsTheRun) {
  MakePhotos(3);
  const CommandResult run = RunWith("exit2-at-start", {photos_.path(), "2"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(
      run.err,
      MatchesRegex("(.|\n)*thumbpipe-worker\\[[01]\\] \\(pid [0-9]+\\) exited with status 2 at "
                   "start-up; stopping the run\n(.|\n)*"));
}

TEST_F(SupervisionTest, FileThatVanishesBeforeItIsReadFails) {
  MakePhotos(4, {"vanish.jpg"});
  const CommandResult run = RunWith("delete-on=vanish", {photos_.path(), "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("failed: '" + (photos_ / "vanish.jpg") +
                                 "': cannot open: No such file or directory\n"));
  EXPECT_EQ(ParseSummary(run.err).thumbnails, 4);
}

TEST_F(SupervisionTest, ProducerKilledMidRunFilesFoundAreFinished) {
  MakePhotos(700);
  auto command = Start({photos_.path(), "2"}, WithWorker("slow=5"));
  std::vector<pid_t> producer;
  ASSERT_TRUE(WaitFor(
      [&] { return !(producer = ChildrenOf(command->pid(), "thumbpipe-producer")).empty(); },
      std::chrono::seconds(10)));
  ::usleep(300'000);  // it fills the queue and waits for room
  ASSERT_EQ(::kill(producer[0], SIGKILL), 0);
  const CommandResult run = Finish(*command);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err,
              HasSubstr("thumbpipe-producer (pid " + std::to_string(producer[0]) +
                        ") was killed by signal 9 (Killed); finishing the files found so far\n"));
  EXPECT_THAT(run.err, ::testing::Not(HasSubstr("not processed")));
  const Summary summary = ParseSummary(run.err);
  EXPECT_GT(summary.thumbnails, 0);
  EXPECT_LT(summary.thumbnails, 700);
  ExpectManifestMatches(run);
}

TEST_F(SupervisionTest, SinkKilledMidRunItsJournalBecomesTheManifest) {
  MakePhotos(300);
  auto command = Start({photos_.path(), "2"}, Spilling("slow=10"));
  const std::string journal = Journal(command->pid());
  ASSERT_TRUE(WaitFor([&] { return CountLines(journal) >= 20; }, std::chrono::seconds(20)));
  EXPECT_FALSE(SpilledRuns().empty());
  const std::vector<pid_t> sink = ChildrenOf(command->pid(), "thumbpipe-sink");
  ASSERT_EQ(sink.size(), 1u);
  ASSERT_EQ(::kill(sink[0], SIGKILL), 0);
  const CommandResult run = Finish(*command);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("thumbpipe-sink (pid " + std::to_string(sink[0]) +
                                 ") was killed by signal 9 (Killed); stopping the run\n"));
  EXPECT_THAT(
      run.err,
      MatchesRegex(
          "(.|\n)*wrote the manifest of the [0-9]+ thumbnails made before the run stopped(.|\n)*"));
  // Thumbnails whose results had not reached the sink are there but not listed.
  const auto lines = VerifyOutputs(200, 200, /*others_allowed=*/true);
  EXPECT_GE(lines.size(), 20u);
  EXPECT_FALSE(std::filesystem::exists(journal));
  // The dead sink's sorted runs are gone too; the journal alone made the manifest.
  EXPECT_EQ(SpilledRuns(), std::vector<std::string>{});
}

TEST_F(SupervisionTest, LauncherKilledChildrenFollowAndTheNextRunCleansUp) {
  MakePhotos(300);
  auto command = Start({photos_.path(), "2"}, Spilling("slow=10"));
  const pid_t launcher = command->pid();
  std::vector<pid_t> children;
  ASSERT_TRUE(WaitFor([&] { return (children = ChildrenOf(launcher)).size() == 4; },
                      std::chrono::seconds(10)));
  ASSERT_TRUE(
      WaitFor([&] { return CountLines(Journal(launcher)) >= 5; }, std::chrono::seconds(20)));
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  for (pid_t child : children) {
    EXPECT_TRUE(WaitFor([&] { return ProcessEnded(child); }, std::chrono::seconds(1))) << child;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(1500));
  command->Wait();
  // What it left behind ...
  EXPECT_EQ(ShmObjectsOf(launcher).size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(Journal(launcher)));
  EXPECT_FALSE(SpilledRuns().empty());
  // ... the next run removes.
  TempDir empty;
  const CommandResult next = Thumbpipe({empty.path()});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(ShmObjectsOf(launcher), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists(Journal(launcher)));
  EXPECT_EQ(SpilledRuns(), std::vector<std::string>{});
}

TEST_F(SupervisionTest, ProcessDyingWithAQueueLockStopsTheRun) {
  MakePhotos(30, {"poison.jpg"});
  const CommandResult run = RunWith("lock-and-die-on=poison", {photos_.path(), "2"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("a process died holding a queue's lock, so the run cannot go on"));
  EXPECT_LT(run.seconds, 30);
  EXPECT_THAT(LastLine(run.err), HasSubstr("Finished in"));
}

class StopTest : public SupervisionTest, public ::testing::WithParamInterface<int> {};

TEST_P(StopTest, SignalStopsInOrder) {
  const int sig = GetParam();
  MakePhotos(400);
  auto command = Start({photos_.path(), "2"}, WithWorker("slow=20"));
  ASSERT_TRUE(
      WaitFor([&] { return CountLines(Journal(command->pid())) >= 10; }, std::chrono::seconds(20)));
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(command->pid(), sig), 0);
  const CommandResult run = Finish(*command);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(5));
  EXPECT_EQ(run.exit_code, 128 + sig) << run.err;
  EXPECT_THAT(run.err,
              HasSubstr(": stopping; files in hand are finished and the manifest is written"));
  EXPECT_THAT(run.err,
              MatchesRegex("(.|\n)*[0-9]+ of the [0-9]+ files found were not processed\n(.|\n)*"));
  ExpectManifestMatches(run);
  EXPECT_GE(ParseSummary(run.err).thumbnails, 10);
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, StopTest, ::testing::Values(SIGINT, SIGTERM));

// systemd's KillMode=control-group signals every process of the service at once.
TEST_F(SupervisionTest, SignalToTheWholeGroupStopsInOrder) {
  MakePhotos(400);
  auto command = Start({photos_.path(), "2"}, WithWorker("slow=20"));
  ASSERT_TRUE(
      WaitFor([&] { return CountLines(Journal(command->pid())) >= 10; }, std::chrono::seconds(20)));
  ASSERT_EQ(::killpg(command->pid(), SIGTERM), 0);
  const CommandResult run = Finish(*command);
  EXPECT_EQ(run.exit_code, 143) << run.err;
  ExpectManifestMatches(run);
  EXPECT_GE(ParseSummary(run.err).thumbnails, 10);
}

TEST_F(SupervisionTest, SecondSignalStopsAtOnce) {
  MakePhotos(3, {"stuck.jpg"});
  auto command = Start({"-v", "--timeout", "0", photos_.path(), "1"}, WithWorker("hang-on=stuck"));
  ASSERT_TRUE(WaitFor(
      [&] { return command->ErrSoFar().find("Processing file stuck.jpg") != std::string::npos; },
      std::chrono::seconds(20)));
  ASSERT_EQ(::kill(command->pid(), SIGINT), 0);
  ::usleep(300'000);
  const auto second = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(command->pid(), SIGINT), 0);
  const CommandResult run = Finish(*command);
  EXPECT_LT(std::chrono::steady_clock::now() - second, std::chrono::seconds(3));
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_THAT(run.err, HasSubstr("SIGINT: stopping at once\n"));
  // The three files before stuck.jpg were done; the manifest says so.
  const auto lines = VerifyOutputs();
  EXPECT_EQ(lines.size(), 3u);
}

}  // namespace
}  // namespace thumbpipe::testing
