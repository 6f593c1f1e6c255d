// deploy/slurm/thumbpipe.sbatch on a real Slurm: a single-node cluster (scripts/slurm_local.sh)
// that CTest starts once for these tests and always stops (the fixture slurm_cluster). Four
// shards of the test images as an array job and the dependent merge give the manifest of one
// run, byte for byte, and thumbnails that match their names; a task cancelled while it runs
// leaves no manifest that a merge would take, and submitting that shard alone completes it.
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "tests/e2e/e2e.h"

namespace thumbpipe::testing {
namespace {

namespace fs = std::filesystem;

const std::string kClusterDir = THUMBPIPE_TEST_SLURM_DIR;
const std::string kSbatch = THUMBPIPE_TEST_SOURCE_ROOT "/deploy/slurm/thumbpipe.sbatch";

// The program `name` on PATH (Slurm's commands), or `name` itself when it is nowhere.
std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string folders = path != nullptr ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= folders.size();) {
    size_t end = folders.find(':', start);
    if (end == std::string::npos) end = folders.size();
    const std::string candidate = folders.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;
}

class SlurmTest : public E2eTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kClusterDir + "/slurm.conf"))
        << "the Slurm cluster of these tests is not up: run them through CTest, whose fixture "
           "slurm_cluster starts it (scripts/slurm_local.sh start "
        << kClusterDir << ")";
    // The work folder is the store: its thumbnails/ and processed.txt are what VerifyOutputs
    // reads.
    ::chmod(work().path().c_str(), 0755);
  }

  // A Slurm command, with this cluster's configuration and the programs under test.
  CommandResult Slurm(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env = {}) {
    CommandOptions options;
    options.cwd = work().path();
    options.env = {{"SLURM_CONF", kClusterDir + "/slurm.conf"}, {"THUMBPIPE", LauncherPath()}};
    for (const auto& [name, value] : env) options.env[name] = value;
    options.timeout = std::chrono::seconds(240);
    std::vector<std::string> resolved = argv;
    resolved[0] = OnPath(argv[0]);
    CommandResult result = RunCommand(resolved, options);
    EXPECT_FALSE(result.timed_out) << argv[0] << " hung";
    return result;
  }

  // Submits the sbatch file with `args`; returns the job id.
  std::string Submit(const std::vector<std::string>& sbatch_options,
                     const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {"sbatch", "--parsable", "--output",
                                     work() / "slurm-%A_%a.out"};
    argv.insert(argv.end(), sbatch_options.begin(), sbatch_options.end());
    argv.push_back(kSbatch);
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult result = Slurm(argv, env);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::string id = result.out.substr(0, result.out.find_first_of(";\n"));
    EXPECT_FALSE(id.empty()) << result.out << result.err;
    return id;
  }

  // The state of a job or task (squeue), empty once it has left the queue.
  std::string State(const std::string& job) {
    const CommandResult result = Slurm({"squeue", "-h", "-j", job, "-o", "%T"});
    return result.exit_code == 0 ? LastLine(result.out) : "";
  }

  bool WaitUntilGone(const std::string& job, std::chrono::seconds limit) {
    return WaitFor(
        [&] {
          return Slurm({"squeue", "-h", "-j", job, "-o", "%i"}).out.empty();
        },
        limit);
  }

  // The logs of the tasks, for failure messages.
  std::string Logs() {
    std::string logs;
    for (const std::string& name : ListFolder(work().path())) {
      if (name.starts_with("slurm-")) logs += "--- " + name + "\n" + ReadFile(work() / name);
    }
    return logs;
  }

  // One run over the tree, somewhere else: the manifest a merge must equal.
  std::string SingleRun() {
    const CommandResult run = Thumbpipe({"--no-progress", "--output", work() / "single-thumbs",
                                         "--manifest", work() / "single.txt", CorpusPath()});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return ReadFile(work() / "single.txt");
  }
};

TEST_F(SlurmTest, FourShardsAndTheDependentMergeGiveTheSingleRun) {
  const std::string single = SingleRun();
  const std::string job = Submit({"--array=0-3"}, {CorpusPath(), work().path()});
  // The merge waits for every task; sbatch --wait returns with its exit status.
  Submit({"--array=0", "--wait", "--dependency=afterok:" + job}, {"--merge", work().path()});
  EXPECT_TRUE(WaitUntilGone(job, std::chrono::seconds(30)));
  ASSERT_TRUE(fs::exists(manifest())) << Logs();
  EXPECT_EQ(ReadFile(manifest()), single) << "the merged manifest differs from one run's";
  for (int k = 0; k < 4; ++k) {
    EXPECT_TRUE(fs::exists(work() / fmt::format("processed.txt.{}-of-4", k))) << k;
  }
  EXPECT_THAT(Logs(), ::testing::HasSubstr("merged 4 shards into '" + manifest() + "'"));
  VerifyOutputs();
}

TEST_F(SlurmTest, ACancelledTaskIsRedoneAloneAndTheMergeIsWholeAgain) {
  const std::string single = SingleRun();
  // Each task is fed the tree's files one at a time, slowly (a list from a pipe), so it is
  // still at work when it is cancelled.
  const std::string slow = work() / "slow-thumbpipe";
  WriteFile(slow,
            "#!/bin/sh\n"
            "find \"$SLOW_ROOT\" -type f | while IFS= read -r f; do printf '%s\\n' \"$f\"; "
            "sleep 0.05; done | \"$REAL_THUMBPIPE\" --files-from - \"$@\"\n");
  ::chmod(slow.c_str(), 0755);
  const std::map<std::string, std::string> slow_env = {
      {"THUMBPIPE", slow}, {"SLOW_ROOT", CorpusPath()}, {"REAL_THUMBPIPE", LauncherPath()}};
  const std::string job = Submit({"--array=0-3"}, {CorpusPath(), work().path()}, slow_env);
  const std::string merge_job =
      Submit({"--array=0", "--dependency=afterok:" + job}, {"--merge", work().path()});
  const std::string task = job + "_2";
  ASSERT_TRUE(WaitFor([&] { return State(task) == "RUNNING"; }, std::chrono::seconds(60)))
      << "task 2 never ran: " << State(task) << "\n"
      << Logs();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(State(task), "RUNNING") << "task 2 ended before it could be cancelled\n" << Logs();
  const CommandResult cancel = Slurm({"scancel", task});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;

  // The other tasks finish; the merge can never start: Slurm says so, and it is cancelled.
  ASSERT_TRUE(WaitUntilGone(job, std::chrono::seconds(120))) << Logs();
  const bool never = WaitFor(
      [&] {
        const CommandResult reason = Slurm({"squeue", "-h", "-j", merge_job, "-o", "%r"});
        return reason.out.empty() || LastLine(reason.out) == "DependencyNeverSatisfied";
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(never) << "the merge job is waiting for something else";
  Slurm({"scancel", merge_job});
  ASSERT_TRUE(WaitUntilGone(merge_job, std::chrono::seconds(30))) << Logs();
  EXPECT_FALSE(fs::exists(manifest())) << "the merge ran without shard 2";
  EXPECT_FALSE(fs::exists(work() / "processed.txt.2-of-4")) << Logs();
  for (int k : {0, 1, 3}) {
    EXPECT_TRUE(fs::exists(work() / fmt::format("processed.txt.{}-of-4", k))) << k << Logs();
  }
  const CommandResult refused = Thumbpipe({"merge", "by-hand.txt", "processed.txt.0-of-4",
                                           "processed.txt.1-of-4", "processed.txt.3-of-4"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, ::testing::HasSubstr("shard 2 of 4 is missing"));

  // Shard 2 alone, told N, then the merge.
  const std::string redo =
      Submit({"--array=2", "--export=ALL,THUMBPIPE_SHARDS=4"}, {CorpusPath(), work().path()});
  Submit({"--array=0", "--wait", "--dependency=afterok:" + redo}, {"--merge", work().path()});
  ASSERT_TRUE(fs::exists(work() / "processed.txt.2-of-4")) << Logs();
  ASSERT_TRUE(fs::exists(manifest())) << Logs();
  EXPECT_EQ(ReadFile(manifest()), single) << "the merged manifest differs from one run's";
  VerifyOutputs();
}

}  // namespace
}  // namespace thumbpipe::testing
